"""HTML to text the way a reader sees it: one line per block, `<br>` breaks, whitespace folded."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable

from lxml import etree
from lxml.html import HtmlElement

# Elements that start a new line of text.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Elements whose text is never shown.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "iframe",
        "object",
        "embed",
        "svg",
        "button",
        "select",
    ]
)

_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


def fold(text: str | None) -> str:
    """Collapse every run of whitespace (U+3000 and NBSP included) to one space, and strip."""
    return _WS.sub(" ", text or "").strip()


def lines_of(elements: Iterable[HtmlElement] | HtmlElement) -> list[str]:
    """The visible text of elements, one line per block-level element or `<br>`, empties dropped."""
    if isinstance(elements, HtmlElement):
        elements = [elements]
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = fold("".join(buf))
        if line:
            out.append(line)
        buf.clear()

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in SKIP_TAGS or not isinstance(el.tag, str):
            if el.tail:
                buf.append(el.tail)
            return
        if _hidden(el):
            if el.tail:
                buf.append(el.tail)
            return
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if tag == "br":
            flush()
        elif tag in ("td", "th"):
            buf.append(" ")  # cells of a row read as one line
            if el.text:
                buf.append(el.text)
        elif el.text:
            buf.append(el.text)
        for child in el:
            walk(child)
        if block:
            flush()
        if el.tail:
            buf.append(el.tail)

    for el in elements:
        tail, el.tail = el.tail, None  # the tail is outside the element
        walk(el)
        el.tail = tail
        flush()
    return out


def _hidden(el: HtmlElement) -> bool:
    style = el.get("style")
    if style and "display" in style.lower():
        compact = style.lower().replace(" ", "")
        if "display:none" in compact:
            return True
    return el.get("hidden") is not None or el.get("aria-hidden") == "true"


def text_of(el: HtmlElement | None) -> str:
    """The folded text content of one element (no line structure)."""
    if el is None or not isinstance(el.tag, str):
        return ""  # a comment or processing instruction has no text of its own to read
    return fold(" ".join(t for t in el.itertext() if t))


_KEPT_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "colspan", "rowspan"})
_BAD_URLS = ("data:", "javascript:")


def clean_html(elements: Iterable[HtmlElement]) -> str:
    """Body HTML fit to archive: no scripts, styles, event handlers, classes or inline styles.

    Cleans the elements in place (copying every article body cost more than the cleaning):
    call it last, once every other field has been read from them.
    """
    parts = []
    for el in elements:
        for bad in el.xpath(".//script|.//style|.//noscript|.//iframe|.//form|.//input|.//button"):
            bad.drop_tree()
        for node in el.iter():
            if not isinstance(node.tag, str) or not node.attrib:
                continue
            keep = {
                k: v
                for k, v in node.attrib.items()
                if k in _KEPT_ATTRIBUTES
                # An inline image can be megabytes (the raw page keeps it); a script URL is
                # never content.
                and not (k in ("href", "src") and v.lstrip()[:11].lower().startswith(_BAD_URLS))
            }
            # Rebuilt, not deleted one by one: a mangled page's attribute names can be such
            # that lxml cannot even name them to delete them.
            node.attrib.clear()
            for k, v in keep.items():
                with contextlib.suppress(ValueError):
                    node.set(k, v)
        parts.append(etree.tostring(el, encoding="unicode", method="html", with_tail=False))
    return "\n".join(parts)
