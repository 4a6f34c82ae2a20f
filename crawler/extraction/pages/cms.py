"""The CMS families most university sites run on: VSB (博达), WebPlus (网站群), WordPress, Drupal.

Each page object knows where its family keeps the body, the headline and the meta line; what it
does not know falls back to the generic page. `detect_family` picks one from the page itself
(asset paths, generator meta, markup), so a site needs no file to be read right.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property

from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction import bylines
from crawler.extraction.article import Attachment
from crawler.extraction.blocks import sibling_bodies
from crawler.extraction.dates import find_date, parse_date
from crawler.extraction.headlines import headline_after
from crawler.extraction.pages.generic import ReadabilityArticlePage
from crawler.extraction.text import fold, text_of


class CmsPage(ReadabilityArticlePage):
    """A family's page: its body container, headline and meta line, by XPath."""

    BODY: etree.XPath
    HEADLINE: etree.XPath
    META: etree.XPath | None = None
    # Exact containers (VSB, WebPlus) hold the article only; theme containers (WordPress,
    # Drupal) also hold share bars and related links, cleaned as readability's body is.
    LOOSE = False

    # A theme container with less text than this is a teaser or an empty field, not the body.
    MIN_TEXT = 0

    def body_elements_of_layout(self) -> list[HtmlElement]:
        return self._layout_body

    @cached_property
    def _layout_body(self) -> list[HtmlElement]:
        found = [el for el in self.BODY(self.tree) if isinstance(el.tag, str)]
        first = next((el for el in found if len(text_of(el)) >= self.MIN_TEXT), None)
        if first is None:
            return []
        if not self.LOOSE:
            return [first]
        # A theme's story in several text blocks (Drupal's Layout Builder, text around a pull
        # quote or a gallery): every body container of the same article, in page order.
        return sibling_bodies(first, found)

    def has_layout_body(self) -> bool:
        return bool(self.body_elements_of_layout())

    def body_elements(self) -> list[HtmlElement]:
        found = self.body_elements_of_layout()
        if not found:
            return super().body_elements()
        if self.LOOSE:
            self.from_readability = True  # clean its lines as a readability body's
            for el in found:
                self.prune_link_lists(el)
        return found

    def title(self) -> str | None:
        page_title = fold(self.tree.findtext(".//title"))
        for el in self.HEADLINE(self.tree):
            t = text_of(el)
            if self.is_section_heading(t, page_title):
                continue
            if t and len(t) > 3 and el.find(".//a") is None:
                return t
        return self.headline_from_title() or super().title()

    def meta_text(self) -> str:
        if self.META is None:
            return ""
        # The first few hundred characters of each: a container that also holds the body (the
        # old VSB table's form) must not lend its body's dates to the meta line.
        return " ".join(text_of(e)[:400] for e in self.META(self.tree)[:6])

    def meta_values(self) -> dict[str, str]:
        """The labelled values of the meta line (发布时间：… 作者：… 来源：…)."""
        return bylines.labelled_values(self.meta_text())

    def published_at(self) -> datetime | None:
        values = self.meta_values()
        for label in ("发布时间", "发布日期", "发表时间", "时间", "日期"):
            dt = parse_date(values.get(label), self.tz) if values.get(label) else None
            if dt is not None:
                return dt
        return find_date(self.meta_text(), self.tz, self.day_first) or super().published_at()

    def source(self) -> str | None:
        value = self.meta_values().get("来源") or self.meta_values().get("文章来源") or ""
        # What follows the label up to the next one; an empty label names no source.
        first = value.split()[0] if value.split() else ""
        return first if 2 <= len(first) <= 30 else super().source()

    def byline(self) -> bylines.Byline:
        out = super().byline()
        author = self.meta_values().get("作者") or ""
        if author and not out.authors:
            out.add("authors", bylines.split_names(author))
        return out


def _x(expr: str) -> etree.XPath:
    return etree.XPath(expr)


