"""Tsinghua University news layouts: publish/news (<=2015), thunews (2016-2020); VSB (2020 on) is cms.py's.

docs/sites.md and ../shared/notes/university-news-sites.md §2 describe each layout.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property

from lxml.html import HtmlElement

from crawler.extraction import bylines
from crawler.extraction.dates import find_date, labelled_date
from crawler.extraction.pages.generic import ReadabilityArticlePage
from crawler.extraction.text import fold, lines_of, text_of

_SITE_SUFFIX = re.compile(r"\s*[-_|－—]\s*清华大学(新闻网)?\s*$")


def _centred(el: HtmlElement) -> bool:
    style = (el.get("style") or "").lower().replace(" ", "")
    return "text-align:center" in style or (el.get("align") or "").lower() == "center"


class LegacyNewsPage(ReadabilityArticlePage):
    """news.tsinghua.edu.cn/publish/news: table template, body duplicated in a hidden div."""

    layout = "tsinghua-publish-news"

    @cached_property
    def _detail(self) -> HtmlElement | None:
        # div#hidden_detail holds a display:none copy of the body: never read it.
        found = self.tree.xpath('//div[@id="datalist_detail"]')
        return found[0] if found else None

    @cached_property
    def _split(self) -> tuple[list[HtmlElement], list[HtmlElement]]:
        """(header lines, body blocks) of the visible body; ([], []) without one."""
        return self._header_blocks(self._detail) if self._detail is not None else ([], [])

    def has_layout_body(self) -> bool:
        return self._detail is not None

    def body_elements(self) -> list[HtmlElement]:
        if self._detail is None:
            return super().body_elements()
        return self._split[1]

    def _header_blocks(self, body: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement]]:
        """Split the body into the centred header lines (headline, subtitle, 来源) and the rest."""
        blocks = [b for b in body.iter("p", "div", "h1", "h2", "h3", "h4") if b is not body]
        # Keep only outermost blocks, in order.
        top: list[HtmlElement] = []
        for b in blocks:
            if not any(b in set(t.iterdescendants()) for t in top[-1:]):
                top.append(b)
        header: list[HtmlElement] = []
        for b in top:
            if not text_of(b):
                if b.find(".//img") is not None:
                    break
                continue
            if not _centred(b) or len(header) >= 6:
                break
            header.append(b)
        has_source = any(bylines.parse_source_line(text_of(h)) for h in header)
        if not has_source:
            title = self.title() or ""
            # Without a 来源 line only a leading repeat of the headline is header.
            header = (
                header[:1]
                if header and text_of(header[0]) in (title, title.split("：")[-1])
                else []
            )
        if not header:
            return [], [body]
        last = header[-1]
        rest: list[HtmlElement] = []
        started = False
        for b in top:
            if started and not any(b in set(r.iterdescendants()) for r in rest[-1:]):
                rest.append(b)
            if b is last:
                started = True
        return header, rest

    def byline(self) -> bylines.Byline:
        out = bylines.Byline()
        after_source = False
        for h in self._split[0]:
            line = text_of(h)
            src = bylines.parse_source_line(line)
            if src is not None:
                out.merge(src)
                after_source = True
            elif after_source:
                names = bylines.split_names(line)
                if names and len(line) <= 30:
                    # "清华大学 陈 旭": a unit, then the author's name.
                    out.add("authors", names[-1:])
        return out

    def title(self) -> str | None:
        raw = fold(self.tree.findtext(".//title"))
        return _SITE_SUFFIX.sub("", raw) or super().title()

    def subtitle(self) -> str | None:
        header = [text_of(h) for h in self._split[0]]
        title = self.title() or ""
        for line in header[1:]:
            if bylines.parse_source_line(line):
                break  # a subtitle sits above the 来源 line; below it is a byline (清华大学 陈 旭)
            if line != title and line not in title:
                return line
        return None

    def published_at(self) -> datetime | None:
        for el in self.tree.xpath('//div[@id="title_detail_picwriter"]'):
            dt = labelled_date(text_of(el), ("更新",), self.tz)
            if dt is not None:
                return dt
        return super().published_at()

    def updated_at(self) -> datetime | None:
        return (
            None  # the only date this layout shows is the [更新：] time, which is the publish time
        )

    def source(self) -> str | None:
        return None  # from the 来源 line, or the site itself below


class ThunewsPage(ReadabilityArticlePage):
    """news.tsinghua.edu.cn/publish/thunews: responsive template, `article.article`."""

    layout = "tsinghua-thunews"

    def _article(self) -> HtmlElement | None:
        found = self.tree.xpath(
            '//article[contains(concat(" ", normalize-space(@class), " "), " article ")]'
        )
        return found[0] if found else None

    def has_layout_body(self) -> bool:
        return self._article() is not None

    def body_elements(self) -> list[HtmlElement]:
        art = self._article()
        if art is None:
            return super().body_elements()
        blocks = []
        past_h1 = art.find(".//h1") is None
        for el in art:
            if not isinstance(el.tag, str):
                continue
            if el.tag == "h1":
                past_h1 = True
                continue
            if not past_h1 or el.tag in ("hr", "script", "style", "aside"):
                continue
            if (
                "articletime" in (el.get("class") or "")
                or el.find('.//*[@class="articletime"]') is not None
            ):
                continue
            blocks.append(el)
        return blocks

    def title(self) -> str | None:
        art = self._article()
        h1 = art.find(".//h1") if art is not None else None
        return text_of(h1) or fold(self.tree.findtext(".//title")) or None

    def subtitle(self) -> str | None:
        art = self._article()
        if art is None:
            return None
        before: list[str] = []
        for el in art:
            if el.tag == "h1" or (isinstance(el.tag, str) and el.find(".//h1") is not None):
                break
            if isinstance(el.tag, str) and el.tag not in ("script", "style"):
                before += lines_of(el)
        kicker = [ln for ln in before if ln]
        if kicker:
            return kicker[-1]
        # Or a centred bold line right under the headline rule ("——访…", "记…").
        past = False
        for el in art:
            if not isinstance(el.tag, str):
                continue
            if el.tag in ("h1", "hr"):
                past = True
                continue
            if past:
                t = text_of(el)
                if (
                    _centred(el)
                    and el.find(".//img") is None
                    and 0 < len(t) <= 60
                    and el.find(".//strong") is not None
                ):
                    return t
                return None
        return None

    def _time_text(self) -> str:
        found = self.tree.xpath('//div[contains(@class, "articletime")]')
        return text_of(found[0]) if found else ""

    def published_at(self) -> datetime | None:
        return find_date(self._time_text(), self.tz) or super().published_at()

    def updated_at(self) -> datetime | None:
        return None

    def source(self) -> str | None:
        text = self._time_text()
        m = re.search(r"\d{1,2}:\d{2}(?::\d{2})?\s*(.+)$", text)
        return fold(m.group(1)) if m else None
