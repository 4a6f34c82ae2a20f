"""The generic page: readability-lxml finds the body; metadata comes from tags, JSON-LD and the page."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import cached_property

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction import bylines
from crawler.extraction.article import Image, NotAnArticle
from crawler.extraction.blocks import continuation
from crawler.extraction.dates import find_date, parse_date
from crawler.extraction.headlines import headline_after
from crawler.extraction.pages.base import ArticlePage
from crawler.extraction.readable import TreeDocument
from crawler.extraction.text import fold, text_of

logger = logging.getLogger(__name__)

_TITLE_SPLIT = re.compile(r"\s+[-|–—_·]\s+|_")
# Byline elements, most trustworthy kind first; one pass over the page finds them all.
_BYLINE_KINDS = (
    ("rel", "author"),
    ("itemprop", "author"),
    ("class", "wp-block-post-author__name"),
    ("class", "full-name"),
    ("class", "byline"),
    ("class", "author-name"),
    ("class", "field--name-field-author"),
)
_BYLINE_XPATH = etree.XPath(
    "//*[@rel='author' or @itemprop='author' or @class and (contains(@class, 'full-name')"
    " or contains(@class, 'byline') or contains(@class, 'author-name')"
    " or contains(@class, 'wp-block-post-author__name')"
    " or contains(@class, 'field--name-field-author'))]"
)
# Links to an author's profile page (a republished piece names its writer this way:
# "<a href=…/profiles/shelia-r-cotten>Shelia R. Cotten</a>, Clemson University").
_PROFILE_LINK_XPATH = etree.XPath(
    "//body//p//a[contains(@href, '/profiles/') or contains(@href, '/author/')"
    " or contains(@href, '/authors/') or contains(@href, '/people/')]"
)  # in a paragraph of prose: the cards of related posts link their authors too
_PERSON_NAME = re.compile(r"^[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}$")
# Parts of a headline that are not the headline: a subtitle span inside the <h1>.
_IN_HEADLINE_DEK = etree.XPath(
    ".//*[contains(@class, 'subtitle') or contains(@class, 'dek') or contains(@class, 'kicker')]"
)
_DATE_XPATHS = tuple(
    etree.XPath(x)
    for x in (
        '//*[@itemprop="datePublished"]',
        "//time[@datetime]",
        '//*[contains(concat(" ", normalize-space(@class), " "), " date ")]',
        '//*[contains(@class, "publish") and contains(@class, "date")]',
    )
)
# Lines readability keeps that no reader counts as the article: share bars, "related" headers,
# photo credits and slideshow counters, update stamps, lone numbers.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
      advertisement|close|print|tweet|e-?mail|tags?:?|comments?|\d+\ comments?|\d+|
      share(?:\ this)?(?:\ on\ \w+)?(?:\ article|\ story)?|
      (?:read|see|show)\ more\b.{0,60}|related(?:\ articles|\ stories|\ posts)?:?.{0,80}|
      you\ may\ also\ like.{0,40}|don'?t\ miss.{0,20}|more\ from\ .{0,60}|recommended.{0,40}|
      (?:subscribe|sign\ up|follow\ us|click\ here|download\ the\ app)\b.{0,120}|
      image\ \d+\ of\ \d+|\(?(?:photo|image|picture)s?(?:\ credit)?:.{0,100}|
      .{0,400}\((?:image|photo|picture)s?(?:\ credit)?:[^)]{0,80}\)|
      (?:updated|published|posted|last\ modified)(?:\ at|\ on)?:?\ .{0,60}\d.{0,40}|
      (?:posted|filed)\ (?:in|under)\ .{0,80}|categor(?:y|ies):\ .{0,80}|
      (?:home|首页|当前位置[：:]?)\s*[▸>»›/].{0,200}
    )$""",
    re.I | re.X,
)


_HEADLINE_XPATH = etree.XPath(
    "//body//*[self::h1 or self::h2 or @class and (contains(@class, 'biaoti') or contains(@class, 'headline')"
    " or contains(@class, 'arti_title') or contains(@class, 'article-title')"
    " or contains(@class, 'news_title') or contains(@class, 'v_news_title')"
    " or @class='title' or @class='bt' or @class='tit')]"
)


