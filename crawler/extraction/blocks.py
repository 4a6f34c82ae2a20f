"""A story told in several blocks: the body containers of one article, not of its neighbours."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

# Containers of other stories on the page: teasers, view rows, related and promoted boxes.
_ELSEWHERE = re.compile(
    r"teaser|views?-row|view-mode-(?!full)|related|promo|sidebar|card|listing|more-stories", re.I
)


def sibling_bodies(first: HtmlElement, found: list[HtmlElement]) -> list[HtmlElement]:
    """`first` and every other body container in `found` (page order) that belongs to the same
    article: not nested in another, not inside a teaser or a related box, and under the same
    <article> (or <main>) as `first`."""
    home = _home(first)
    kept: list[HtmlElement] = []
    for el in found:
        if el is not first and (
            _home(el) is not home
            or _inside_other_story(el, home)
            or any(k in el.iterancestors() or el in k.iterancestors() for k in kept)
        ):
            continue
        kept.append(el)
    return kept


def _home(el: HtmlElement) -> HtmlElement | None:
    for anc in el.iterancestors():
        if anc.tag in ("article", "main"):
            return anc
    return None


def _inside_other_story(el: HtmlElement, home: HtmlElement | None) -> bool:
    for anc in el.iterancestors():
        if anc is home:
            return False
        if _ELSEWHERE.search(f"{anc.get('class') or ''} {anc.get('id') or ''}"):
            return True
    return False


# Blocks after an article that are page furniture, whatever their text.
_CHROME = re.compile(
    r"comment|footer|share|social|related|newsletter|subscribe|sidebar|nav|menu|breadcrumb|"
    r"pager|pagination|tags|author|promo|advert|cookie|teaser|card|recommend|popular|trending|"
    r"more-|contact",
    re.I,
)
_ASIDE_TAGS = frozenset(
    {"figure", "aside", "blockquote", "hr", "picture", "img", "iframe", "video", "table", "form"}
)
# What follows a story in a block of its own: comments, the author's bio, "About Ascom".
_AFTERWORD = etree.XPath(
    ".//*[contains(@class, 'comment') or contains(@id, 'comment') or contains(@id, 'respond')"
    " or contains(@class, 'bio') or contains(@class, 'author')]"
    " | .//*[self::h2 or self::h3 or self::h4 or self::strong][starts-with(normalize-space(.),"
    " 'About ') or starts-with(normalize-space(.), 'Über ') or starts-with(normalize-space(.),"
    " 'À propos')]"
)
_FIND_TEXT = etree.XPath("//body//text()[contains(., $s)]")
_MIN_PARAGRAPH = 80
_MAX_GAPS = 2  # a pull quote, a gallery, a related box between two sections; not more


def continuation(tree: HtmlElement, summary: HtmlElement) -> list[HtmlElement]:
    """Sections of prose that follow the block readability chose, in the page itself: a long
    story whose sections sit in sibling wrappers (each in its own container/row/column, or
    around a pull quote or a gallery) that readability scored as separate candidates."""
    texts = [t for t in summary.itertext() if len(t.strip()) >= 40]
    if not texts:
        return []
    # The block readability chose, in the page: from where its last text is, up to the
    # element that also holds its first (one search of the page, not two).
    node = _located(tree, texts[-1])
    opening = texts[0].strip()[:60]
    while node is not None and opening not in node.text_content():
        node = node.getparent()
    if node is None:
        return []
    own = len(node.text_content())
    while (parent := node.getparent()) is not None and parent.tag not in ("body", "html"):
        if len(parent.text_content()) > own * 1.2 + 100:
            break
        node = parent
    seen = " ".join(summary.itertext())
    out: list[HtmlElement] = []
    gaps = 0
    for sib in node.itersiblings():
        if not isinstance(sib.tag, str) or sib.tag in ("script", "style", "noscript", "template"):
            continue
        kind = _kind(sib, _same_kind(node, sib))
        if kind == "prose":
            first_para = next(p for p in sib.iter("p") if len(p.text_content()) >= _MIN_PARAGRAPH)
            if first_para.text_content().strip()[:60] not in seen:
                out.append(sib)
            gaps = 0
        elif kind == "aside" and gaps < _MAX_GAPS:
            gaps += 1
        else:
            break
    return out


def _opens_with_rule(el: HtmlElement) -> bool:
    """A block that opens with a horizontal rule: the note under a story (a press release's
    "about the company"), not its next section."""
    for d in el.iterdescendants():
        if d.tag not in ("div", "section", "span"):
            return d.tag == "hr"
    return False


def _same_kind(a: HtmlElement, b: HtmlElement) -> bool:
    """Blocks of one template: the same tag and the same base class ("section section--text",
    "section section--accordion"), or most classes in common."""
    ours, theirs = (a.get("class") or "").split(), (b.get("class") or "").split()
    if a.tag != b.tag or not ours or not theirs:
        return False
    common = set(ours) & set(theirs)
    return ours[0] == theirs[0] or len(common) >= 0.5 * len(set(ours) | set(theirs))


def _located(tree: HtmlElement, text: str) -> HtmlElement | None:
    try:
        found = _FIND_TEXT(tree, s=text.strip()[:60])
    except ValueError:  # control characters a mangled page carries cannot be an XPath string
        return None
    if not found:
        return None
    hit = found[0]
    parent = hit.getparent()
    if parent is not None and hit.is_tail:
        parent = parent.getparent()
    return parent if isinstance(parent, HtmlElement) else None


def _kind(el: HtmlElement, same: bool) -> str:
    """ "prose" (paragraphs, few links, in a block of the story's own template), "aside" (short
    or furniture: skip it and go on), or "end" (prose of another kind: an "about us", a bio)."""
    text = len(el.text_content().strip())
    if not text:
        return "aside"
    if el.tag in _ASIDE_TAGS or _CHROME.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
        return "aside" if text < 600 else "end"
    if _AFTERWORD(el) or _opens_with_rule(el):
        return "end"
    links = sum(len(a.text_content().strip()) for a in el.iter("a"))
    paragraphs = [p for p in el.iter("p") if len(p.text_content().strip()) >= _MIN_PARAGRAPH]
    if paragraphs and links < 0.2 * text:
        return "prose" if same else "end"
    return "aside" if text < 300 else "end"