def _cls(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


class VsbPage(CmsPage):
    """VSB (博达, Visual SiteBuilder): `/info/<col>/<id>.htm`; www.tsinghua.edu.cn and most
    Chinese universities. Templates differ (the lab form with h3/h4, content.jsp's div.t, the
    old table with span.STYLE8), the body is always `.v_news_content` or `#vsb_content…`."""

    layout = "vsb"
    BODY = _x(f"//div[{_cls('v_news_content')}] | //div[starts-with(@id, 'vsb_content')]")
    HEADLINE = _x(
        '//form[@name="_newscontent_fromname"]//h1'
        ' | //*[@class="title" or contains(@class, "v_news_title") or contains(@class, "arti_title")]'
    )
    META = _x(
        '//*[contains(@class, "sj") or contains(@class, "info") or contains(@class, "date")'
        ' or contains(@class, "time")]'
    )
    FORM = _x('//form[@name="_newscontent_fromname"]')
    # The article's files, listed after its body container (附件【…】) through download.jsp.
    ATTACHMENT_LISTS = _x("//ul[.//a[contains(@href, 'DownloadAttachUrl')]]")

    def attachments(self, body: list[HtmlElement]) -> list[Attachment]:
        found = super().attachments(body)
        seen = {a.url for a in found}
        more = super().attachments(self.ATTACHMENT_LISTS(self.tree))
        return found + [a for a in more if a.url not in seen]

    # The old table template's meta row: the innermost cell that labels a date or a source.
    ROW = _x(
        "//td[contains(., '发布时间') or contains(., '来源') or contains(., '发布日期')][not(.//td)]"
    )

    def meta_values(self) -> dict[str, str]:
        values = super().meta_values()
        if not values:  # the form holds the meta row in some templates, above the body
            for form in self.FORM(self.tree)[:1]:
                values = bylines.labelled_values(text_of(form)[:400])
        if not values:
            for row in self.ROW(self.tree)[:2]:
                values = bylines.labelled_values(text_of(row)[:400])
                if values:
                    break
        return values

    def title(self) -> str | None:
        page_title = fold(self.tree.findtext(".//title"))
        for el in self.HEADLINE(self.tree):
            t = text_of(el)
            if self.is_section_heading(t, page_title):
                continue
            if t and len(t) > 3 and el.find(".//a") is None:
                return t
        # The <title> without the site's suffix, where the page shows it (an h3 in the lab
        # form, div.t in content.jsp, a span in the old table); then the first h1.
        visible = self.headline_from_title()
        if visible:
            return visible
        for el in self.tree.iter("h1"):
            t = text_of(el)
            if self.is_section_heading(t, page_title):
                return headline_after(el, self.link_texts) or super().title()
            if t and len(t) > 3 and el.find(".//a") is None:
                return t
        return super().title()


class WebPlusPage(CmsPage):
    """WebPlus (网站群; Fudan, ZJU, NJU, SJTU…): `/<yyyy>/<mmdd>/c<col>a<id>/page.htm`,
    `h1.arti_title`, `p.arti_metas` (发布时间, 来源, 浏览次数), `div.wp_articlecontent`."""

    layout = "webplus"
    BODY = _x(f"//div[{_cls('wp_articlecontent')}] | //div[{_cls('wp-articlecontent')}]")
    HEADLINE = _x(f"//*[{_cls('arti_title')} or {_cls('arti-title')} or {_cls('article-title')}]")
    META = _x(
        f"//*[{_cls('arti_metas')} or {_cls('arti-metas')} or {_cls('arti_update')}"
        f" or {_cls('arti-update')}]"
    )


class WordPressPage(CmsPage):
    """WordPress newsrooms: `h1.entry-title` (a subtitle span inside on some themes),
    `div.entry-content`, dates and authors from meta tags, JSON-LD and the byline."""

    layout = "wordpress"
    LOOSE = True
    MIN_TEXT = 200
    BODY = _x(
        f"//article//div[{_cls('entry-content')}] | //div[{_cls('entry-content')}]"
        f" | //div[{_cls('wp-block-post-content')}]"
    )
    HEADLINE = _x("//h1[contains(@class, 'entry-title') or contains(@class, 'post-title')]")

    def title(self) -> str | None:
        from crawler.extraction.pages.generic import _headline_text

        for el in self.HEADLINE(self.tree):
            t = _headline_text(el)
            if t and len(t) > 3:
                return t
        return super().title()


class DrupalPage(CmsPage):
    """Drupal newsrooms: `h1.page-title`, `.field--name-body` (Drupal 8+) or `.field-name-body`
    (Drupal 7), dates in `time[datetime]`, bylines in author fields."""

    layout = "drupal"
    LOOSE = True
    MIN_TEXT = 200
    BODY = _x(
        f"//div[{_cls('field--name-body')}] | //div[{_cls('field-name-body')}]"
        f" | //*[@property='schema:text']"
    )
    HEADLINE = _x("//h1[contains(@class, 'page-title')] | //h1[contains(@class, 'title')]")


FAMILIES: dict[str, type[CmsPage]] = {
    "vsb": VsbPage,
    "webplus": WebPlusPage,
    "wordpress": WordPressPage,
    "drupal": DrupalPage,
}

# (marker in the page, family): the body containers first, then what a family's pages carry.
_MARKERS: tuple[tuple[str, str], ...] = (
    ("_newscontent_fromname", "vsb"),
    ("v_news_content", "vsb"),
    ('id="vsb_content', "vsb"),
    ("wp_articlecontent", "webplus"),
    ("arti_title", "webplus"),
    ("field--name-body", "drupal"),
    ("field-name-body", "drupal"),
    ("/wp-content/", "wordpress"),
    ("/system/resource/js/", "vsb"),
)
_GENERATOR = re.compile(
    r"""<meta[^>]+name=["']?generator["']?[^>]+content=["']?\s*(wordpress|drupal)""", re.I
)
_URLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/info/\d+/\d+\.htm$"), "vsb"),
    (re.compile(r"/c\d+a\d+/page\.(?:htm|psp)$"), "webplus"),
)


def detect_family(url: str, html: str) -> str | None:
    """The CMS family a page comes from, read off the page (and its URL), or None."""
    low = html[:400_000].lower()
    generator = _GENERATOR.search(low)
    for marker, family in _MARKERS[:5]:  # the body containers decide first
        if marker.lower() in low:
            return family
    if generator:
        return generator.group(1)
    for marker, family in _MARKERS[5:]:
        if marker.lower() in low:
            return family
    for rx, family in _URLS:
        if rx.search(url):
            return family
    return None
