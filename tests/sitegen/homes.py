"""Family home pages that link the news columns one way only (`SiteSpec.family_home`).

- "default": the family's own home page (its nav names the columns, and headings with 更多).
- "more": each column only as a section heading with a "MORE" link beside it
  (`<h2>学院新闻</h2> … <a href="xwzx/xyxw.htm">MORE</a>`); the nav names no column.
- "submenu": each column only in a sub-menu of a nav item that links nowhere ("新闻中心");
  the page's body lists the newest articles with their dates, with no column link.
- "index": one nav link to a column index page (/xwzx.htm, /newsroom/) that shows the newest
  items of each column, and a MORE link to each, with no pages of its own.

Each variant also has what a discoverer must leave alone: menu items and a headed section with a
MORE link whose names are no news (学校概况, 下载中心, About, Resources).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .layouts import attr, esc, url_path
from .model import DRUPAL, VSB2, WEBPLUS, WORDPRESS, ListItem

HOME_VARIANTS = ("default", "more", "submenu", "index")
# The MORE link each family's variant pages use: every spelling discover must know.
MORE_TEXT = {VSB2: "MORE", WEBPLUS: "更多&gt;&gt;", WORDPRESS: "more &raquo;", DRUPAL: "View all"}
INDEX_PATH = {
    VSB2: "/xwzx.htm",
    WEBPLUS: "/xwzx.htm",
    WORDPRESS: "/newsroom/",
    DRUPAL: "/newsroom/",
}


@dataclass
class HomeColumn:
    name: str  # 学院新闻, News
    list_url: str  # the column's first listing page (origin URL)
    items: Sequence[ListItem]


def _zh(family: str) -> bool:
    return family in (VSB2, WEBPLUS)


def _items(items: Sequence[ListItem], n: int) -> str:
    return "".join(
        f'<li><a href="{attr(url_path(it.url))}" title="{attr(it.title)}">{esc(it.title)}</a>'
        f' <span class="date">{it.date}</span></li>\n'
        for it in items[:n]
    )


def _section(name: str, href: str, more: str, items: str) -> str:
    return (
        f'<div class="box"><div class="box_title"><h2>{esc(name)}</h2>'
        f' <a class="more" href="{attr(href)}">{more}</a></div>\n<ul>\n{items}</ul></div>\n'
    )


def _page(title: str, nav: str, main: str, zh: bool) -> bytes:
    lang = "zh-CN" if zh else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{esc(title)}'
        f'</title></head>\n<body>\n<div class="nav">{nav}</div>\n<div class="main">\n{main}</div>\n'
        "</body></html>\n"
    ).encode()


def _decoys(zh: bool) -> tuple[str, str]:
    """A menu item and a headed section whose names are no news: to be left alone."""
    if zh:
        return '<li><a href="/xxgk.htm">学校概况</a></li>', _section(
            "下载中心", "/xzzx.htm", "更多", '<li><a href="/xzzx/form1.doc">研究生登记表</a></li>\n'
        )
    return '<li><a href="/about/">About</a></li>', _section(
        "Resources",
        "/resources/",
        "View all",
        '<li><a href="/resources/brand/">Brand kit</a></li>\n',
    )


def home_pages(
    variant: str, family: str, title: str, home_path: str, columns: Sequence[HomeColumn]
) -> dict[str, bytes]:
    """The pages (path → bytes) of a home variant other than "default": the home page itself
    and, for "index", the column index page."""
    zh = _zh(family)
    more = MORE_TEXT[family]
    decoy_item, decoy_box = _decoys(zh)
    home_item = f'<li><a href="{attr(home_path)}">{"首页" if zh else "Home"}</a></li>'
    if variant == "more":
        nav = f'<ul class="menu">{home_item}{decoy_item}</ul>'
        boxes = "".join(
            _section(c.name, url_path(c.list_url), more, _items(c.items, 6)) for c in columns
        )
        return {home_path: _page(title, nav, boxes + decoy_box, zh)}
    if variant == "submenu":
        subs = "".join(
            f'<li><a href="{attr(url_path(c.list_url))}">{esc(c.name)}</a></li>' for c in columns
        )
        top = "新闻中心" if zh else "Newsroom"
        nav = (
            f'<ul class="menu">{home_item}<li><a href="javascript:void(0)">{top}</a>'
            f'<ul class="sub-menu">{subs}</ul></li>{decoy_item}</ul>'
        )
        latest = sorted((it for c in columns for it in c.items[:4]), key=lambda it: it.date)
        main = f'<div class="latest"><ul>\n{_items(latest[::-1], 8)}</ul></div>\n'
        return {home_path: _page(title, nav, main + decoy_box, zh)}
    if variant == "index":
        index = INDEX_PATH[family]
        top = "新闻中心" if zh else "Newsroom"
        nav = f'<ul class="menu">{home_item}<li><a href="{index}">{top}</a></li>{decoy_item}</ul>'
        home = _page(title, nav, decoy_box, zh)
        boxes = "".join(
            _section(c.name, url_path(c.list_url), more, _items(c.items, 3)) for c in columns
        )
        if len(columns) < 2:  # a second column the index links, gone from the site (404)
            gone = "媒体报道" if zh else "Press releases"
            boxes += _section(gone, "/mtbd.htm" if zh else "/press/", more, "")
        return {home_path: home, index: _page(f"{top} - {title}", nav, boxes, zh)}
    raise ValueError(f"unknown home variant {variant!r}; known: {', '.join(HOME_VARIANTS)}")
