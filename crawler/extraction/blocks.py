"""A story told in several blocks: the body containers of one article, not of its neighbours."""

from __future__ import annotations

import re

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