_DEK_XPATH = etree.XPath(
    "//body//*[@class][contains(@class, 'field--name-field-subtitle') or contains(@class, 'subtitle')"
    " or contains(@class, 'standfirst') or contains(@class, 'dek') or contains(@class, 'news-excerpt')"
    " or contains(@class, 'subheadline')][not(ancestor::a)]"
)


# The class words _DEK_XPATH looks for (its contains() is case-sensitive too).
_DEK_WORDS = ("subtitle", "standfirst", "dek", "news-excerpt", "subheadline")
_ITEM_DATE = re.compile(r"\b\d{4}[.\-/]\d{1,2}\b|\b\d{1,2}\s+\d{4}[.\-/]\d{1,2}\b")


def _headline_text(h1: HtmlElement) -> str:
    """An <h1>'s text without the subtitle some themes put inside it."""
    decks = _IN_HEADLINE_DEK(h1)
    if not decks:
        return text_of(h1)
    skip = {id(el) for d in decks for el in d.iter()}
    parts = []
    for el in h1.iter():
        if id(el) in skip:
            continue
        if el.text:
            parts.append(el.text)
        if el is not h1 and el.tail and id(el.getparent()) not in skip:
            parts.append(el.tail)
    return fold(" ".join(parts))


def _link_density(el: HtmlElement) -> float:
    text = len(text_of(el))
    if not text:
        return 0.0
    return sum(len(text_of(a)) for a in el.iter("a")) / text


