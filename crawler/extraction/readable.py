"""readability-lxml over the tree we parsed already: a copy per pass instead of a re-parse, and
a cleaner without the link rewriting that only matters for HTML shown in a browser."""

from __future__ import annotations

import copy
from typing import Any

from lxml.html import HtmlElement
from lxml_html_clean import Cleaner
from readability import Document
from readability.readability import REGEXES

# readability's own cleaner (readability/cleaners.py) less `javascript`: that step rewrites
# every link and drops on* attributes, a third of readability's time, and changes no text (the
# archived body HTML is cleaned of both in `text.clean_html` anyway). Inline styles still go, as
# readability's cleaner removes them (caption detection reads the body as readability leaves it).
_CLEANER = Cleaner(
    scripts=True,
    javascript=False,
    comments=True,
    style=True,
    inline_style=True,
    links=True,
    meta=False,
    add_nofollow=False,
    page_structure=False,
    processing_instructions=True,
    embedded=False,
    frames=False,
    forms=False,
    annoying_tags=False,
    remove_unknown_tags=False,
    safe_attrs_only=False,
)
_DISPLAY_NONE = REGEXES["displayNoneRe"]


class TreeDocument(Document):
    """`Document` reading a parsed page: each of its passes gets a fresh copy of the tree."""

    def __init__(self, tree: HtmlElement) -> None:
        super().__init__("")
        self._tree = tree

    def _parse(self, input: Any) -> HtmlElement:  # readability's signature
        doc = copy.deepcopy(self._tree)
        self.encoding = "utf-8"
        # What readability's own _parse does, in its order (hidden elements, then cleaning).
        for elem in doc.xpath("//*[@hidden]"):
            elem.drop_tree()
        for elem in doc.xpath("//*[@style]"):
            if _DISPLAY_NONE.search(elem.get("style")):
                elem.drop_tree()
        _CLEANER(doc)
        doc.resolve_base_href(handle_failures="discard")
        return doc
