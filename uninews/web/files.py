"""Archived files in `uninews serve`: the bytes by content hash with safe headers, an article's
images and attachments pointed at their archived copies, and the raw page shown with its
archived images and styles (nothing is fetched from the live site)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from fastapi import APIRouter, Request
from fastapi.responses import Response

from crawler.css import rewrite_css
from crawler.extraction import decode_html
from storage import ArchiveStore, RawPage
from uninews.web import queries

router = APIRouter(include_in_schema=False)

_SHA = re.compile(r"[0-9a-f]{64}")
# Shown inline: raster images (an SVG can carry script) and stylesheets (which a page loads
# whatever the disposition). Everything else is a download.
INLINE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif", "text/css"}
)
# A file is a document of its own only as a download, and then an inert one.
FILE_CSP = "sandbox; default-src 'none'"


def file_url(sha256: str) -> str:
    return f"/files/{sha256}"


@router.get("/files/{sha256}")
def archived_file(request: Request, sha256: str) -> Response:
    if not _SHA.fullmatch(sha256):
        raise queries.BadRequest("a file is named by its sha256: 64 hex digits")
    found = request.app.state.store.get_blob(sha256)
    if found is None:
        raise queries.NotFound(f"no archived file {sha256}")
    blob, body = found
    store = request.app.state.store
    if blob.mime == "text/css" and blob.url:
        # Its images and fonts from the archive too (relative to /files/ they would be lost).
        body = rewrite_css(body, blob.url, lambda url: _copy(store, url))
    name = blob.name or sha256
    disposition = "inline" if blob.mime in INLINE else "attachment"
    headers = {
        "Content-Type": blob.mime if "/" in blob.mime else "application/octet-stream",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
        "Content-Security-Policy": FILE_CSP,
        "X-Content-Type-Options": "nosniff",
        # Named by their content: the bytes behind a name never change (a stylesheet's
        # references may yet find more copies in the archive).
        "Cache-Control": "no-cache"
        if blob.mime == "text/css"
        else "public, max-age=31536000, immutable",
    }
    return Response(body, headers=headers)


def _copy(store: ArchiveStore, url: str) -> str | None:
    blob = store.blob_for_url(url)
    return file_url(blob.sha256) if blob is not None else None


def archived_page(store: ArchiveStore, page: RawPage) -> str | None:
    """The raw page's HTML with every archived image and stylesheet pointed at its copy (what
    the archive does not keep stays pointed at the live site, which the CSP then blocks);
    None when the archive keeps none of them (the page is then shown as fetched)."""
    declared = next((v for k, v in page.headers.items() if k.lower() == "content-type"), None)
    html = decode_html(page.body, declared)
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    base_el = tree.find(".//base[@href]")
    base = urljoin(page.url, base_el.get("href")) if base_el is not None else page.url
    rewritten = 0
    for el, attr in _references(tree):
        ref = (el.get(attr) or "").strip()
        if not ref or ref.startswith("data:"):
            continue
        url = urljoin(base, ref)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        blob = store.blob_for_url(url)
        if blob is None:
            # Absolute, so the browser asks the live site (which the CSP refuses), never
            # this app at the same path.
            el.set(attr, url)
            continue
        rewritten += 1
        el.set(attr, file_url(blob.sha256))
        if el.tag == "img":
            for extra in ("srcset", "data-src", "data-original"):
                el.attrib.pop(extra, None)
    if not rewritten:
        return None
    if base_el is not None:
        base_el.drop_tree()  # the copies' addresses are ours, not relative to the live site
    for meta in tree.iter("meta"):  # the page is served as UTF-8 now
        if meta.get("charset") or (meta.get("http-equiv") or "").lower() == "content-type":
            meta.drop_tree()
    return str(lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"))


def _references(tree: Any) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    for el in tree.iter("img", "link", "a"):
        if el.tag == "img":
            out.append((el, "src"))
        elif el.tag == "link" and "stylesheet" in (el.get("rel") or "").lower().split():
            out.append((el, "href"))
        elif el.tag == "a" and el.get("href"):
            out.append((el, "href"))  # an attachment's link opens its archived copy
    return out