class ReadabilityArticlePage(ArticlePage):
    """Any article page: readability-lxml picks the body, the rest is read from the markup."""

    layout = "generic"

    @cached_property
    def _summary(self) -> HtmlElement | None:
        try:
            # No url=: readability would rewrite every link in the page absolute (a third of its
            # time); images are resolved against the page URL in `images()` instead.
            html = TreeDocument(self.tree).summary(html_partial=True)
        except Exception as exc:  # readability raises bare Unparseable and lxml errors
            logger.debug("readability failed on %s: %s", self.url, exc)
            return None
        if not html.strip():
            return None
        try:
            return lxml.html.fragment_fromstring(html, create_parent="div")
        except (AssertionError, etree.ParserError, ValueError) as exc:  # a page without <body>
            logger.debug("readability's summary of %s does not parse: %s", self.url, exc)
            return None

    def body_elements(self) -> list[HtmlElement]:
        summary = self._summary
        if summary is None:
            return []
        self.from_readability = True
        body = [summary, *continuation(self.tree, summary)]
        for el in body:
            self.prune_link_lists(el)
        return body

    @staticmethod
    def prune_link_lists(root: HtmlElement) -> None:
        """Drop link lists inside the article container: "related", tags, more-from, share."""
        for el in list(root.iter("ul", "ol", "div", "section", "aside", "p")):
            if el is root or el.getparent() is None or el.find(".//img") is not None:
                continue
            if any(a.tag in ("blockquote", "table") for a in el.iterancestors()):
                continue  # embedded posts and data tables are content, links and all
            # Raw text_content() lengths (C, no folding) are close enough for a ratio.
            text_len = len(el.text_content().strip())
            if 0 < text_len < 600:
                linked = sum(len(a.text_content().strip()) for a in el.iter("a"))
                if linked > 0.6 * text_len:
                    el.drop_tree()

    from_readability = False  # set when readability chose the body (no layout selector did)

    def clean_lines(self, lines: list[str], title: str) -> list[str]:
        if not self.from_readability:
            return lines  # a layout's own selectors picked exactly the body: keep every line
        counts: dict[str, int] = {}
        for line in lines:
            counts[line] = counts.get(line, 0) + 1
        lowered_title = title.lower()
        out = []
        seen: set[str] = set()
        for line in lines:
            if _BOILERPLATE_LINE.match(line) or line.lower() == lowered_title:
                continue
            if counts[line] > 1 and 25 <= len(line) < 300 and line in seen:
                continue  # repeated captions and slideshow text: once is enough
            seen.add(line)
            out.append(line)
        return out

    def images(self, body: list[HtmlElement]) -> tuple[list[Image], set[str]]:
        found, drop = super().images(body)
        if found or not self.from_readability:
            return found, drop
        # readability often drops the lead figure; take figures from the article container.
        figures = self.tree.xpath(
            "//article//figure[.//img] | //main//figure[.//img]"
            " | //*[@itemprop='articleBody']//figure[.//img]"
        )
        more, more_drop = super().images(figures[:8])
        return more, drop | more_drop

    def _prose_found(self) -> bool:
        """Whether readability found a body of prose (text, few links) despite listing signals."""
        summary = self._summary
        if summary is None:
            return False
        return len(text_of(summary)) >= 250 and _link_density(summary) < 0.3

    def has_layout_body(self) -> bool:
        """Whether the page has the body container its layout defines (then it is an article)."""
        return False

    def not_an_article(self) -> None:
        super().not_an_article()
        body = self.tree.find("body")
        if body is None:
            return
        # A listing has no paragraph of prose, and either is mostly link text or is a list of
        # dated links (the column index pages of every CMS we crawl).
        if self.has_layout_body() or self.meta.jsonld.get("articleBody"):
            return
        if any(len(text_of(p)) > 120 for p in body.iter("p")):
            return
        links = body.xpath(".//a[@href]")
        link_text = sum(len(text_of(a)) for a in links)
        if link_text < 0.25 * len(self.body_text) or self._prose_found():
            return
        if len(links) > 20 and link_text > 0.6 * max(len(self.body_text), 1):
            raise NotAnArticle("listing", "the page is a list of links")
        dated = 0
        for item in body.xpath(".//li[.//a[@href]] | .//tr[.//a[@href]]"):
            if find_date(text_of(item), self.tz) is not None or _ITEM_DATE.search(text_of(item)):
                dated += 1
                if dated >= 5:
                    raise NotAnArticle("listing", "the page is a list of dated links")

    def title(self) -> str | None:
        page_title = fold(self.tree.findtext(".//title"))
        og = self.meta.first("og:title", "twitter:title")
        ld = self.meta.jsonld.get("headline")
        ld = fold(ld) if isinstance(ld, str) else None
        for h1 in self.tree.iter("h1"):
            h = _headline_text(h1)
            if self.is_section_heading(h, page_title):
                # The column's name over the page ("智库动态"); the article's own headline is
                # the next heading (an h3 in the article block).
                after = headline_after(h1, self.link_texts)
                if after:
                    return after
                continue
            if (
                h
                and len(h) > 3
                and any(h in (c or "") or (c or "") in h for c in (page_title, og, ld) if c)
            ):
                return h
        visible = self.headline_from_title()
        if visible:
            return visible
        if ld:
            return ld
        if og:
            return og
        headline = self._headline_element_text(page_title)
        if headline:
            return headline
        if page_title:
            parts = [p.strip() for p in _TITLE_SPLIT.split(page_title) if p.strip()]
            return max(parts, key=len) if parts else page_title
        return None

    def _headline_element_text(self, page_title: str) -> str | None:
        """A headline marked up by class (title, biaoti, headline…) or by an <h1>/<h2>.

        Old CMS pages often have a generic <title> (the site name); their headline sits in a
        `td.biaoti` or a `div.title` before the body.
        """
        for el in _HEADLINE_XPATH(self.tree):
            t = text_of(el)
            if 5 <= len(t) <= 120 and t != page_title and el.find(".//a") is None:
                return t
        return None

    def published_at(self) -> datetime | None:
        for cand in (
            self.meta.jsonld.get("datePublished"),
            self.meta.first(
                "article:published_time",
                "og:published_time",
                "datepublished",
                "pubdate",
                "publishdate",
                "publish-date",
                "publication_date",
                "date",
                "dc.date",
                "dc.date.issued",
                "dcterms.created",
                "sailthru.date",
                "parsely-pub-date",
            ),
        ):
            dt = parse_date(cand, self.tz) if isinstance(cand, str) else None
            if dt is not None:
                return self._bare_midnight(self._local_twin(dt))
        labelled, _ = self.page_dates()
        if labelled is not None:
            return labelled
        for xp in _DATE_XPATHS:
            for el in xp(self.tree)[:3]:
                value = el.get("datetime") or el.get("content") or text_of(el)
                dt = (
                    parse_date(value, self.tz, self.day_first)
                    if value and len(value) < 80
                    else None
                )
                if dt is not None:
                    return dt
        return None

    def _bare_midnight(self, dt: datetime) -> datetime:
        """A date without a time that a CMS wrote as midnight UTC ("2019-12-02T00:00:00Z") is
        that day where the site is, not a moment stamped +00:00."""
        if dt.utcoffset() != timedelta(0) or (dt.hour, dt.minute, dt.second) != (0, 0, 0):
            return dt
        local = dt.replace(tzinfo=self.tz)
        return local if local.utcoffset() != timedelta(0) else dt

    def _local_twin(self, dt: datetime) -> datetime:
        """The same instant as the page shows it, when metadata gives it in UTC (Yoast does)
        and a `<time datetime>` gives it with the local offset: the offset is information."""
        if dt.utcoffset() != timedelta(0):
            return dt
        for el in self.tree.xpath("//time[@datetime]")[:6]:
            seen = parse_date(el.get("datetime"), self.tz)
            if seen is not None and seen.utcoffset() and abs(seen - dt) <= timedelta(minutes=1):
                return seen
        return dt

    def updated_at(self) -> datetime | None:
        cand = self.meta.jsonld.get("dateModified") or self.meta.first(
            "article:modified_time", "og:updated_time", "dcterms.modified", "last-modified"
        )
        dt = parse_date(cand, self.tz) if isinstance(cand, str) else None
        return dt or self.page_dates()[1]

    def source(self) -> str | None:
        # The outlet as it names itself (og:site_name: "Rutgers Today", "MIT News"); the
        # institution's own name ("Hertie School", a JSON-LD publisher) is no source line.
        pub = self.meta.jsonld.get("publisher")
        for name in (
            self.meta.first("og:site_name"),
            fold(pub["name"])
            if isinstance(pub, dict) and isinstance(pub.get("name"), str)
            else None,
            self.meta.first("application-name"),
        ):
            if name and bylines.is_outlet(name):
                return name
        return None

    def subtitle(self) -> str | None:
        if not any(word in self.html for word in _DEK_WORDS):
            return None  # a scan of the page's bytes is cheaper than an XPath over every class
        for el in _DEK_XPATH(self.tree)[:1]:
            t = text_of(el)
            if 10 <= len(t) <= 300:
                return t
        return None

    def byline(self) -> bylines.Byline:
        out = bylines.Byline()
        visible: list[str] = []
        found = _BYLINE_XPATH(self.tree)
        for attr, word in _BYLINE_KINDS:
            for el in found:
                value = el.get(attr) or ""
                if word not in (value.split() if attr == "class" else [value]):
                    continue
                if attr == "itemprop":  # the name inside an author block, when it is marked up
                    el = next(iter(el.xpath(".//*[@itemprop='name']")), el)
                name = text_of(el) or fold(el.get("data-alt") or el.get("content"))
                name = re.sub(r"^(by|written by|story by)\s+", "", name, flags=re.I).strip()
                if name and len(name) < 60 and name not in visible:
                    visible.append(name)
                if len(visible) >= 4:
                    break
            if visible:
                break
        meta_author = self.meta.first("author", "article:author", "dc.creator")
        if meta_author and meta_author not in self.body_text:
            # A <meta name=author> the page never shows is the CMS user who posted it (a
            # press officer), not the article's author.
            meta_author = None
        declared = self.meta.ld_people("author") or ([meta_author] if meta_author else [])
        declared = [d for d in declared if not d.startswith("http")]
        # Prefer the visible full name where the declared one is a truncation of it (Rutgers:
        # JSON-LD "Todd", byline "Todd Bates").
        names: list[str] = []
        for d in declared:
            longer = next((v for v in visible if v != d and v.startswith(d)), None)
            names.append(longer or d)
        if not names:
            names = visible
        from urllib.parse import urlsplit

        host = urlsplit(self.url or "").hostname or ""
        site_name = self.meta.first("og:site_name") or ""
        if not any(bylines.is_person(n, host, site_name) for n in names):
            profiles = [
                t
                for a in _PROFILE_LINK_XPATH(self.tree)
                if (t := text_of(a)) and _PERSON_NAME.match(t)
            ]
            names += [p for p in dict.fromkeys(profiles) if bylines.is_person(p, host, site_name)][
                :4
            ]
        out.add("authors", names)
        return out
