"""Pure functions that identify records: URL keys, ids, content hashes and search terms."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from storage.blobs import CAPTURED_FIELDS, without_archived

# Fields that make up "the content" for cross-URL duplicate detection.
CONTENT_FIELDS = ("title", "published_at", "text")
# Fields that are about the fetch or the store, not the article: a change in them is no new version.
VOLATILE_FIELDS = frozenset(
    {
        "id",
        "url",
        "canonical_url",
        "fetched_at",
        "fetch",
        "aliases",
        "version",
        "first_seen",
        "last_seen",
        "seen_count",
        "extractor_version",
        "changed",
        "withdrawn_at",
        "changed_at",
        "last_checked",
    }
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W{_CJK}_]+", re.UNICODE)
_CJK_RE = re.compile(rf"[{_CJK}]")


def url_key(url: str) -> str:
    """The identity of a URL: canonicalized (w3lib), scheme-agnostic, no fragment, default port dropped.

    http and https, a default port and query-parameter order are presentation, not identity, on
    the sites we archive; the host (www. included) and the path are kept as they are.
    """
    canon = canonicalize_url(url.strip(), keep_fragments=False)
    parts = urlsplit(canon)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit(("", host, path, parts.query, "")).lstrip("/")


def article_id(key: str) -> str:
    """A short stable id for the article whose canonical URL key is `key`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _norm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split())
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content_hash(record: dict[str, Any]) -> str:
    """Hash of title, publish time and body: equal for the same article under two URLs."""
    blob = "\x1f".join(_norm(record.get(f)) for f in CONTENT_FIELDS)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    """Hash of every extracted field: a change here is a new version of the article."""
    stable = {k: _stable(k, v) for k, v in record.items() if k not in VOLATILE_FIELDS}
    blob = json.dumps(stable, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _stable(name: str, value: Any) -> Any:
    """A field's value as far as versions go: an image's or attachment's archived copy is
    about the fetch (a record stored before capture, or whose capture failed, is the same)."""
    return without_archived(value) if name in CAPTURED_FIELDS else value


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of extracted fields whose values differ between two records."""
    keys = (set(old) | set(new)) - VOLATILE_FIELDS
    return sorted(k for k in keys if _stable(k, old.get(k)) != _stable(k, new.get(k)))


def search_terms(text: str) -> list[str]:
    """Index terms: lower-cased words for alphabetic scripts, overlapping bigrams for CJK.

    Chinese has no spaces; bigrams make every two-character word (党建) findable without a
    segmenter, and a query's bigrams in sequence match it as a substring.
    """
    terms: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if _CJK_RE.match(tok):
            if len(tok) == 1:
                terms.append(tok)
            else:
                terms.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        else:
            terms.append(tok.lower())
    return terms


def findable(term: str) -> bool:
    """Whether a query term can be looked up in the index: a word or a CJK bigram. A lone CJK
    character is indexed only where it stands alone, so a query for one must read the texts."""
    return len(term) > 1 or term.isascii()


def people(record: dict[str, Any]) -> list[str]:
    """Every person named in the byline, whatever the role."""
    names: list[str] = []
    for role in ("authors", "photographers", "editors", "reviewers", "contributors"):
        for name in record.get(role) or []:
            if name not in names:
                names.append(name)
    return names


def matches_text(record: dict[str, Any], text: str) -> bool:
    """Whether the record's title or body contains the query (case-insensitive, spacing-agnostic)."""
    hay = " ".join(_norm(record.get(f)) for f in ("title", "subtitle", "text")).lower()
    return all(part.lower() in hay for part in text.split())
