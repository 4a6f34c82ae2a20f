"""Machine-readable metadata in a page: meta tags, OpenGraph, JSON-LD, `<time>`, canonical link."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta, timezone, tzinfo
from typing import Any

from lxml.html import HtmlElement

from crawler.extraction.text import fold

logger = logging.getLogger(__name__)

_ORGANISATION_TYPES = {
    "organization",
    "newsmediaorganization",
    "educationalorganization",
    "collegeoruniversity",
    "corporation",
}
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "scholarlyarticle",
    "webpage",
    "analysisnewsarticle",
    "report",
}


class Metadata:
    """Lazily read metadata of one parsed page."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self._meta: dict[str, str] | None = None
        self._ld: dict[str, Any] | None = None
        self._ld_ids: dict[str, dict[str, Any]] = {}

    @property
    def meta(self) -> dict[str, str]:
        """`<meta>` values by lower-cased name/property/itemprop (first one wins)."""
        if self._meta is None:
            self._meta = {}
            for m in self.tree.iter("meta"):
                key = m.get("name") or m.get("property") or m.get("itemprop") or m.get("http-equiv")
                # Some CMSs (Stanford Medicine's AEM) write value= where content= belongs.
                val = m.get("content") if m.get("content") is not None else m.get("value")
                if key and val and key.lower() not in self._meta:
                    self._meta[key.lower()] = fold(val)
        return self._meta

    def first(self, *names: str) -> str | None:
        for n in names:
            v = self.meta.get(n.lower())
            if v:
                return v
        return None

    @property
    def jsonld(self) -> dict[str, Any]:
        """The page's article object from JSON-LD (`@graph` searched), or {}."""
        if self._ld is None:
            self._ld = {}
            for script in self.tree.xpath('//script[@type="application/ld+json"]'):
                try:
                    data = json.loads(script.text or "")
                except (ValueError, TypeError, RecursionError):
                    continue
                objects = _walk(data)
                for obj in objects:
                    if isinstance(obj.get("@id"), str):
                        self._ld_ids.setdefault(obj["@id"], obj)
                for obj in objects:
                    types = obj.get("@type")
                    types = types if isinstance(types, list) else [types]
                    if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
                        if not self._ld or "articleBody" in obj or "datePublished" in obj:
                            self._ld = obj
        return self._ld

    def ld_people(self, key: str) -> list[str]:
        """Names of the people JSON-LD gives for `key` (author…): references (`@id`) resolved,
        organisations left out (a newsroom's own account is not a person)."""
        value = self.jsonld.get(key)
        items = value if isinstance(value, list) else [value]
        names = []
        for it in items:
            if isinstance(it, dict):
                if "name" not in it and isinstance(it.get("@id"), str):
                    it = self._ld_ids.get(it["@id"], it)
                kind = it.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.lower() in _ORGANISATION_TYPES for k in kinds):
                    continue
                it = it.get("name")
            if isinstance(it, str) and fold(it):
                names.append(fold(it))
        return names

    def canonical(self) -> str | None:
        for link in self.tree.xpath('//link[@rel="canonical"][@href]'):
            return str(link.get("href")).strip() or None
        return self.first("og:url")

    def lang(self) -> str | None:
        html_lang = self.tree.get("lang") or self.tree.get(
            "{http://www.w3.org/XML/1998/namespace}lang"
        )
        lang = html_lang or self.first("content-language", "og:locale", "language", "dc.language")
        if not lang:
            return None
        return lang.replace("_", "-").split("-")[0].lower() or None


def _walk(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if depth > 20:  # a hostile page can nest without end
        return out
    if isinstance(data, list):
        for d in data:
            out += _walk(d, depth + 1)
    elif isinstance(data, dict):
        out.append(data)
        if "@graph" in data:
            out += _walk(data["@graph"], depth + 1)
    return out


_OFFSET = re.compile(r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-]\d{2}):?(\d{2})$")
_DATED = (
    "article:published_time",
    "article:modified_time",
    "og:published_time",
    "og:updated_time",
)


def declared_offset(meta: Metadata) -> tzinfo | None:
    """The UTC offset the page's metadata writes its times in ("…T10:00:00+01:00"), if any: the
    page's own timezone, for the dates it prints without one. "Z" says nothing (CMSs store UTC)."""
    values = [meta.first(name) for name in _DATED]
    values += [meta.jsonld.get(k) for k in ("datePublished", "dateModified")]
    for value in values:
        m = _OFFSET.search(value.strip()) if isinstance(value, str) else None
        if m and (m[1], m[2]) != ("+00", "00"):
            hours, minutes = int(m[1]), int(m[2])
            sign = -1 if hours < 0 or m[1].startswith("-") else 1
            return timezone(sign * timedelta(hours=abs(hours), minutes=minutes))
    return None
