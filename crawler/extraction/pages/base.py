"""The page-object base: one small method per field; `to_article()` assembles and cleans them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from lxml.html import HtmlElement

from crawler.extraction import bylines
from crawler.extraction.article import Article, Attachment, Image, NotAnArticle
from crawler.extraction.dates import (
    DEFAULT_TZ,
    PUBLISHED_LABELS,
    UPDATED_LABELS,
    day_first_for,
    find_date,
    iso,
    labelled_date,
    parse_date,
)
from crawler.extraction.headlines import is_section_name, kicker_above, link_texts
from crawler.extraction.metadata import Metadata, declared_offset
from crawler.extraction.text import clean_html, fold, lines_of, text_of

if TYPE_CHECKING:
    from crawler.sites import Site

_ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|txt|csv|wps|et|dps)(\?|$)", re.I)
# Links to files without an extension: VSB/博达's download.jsp?urltype=news.DownloadAttachUrl…
_ATTACHMENT_LINK = re.compile(r"/download\.jsp\b|DownloadAttachUrl", re.I)
_CJK = re.compile(r"[\u3400-\u9fff]")
_JS_REDIRECT = re.compile(
    r"(window\.|document\.|self\.|top\.)?location(\.href)?\s*(=|\.replace\(|\.assign\()", re.I
)
_DATE_ONLY_LINE = re.compile(
    r"^[\[【(（]?\s*(发布时间|发布日期|发表时间|时间|日期|更新时间|更新|Published|Posted|Updated)?\s*[：:]?\s*"
    r"\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?(\s*\d{1,2}:\d{2}(:\d{2})?)?\s*[\]】)）]?$",
    re.I,
)


# "Photo: Jane Doe", "… field visit. (Photo by Jane Doe)": an optional caption, then the credit.
# "WASHINGTON (January 24, 2017) —", "BOSTON, Jan. 5, 2020 –": a city, then the date.
_EN_DATELINE = re.compile(
    r"^[A-Z][A-Za-z .,'-]{1,40}?[,(]\s*"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\s*\)?"
)
_PHOTO_CREDIT = re.compile(
    r"^(.*?[.!?。)]\s+)?[(（]?(?:photo|photograph|image|picture)s?(?:\s+credit)?\s*(?:by|:)\s*"
    r"([^()（）]{2,80}?)[)）]?$",
    re.I,
)


_KICKER_LINE_END = re.compile(r"\s*(?:——|—|--|－－|──)\s*$")
_VISIBLE_TEXT = (
    ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
)


def _is_selector_xpath(selector: str) -> bool:
    from crawler.sites import XPATH_PREFIXES

    return selector.startswith(XPATH_PREFIXES)


class ArticlePage:
    """A parsed page and the ways to read an article's fields from it.

    Subclasses for a site or layout override only the fields they know better; everything
    else falls back to the generic rules here and in `ReadabilityArticlePage`.
    """

    layout = "generic"

    def __init__(self, html: str, url: str, tree: HtmlElement, site: Site | None = None) -> None:
        self.html = html
        self.url = url
        self.tree = tree
        self.site = site
        self.meta = Metadata(tree)
        self.tz: tzinfo = site.tz if site is not None else self._guess_tz()

    def _guess_tz(self) -> tzinfo:
        """Without a site file: the offset the page's own metadata gives its dates, else China's
        time for a Chinese page, else UTC. A date without an offset stays on its own calendar
        day (a US page never gets +08:00, a Berlin page's bare date no +00:00)."""
        declared = declared_offset(self.meta)
        if declared is not None:
            return declared
        lang = (self.meta.lang() or "").lower()
        if lang.startswith("zh"):
            return DEFAULT_TZ
        # No language, or one a template declares by default ("en" on Chinese VSB pages): the
        # headline's script decides, or the text's when there is no <title>.
        title = self.tree.findtext(".//title") or ""
        if not title.strip():
            body = self.tree.find("body")
            title = body.text_content()[:2000] if body is not None else ""
        return DEFAULT_TZ if _CJK.search(title) or not (lang or title.strip()) else UTC

    @cached_property
    def day_first(self) -> bool | None:
        """How the page writes 02/12/2019: by its language, or the site's (None: unknown)."""
        # The whole tag: "en-GB" and "en-US" differ exactly here (meta.lang() keeps "en").
        lang = (
            self.tree.get("lang")
            or self.meta.first("content-language", "og:locale")
            or (self.site.language if self.site is not None else None)
        )
        return day_first_for(lang, self.tz)

    # --- selectors from the site file -------------------------------------------------------
    def select(self, field: str) -> list[HtmlElement] | None:
        """Elements a site file's `selectors` names for `field`, or None when it names none."""
        if self.site is None or field not in self.site.selectors:
            return None
        sel = self.site.selectors[field]
        found = self.tree.xpath(sel) if _is_selector_xpath(sel) else self.tree.cssselect(sel)
        return [e for e in found if isinstance(e, HtmlElement)]

    def selected_text(self, field: str) -> str | None:
        els = self.select(field)
        if els is None:
            return None
        return fold(" ".join(text_of(e) for e in els)) or None

    # --- fields: override in subclasses ---------------------------------------------------
    def body_elements(self) -> list[HtmlElement]:
        raise NotImplementedError

    def title(self) -> str | None:
        return None

    def subtitle(self) -> str | None:
        return None

    @cached_property
    def link_texts(self) -> set[str]:
        return link_texts(self.tree)

    def is_section_heading(self, heading: str, page_title: str) -> bool:
        """Whether a heading names the page's column or site rather than the article."""
        return bool(heading) and is_section_name(heading, page_title, lambda: self.link_texts)

    def kicker(self, title: str) -> str | None:
        """The line above the headline that leads into it (引题), if the page prints one."""
        if not (_CJK.search(title) or "kicker" in self.html):
            return None  # a Chinese newsroom's convention, or one a template marks: no page walk
        return kicker_above(self.visible_texts, title)

    def published_at(self) -> datetime | None:
        return None

    def updated_at(self) -> datetime | None:
        return None

    def source(self) -> str | None:
        return None

    def byline(self) -> bylines.Byline:
        """People named outside the body (meta tags, byline elements)."""
        return bylines.Byline()

    def clean_lines(self, lines: list[str], title: str) -> list[str]:
        """A layout's last say over the body lines (boilerplate it knows); identity by default."""
        return lines

    def keywords(self) -> list[str]:
        kw = self.meta.first("keywords", "news_keywords", "article:tag")
        if not kw:
            return []
        parts = (
            re.split(r"[,，;；、|]+|\s{1,}", kw)
            if "," in kw or "，" in kw
            else re.split(r"[\s;；、|]+", kw)
        )
        return [p.strip() for p in parts if p.strip()][:30]

    def language(self, text: str) -> str | None:
        lang = self.meta.lang()
        if lang:
            return "zh" if lang in ("zh", "cn") else lang
        if self.site is not None:
            return self.site.language
        sample = text[:2000]
        if not sample:
            return None
        return "zh" if len(_CJK.findall(sample)) > len(sample) * 0.2 else "en"

    def canonical_url(self) -> str | None:
        href = self.meta.canonical()
        return urljoin(self.url, href) if href else None

    @cached_property
    def visible_texts(self) -> list[str]:
        """The page body's visible text nodes in document order (read once: several fields
        look through them). Scripts and styles would swamp the ratios that detect listings."""
        body = self.tree.find("body")
        return [] if body is None else body.xpath(_VISIBLE_TEXT)

    @cached_property
    def body_text(self) -> str:
        """The visible text of the page body, folded."""
        return fold(" ".join(self.visible_texts))

    def page_dates(self) -> tuple[datetime | None, datetime | None]:
        """Labelled dates anywhere in the visible page: (published, updated)."""
        text = self.body_text
        return (
            labelled_date(text, PUBLISHED_LABELS, self.tz, self.day_first),
            labelled_date(text, UPDATED_LABELS, self.tz, self.day_first),
        )

    def headline_from_title(self) -> str | None:
        """The visible headline the page's <title> begins with: the <title> without its site
        suffix ("…-数据科学与计算机视觉实验室", "… - Schmid College"), taken only when the page
        shows that text by itself (an h3 in a VSB form, a span in an old table template)."""
        page_title = fold(self.tree.findtext(".//title"))
        heads = _title_heads(page_title)
        if not heads:
            return None
        body = self.tree.find("body")
        if body is None:
            return None
        found: str | None = None
        for text in self.visible_texts:
            t = fold(text)
            if t in heads and (found is None or len(t) > len(found)):
                found = t
        for el in body.iter("h1", "h2", "h3", "h4", "h5"):
            t = text_of(el)
            if t in heads and (found is None or len(t) > len(found)):
                found = t
        if found and self.is_section_heading(found, page_title):
            return None  # "智库动态-发展研究院": the <title> begins with the column's name
        return found

    def _date_above(self, first_line: str) -> datetime | None:
        """The date printed between headline and body, as most Chinese CMSs do, if any."""
        text = self.body_text
        end = text.find(first_line[:20])
        if end <= 0:
            return None
        return find_date(text[max(0, end - 300) : end], self.tz)

    def _lead_wins(self, declared: datetime | None, first_lines: list[str]) -> datetime | None:
        """A dateline opening the body ("WASHINGTON (January 24, 2017) —") is the date readers
        see; it wins over metadata that puts the article on another day (a CMS time stamp in
        UTC, or the moment the draft was saved)."""
        lead = next((m for ln in first_lines if (m := _EN_DATELINE.match(ln))), None)
        if lead is None:
            return declared
        seen = find_date(lead.group(0), self.tz)
        if seen is None or (declared is not None and declared.date() == seen.date()):
            return declared
        return seen

    def _people_only(self, people: bylines.Byline) -> list[str]:
        """Drop bylines that name no person (a newsroom account, 佚名); return the organisations
        among them, which may name the source instead."""
        from urllib.parse import urlsplit

        host = urlsplit(self.url or "").hostname or ""
        site_name = self.meta.first("og:site_name") or ""
        organisations: list[str] = []
        for role in ("authors", "photographers", "editors", "reviewers"):
            # (contributors stay: 供稿 names the unit that supplied the story, by design)
            names = getattr(people, role)
            keep = [n for n in names if bylines.is_person(n, host, site_name)]
            if role == "authors":  # a photo or an edit credited to a unit names no source
                organisations += [
                    n for n in names if n not in keep and n.lower() not in bylines.NOT_NAMES
                ]
            setattr(people, role, keep)
        # The unit that supplied the story (供稿：计算机科学技术学院工会) is its source when
        # nothing else names one.
        organisations += [
            n for n in people.contributors if not bylines.is_person(n, host, site_name)
        ]
        return organisations

    # --- assembly ---------------------------------------------------------------------------
    def not_an_article(self) -> None:
        """Raise NotAnArticle for redirect stubs and empty shells."""
        body = self.tree.find("body")
        if body is not None and len(body.text_content()) > 3000:
            return  # text everywhere (scripts included) is cheap to count; stubs have none
        visible = self.body_text
        scripts = " ".join(s.text or "" for s in self.tree.iter("script"))
        refresh = self.tree.xpath('//meta[translate(@http-equiv,"REFSH","refsh")="refresh"]')
        if len(visible) < 40 and (_JS_REDIRECT.search(scripts) or refresh):
            raise NotAnArticle("redirect", "the page only redirects with a script or meta refresh")

    def images(self, body: list[HtmlElement]) -> tuple[list[Image], set[str]]:
        """Images in the body with their captions and credits, and the caption lines to drop."""
        images: list[Image] = []
        drop: set[str] = set()
        seen: set[str] = set()
        for root in body:
            for img in root.iter("img"):
                # A lazy-loading theme's src is a placeholder (often a data: URL); the image
                # itself waits in data-src.
                src = next(
                    (
                        v
                        for v in (img.get("src"), img.get("data-src"), img.get("data-original"))
                        if v and not v.lstrip().startswith("data:")
                    ),
                    None,
                )
                if not src:
                    continue
                url = urljoin(self.url, src.strip())
                if url in seen:
                    continue
                seen.add(url)
                caption, credit = self._caption(img, drop)
                images.append(Image(url=url, caption=caption, credit=credit))
        return images, drop

    def _caption(self, img: HtmlElement, drop: set[str]) -> tuple[str | None, str | None]:
        figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
        lines: list[str] = []
        if figure is not None:
            cap = figure.find(".//figcaption")
            if cap is not None:
                lines = lines_of(cap)
        else:
            block = _block_of(img)
            own = lines_of(block) if block is not None else []
            # Text sharing the image's own block is its caption only when that block is short
            # (a centred <p> with the photo and a line); a whole article <div> is not a caption.
            if sum(len(ln) for ln in own) > 120 or len(own) > 2:
                own, block = [], None
            lines = own[:]
            sib = block.getnext() if block is not None else None
            for _ in range(2):  # the caption paragraph, then maybe a separate credit line
                if sib is None or sib.find(".//img") is not None:
                    break
                txt = text_of(sib)
                if not txt or len(txt) > 90 or not _looks_like_caption(sib, txt):
                    break
                lines.append(txt)
                sib = sib.getnext()
        caption_parts: list[str] = []
        credit: str | None = None
        for line in lines:
            credit_m = _PHOTO_CREDIT.match(line)
            if credit_m:
                if credit_m.group(1):
                    caption_parts.append(credit_m.group(1).strip())
                credit = credit_m.group(2).strip()
                drop.add(line)
                continue
            b = bylines.parse_byline_line(line)
            if b is not None and b.photographers:
                credit = "、".join(b.photographers)
                drop.add(line)
                continue
            m = re.search(r"^(.*?[。.!！])\s*([^。]{2,12}\s*摄(影)?)$", line)
            if m:
                caption_parts.append(m.group(1).strip())
                credit = re.sub(r"\s*摄(影)?$", "", m.group(2)).strip()
                drop.add(line)
                continue
            caption_parts.append(line)
            drop.add(line)
        alt = fold(img.get("alt") or img.get("title"))
        caption = " ".join(caption_parts) or (alt if alt and len(alt) > 3 else None)
        return caption or None, credit

    def attachments(self, body: list[HtmlElement]) -> list[Attachment]:
        out: list[Attachment] = []
        seen: set[str] = set()
        for root in body:
            for a in root.iter("a"):
                href = a.get("href")
                if href and (_ATTACHMENT_EXT.search(href) or _ATTACHMENT_LINK.search(href)):
                    url = urljoin(self.url, href.strip())
                    if url not in seen:
                        seen.add(url)
                        out.append(Attachment(url=url, name=text_of(a) or url.rsplit("/", 1)[-1]))
        return out

    def to_article(self) -> Article:
        self.not_an_article()
        selected_body = self.select("body")
        body = selected_body if selected_body else self.body_elements()
        if not body:
            raise NotAnArticle("empty", "no article body found")
        lines = lines_of(body)
        title = self.selected_text("title") or self.title() or ""
        images, caption_lines = self.images(body)

        people = bylines.Byline()
        people.merge(self.byline())
        for img in images:  # "杨艳宾 摄" under a photo names a photographer of the article
            if img.credit:
                people.add("photographers", bylines.split_names(img.credit))
        kept: list[str] = []
        subtitle = self.selected_text("subtitle") or self.subtitle()
        kicker = self.selected_text("kicker") or self.kicker(title)
        head_zone = 6  # headline, kicker, subtitle and the source line live in the first lines
        for i, line in enumerate(lines):
            if line in caption_lines:
                continue
            if i < head_zone and title and (line == title or (len(line) > 8 and line in title)):
                continue
            if subtitle and line == subtitle:
                continue
            if i < head_zone and kicker and _KICKER_LINE_END.sub("", line) == kicker:
                continue
            if _DATE_ONLY_LINE.match(line):
                continue
            b = bylines.parse_byline_line(line)
            if b is not None:
                people.merge(b)
                continue
            kept.append(line)
        if kept:
            lead = bylines.parse_dateline(kept[0])
            if lead is not None:
                people.merge(lead)
            sig = bylines.trailing_signature(kept[-1])
            if sig and not people.authors:
                people.add("authors", [sig])
            if sig and kept[-1].strip("（）() ") == sig:
                kept.pop()  # a bare "（袁源）" is a byline line; "（单位 职务 姓名）" stays as a note
        for role, field in (
            ("authors", "authors"),
            ("photographers", "photographers"),
            ("editors", "editors"),
        ):
            sel = self.selected_text(field)
            if sel:
                setattr(people, role, bylines.split_names(sel))

        kept = self.clean_lines(kept, title)
        kept = _without_author_line(kept, people.authors)
        text = "\n".join(kept)
        if not text.strip():
            raise NotAnArticle("empty", "the body has no text")
        published = parse_date(
            self.selected_text("published_at"), self.tz, self.day_first
        ) or self._lead_wins(self.published_at(), kept[:3])
        published = published or self._date_above(kept[0])
        updated = parse_date(self.selected_text("updated_at"), self.tz) or self.updated_at()
        organisations = self._people_only(people)
        source = (
            self.selected_text("source")
            or self.source()
            or people.source
            or (organisations[0] if organisations else None)
        )
        article = Article(
            url=self.url,
            canonical_url=self.canonical_url(),
            kicker=kicker,
            title=title,
            subtitle=subtitle,
            text=text,
            html="",
            published_at=iso(published),
            updated_at=iso(updated) if updated and updated != published else None,
            source=source,
            authors=people.authors,
            photographers=people.photographers,
            editors=people.editors,
            reviewers=people.reviewers,
            contributors=people.contributors,
            images=images,
            attachments=self.attachments(body),
            language=self.language(text),
            keywords=self.keywords(),
            layout=self.layout,
        )
        article.html = clean_html(body)  # last: it cleans the body elements in place
        return article


def _without_author_line(lines: list[str], authors: list[str]) -> list[str]:
    """Lines without the byline paragraph that opens a republished piece ("Jane Doe, Tiny State
    University"): its name is in `authors` already."""
    for i, line in enumerate(lines[:3]):
        if len(line) < 120 and any(line.startswith(f"{a}, ") or line == a for a in authors):
            return lines[:i] + lines[i + 1 :]
    return lines


_TITLE_SEPARATOR = re.compile(r"\s*(?:\s[-|–—·]\s|[_|｜—–－]|-(?=\S))\s*")


def _title_heads(page_title: str) -> set[str]:
    """What a <title> may hold before a site suffix: each part of it up to a separator."""
    out: set[str] = set()
    for m in _TITLE_SEPARATOR.finditer(page_title):
        head = page_title[: m.start()].strip()
        if len(head) >= 4:
            out.add(head)
    return out


def _block_of(el: HtmlElement) -> HtmlElement | None:
    for anc in el.iterancestors():
        if anc.tag in ("p", "div", "figure", "center", "td", "li"):
            return anc
    return None


def _looks_like_caption(el: HtmlElement, text: str) -> bool:
    style = (el.get("style") or "").lower().replace(" ", "") + (el.get("align") or "").lower()
    inner_style = " ".join((s.get("style") or "") for s in el.iter("span", "font")).lower()
    cls = (el.get("class") or "").lower()
    return (
        "center" in style
        or "楷体" in inner_style
        or "kaiti" in inner_style
        or "caption" in cls
        or "摄" in text[-4:]
        or el.tag == "figcaption"
    )


def first_date_in(elements: list[HtmlElement], tz: tzinfo) -> datetime | None:
    for el in elements:
        dt = find_date(text_of(el), tz)
        if dt is not None:
            return dt
    return None
