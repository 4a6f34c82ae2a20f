"""Capture: after extraction, fetch an article's images, attachments and stylesheets (Scrapy
requests, so robots.txt, AutoThrottle and per-domain limits apply) and keep each file once by
content hash through the storage contract; the record's entries get the archived copy."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import posixpath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.css import css_refs
from crawler.items import FetchedPage
from crawler.pipelines import halt_on_store_error
from storage import ArchiveStore, open_store
from storage.blobs import ARCHIVED, Blob, BlobOutcome, blob_sha
from storage.common import utcnow
from storage.keys import url_key

logger = logging.getLogger(__name__)

# What a capture may keep of each kind: an image must be served as one, a stylesheet as CSS; an
# attachment may be anything but a web page (a login or error page served for a document link).
_HTML = ("text/html", "application/xhtml+xml")
_VAGUE = ("application/octet-stream", "text/plain", *_HTML)  # say nothing of a file's kind
_SCRIPTS = frozenset({".jsp", ".php", ".asp", ".aspx", ".do", ".action", ".cgi", ".htm", ".html"})


def content_disposition_name(value: bytes | None) -> str | None:
    """The file name a Content-Disposition header gives (filename* first), or None.

    Chinese CMSs send it raw in UTF-8 or GBK, or percent-encoded: all three are read.
    """
    if not value:
        return None
    from email.message import Message

    for codec in ("utf-8", "gb18030", "latin-1"):
        try:
            text = value.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    msg = Message()
    msg["Content-Disposition"] = text
    name = msg.get_filename()
    if not name:
        return None
    if "%" in name:
        name = unquote(name, errors="replace")
    name = posixpath.basename(name.replace("\\", "/")).strip()
    return name or None


def media_type(response: Response, name: str | None) -> str:
    """type/subtype as served; a guess from the name when the server says nothing useful."""
    served = (response.headers.get("Content-Type") or b"").decode("latin-1")
    mime = served.split(";", 1)[0].strip().lower()
    if mime and mime != "application/octet-stream":
        return mime
    guessed = mimetypes.guess_type(name or urlsplit(response.url).path)[0]
    return guessed or "application/octet-stream"


def _name_from_url(url: str) -> str | None:
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last or None


def _extension(name: str) -> str:
    """The extension of a file name (".doc" of "简章.doc"), or "" when it has no plausible one."""
    ext = posixpath.splitext(name)[1]
    return ext if 1 < len(ext) <= 6 and ext[1:].isalnum() else ""


def _attachment_name(text: str, url: str, response: Response) -> str | None:
    """An attachment's file name from its link text ("招生简章.doc", or "招生简章" given the
    extension its URL or type shows), when the server sent none."""
    text = posixpath.basename(text.strip().replace("\\", "/"))
    if not text or _extension(text):
        return text or None
    mime = media_type(response, None)
    ext = "" if mime in _VAGUE else mimetypes.guess_extension(mime) or ""
    if not ext:  # the URL's own, unless it names the script that serves the file
        ext = _extension(_name_from_url(url) or "")
        ext = "" if ext.lower() in _SCRIPTS else ext
    return text + ext


def page_assets(body: bytes, url: str) -> tuple[list[str], list[str]]:
    """The absolute URLs of a page's stylesheets and of all its images (the logo and banners
    too): what its raw view needs to look as it did."""
    try:
        tree = lxml.html.fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return [], []
    base = tree.find(".//base[@href]")
    start = urljoin(url, base.get("href")) if base is not None else url
    styles: list[str] = []
    images: list[str] = []
    for el in tree.iter("link", "img"):
        if el.tag == "link":
            rel = (el.get("rel") or "").lower().split()
            href, out = ((el.get("href") or "") if "stylesheet" in rel else ""), styles
        else:
            href, out = el.get("src") or "", images
        href = href.strip()
        if href and not href.startswith(("data:", "javascript:")):
            full = urljoin(start, href)
            if urlsplit(full).scheme in ("http", "https") and full not in out:
                out.append(full)
    return styles, images


class CapturePipeline:
    """Keeps what an article shows and links, between extraction and storing the record.

    Settings: UNINEWS_CAPTURE (False: capture nothing), UNINEWS_CAPTURE_MAXSIZE (bytes per
    file), UNINEWS_CAPTURE_ARTICLE_MAXSIZE (bytes per article). A site file's `capture:` says
    which kinds (default images and attachments). A URL the archive already keeps a file for
    is not fetched again: re-crawls and revisits cost no download for an unchanged image.
    """

    def __init__(self, crawler: Crawler, uri: str | None) -> None:
        self.crawler = crawler
        self.uri = uri
        settings = crawler.settings
        self.max_file = settings.getint("UNINEWS_CAPTURE_MAXSIZE")
        self.max_article = settings.getint("UNINEWS_CAPTURE_ARTICLE_MAXSIZE")
        self.store: ArchiveStore | None = None
        self.owns_store = False
        # Files being fetched now, by URL key: two articles showing one photo at once share
        # its one fetch.
        self.inflight: dict[str, asyncio.Future[Blob | None]] = {}
        self.css_found: dict[str, tuple[list[str], list[str]]] = {}  # by the stylesheet's key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        if not crawler.settings.getbool("UNINEWS_CAPTURE", True):
            raise NotConfigured("UNINEWS_CAPTURE is off")
        uri = crawler.settings.get("UNINEWS_STORE")
        if not uri:
            raise NotConfigured("UNINEWS_STORE is not set: nothing to archive files into")
        return cls(crawler, uri)

    def open_spider(self, spider: Spider | None = None) -> None:
        shared = getattr(self.crawler.spider, "store", None)
        if shared is not None:
            self.store = shared
        elif self.uri:
            self.store = open_store(self.uri)
            self.owns_store = True

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.owns_store and self.store is not None:
            self.store.close()

    def _inc(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"uninews/{key}", n)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedPage) or item.record is None or self.store is None:
            return item
        site = self.crawler.spider.site  # type: ignore[union-attr]
        kinds = set(site.capture)
        targets: list[tuple[str, dict[str, Any] | None, str]] = []
        for kind in ("images", "attachments"):
            if kind in kinds:
                targets += [(kind, e, e["url"]) for e in item.record.get(kind) or [] if _http(e)]
        if "styles" in kinds:
            styles, images = page_assets(item.body, item.url)
            shown = {url for _, _, url in targets}
            targets += [("styles", None, u) for u in styles]
            targets += [("images", None, u) for u in images if u not in shown]
        budget = self.max_article
        missing = 0
        for kind, entry, url in targets:
            if self.crawler.stats and self.crawler.stats.get_value("uninews/store_error"):
                break  # the crawl is stopping
            blob = await self._shared(kind, url, entry, budget)
            if blob is None:
                missing += 1
                continue
            # What a newly kept stylesheet loads (its @imports, background images, fonts)
            # joins the list; the loop reads it as it grows.
            imports, files = self.css_found.pop(url_key(url), ([], []))
            targets += [("styles", None, u) for u in imports]
            targets += [("assets", None, u) for u in files]
            budget -= blob.size
            if entry is not None:
                entry[ARCHIVED] = blob.ref()
        engine = self.crawler.engine
        if missing and engine is not None and not engine.running:
            # Cut off by a Ctrl-C or a stop: not stored, so the next run fetches the article
            # and its files again (stored, it would be known and its files never fetched).
            item.failed = True
            raise DropItem(f"stopped before its files were archived: {item.url}", log_level="INFO")
        return item

    async def _shared(
        self, kind: str, url: str, entry: dict[str, Any] | None, budget: int
    ) -> Blob | None:
        key = url_key(url)
        running = self.inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Blob | None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        try:
            blob = await self._capture(kind, url, entry, budget)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(blob)
        finally:
            del self.inflight[key]
        return blob

    async def _capture(
        self, kind: str, url: str, entry: dict[str, Any] | None, budget: int
    ) -> Blob | None:
        assert self.store is not None
        known = await asyncio.to_thread(self.store.blob_for_url, url)
        if known is not None:
            self._inc("files_known")
            return known
        if budget <= 0:
            self._inc("files_failed")
            logger.warning(
                "Not archived: %s (the article's %d bytes are spent)", url, self.max_article
            )
            return None
        response = await self._fetch(url, min(self.max_file, budget))
        if response is None:
            return None
        disposition = response.headers.get("Content-Disposition")
        name = content_disposition_name(disposition)
        if name is None and kind == "attachments" and entry is not None:
            name = _attachment_name(str(entry.get("name") or ""), url, response)
        name = name or _name_from_url(url)
        mime = media_type(response, name)
        refusal = _refusal(kind, mime, disposition)
        if refusal:
            self._inc("files_failed")
            logger.warning("Not archived: %s (%s)", url, refusal)
            return None
        body = response.body
        header = response.headers.get
        blob = Blob(
            url,
            blob_sha(body),
            len(body),
            mime,
            name,
            utcnow(),
            (header("ETag") or b"").decode("latin-1") or None,
            (header("Last-Modified") or b"").decode("latin-1") or None,
        )
        try:
            outcome = await asyncio.to_thread(self.store.put_blob, blob, body)
        except Exception as exc:
            halt_on_store_error(self.crawler, exc)
            return None
        self._inc("files_archived" if outcome is BlobOutcome.STORED else "files_known")
        if outcome is BlobOutcome.STORED:
            self._inc("files_bytes", len(body))
        if kind == "styles":
            self.css_found[url_key(url)] = css_refs(body, url)
        return blob

    async def _fetch(self, url: str, maxsize: int) -> Response | None:
        spider = self.crawler.spider
        urls = getattr(spider, "urls", None)  # a mirror (--base-url) serves the site's own files
        fetch_url = urls.to_fetch(url) if urls is not None else url
        request = Request(
            fetch_url,
            # The cap is the limit; Scrapy's page-size warning (4 MB) is no news for a document.
            meta={
                "download_maxsize": maxsize,
                "download_warnsize": maxsize,
                "allow_offsite": True,  # photos on a CDN are the article's too
            },
            dont_filter=True,
        )
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            self._inc("files_failed")
            logger.info("Not archived: %s (%s)", url, exc)
            return None
        except Exception as exc:  # a timeout, a refused connection, a cancelled oversize body
            self._inc("files_failed")
            logger.warning("Not archived: %s (%s)", url, str(exc) or type(exc).__name__)
            return None
        if response.status != 200:
            self._inc("files_failed")
            logger.warning("Not archived: %s (HTTP %d)", url, response.status)
            return None
        return response


def _http(entry: dict[str, Any]) -> bool:
    return urlsplit(str(entry.get("url") or "")).scheme in ("http", "https")


def _refusal(kind: str, mime: str, disposition: bytes | None) -> str | None:
    """Why a response is not the file its link promised, or None."""
    attachment = bool(disposition and disposition.lower().startswith(b"attachment"))
    if kind == "images" and not mime.startswith("image/"):
        return f"served as {mime}, not an image"
    if kind == "styles" and mime != "text/css":
        return f"served as {mime}, not a stylesheet"
    if kind == "assets" and not (
        mime.startswith(("image/", "font/")) or "font" in mime or mime == "application/octet-stream"
    ):
        return f"served as {mime}, not an image or a font"
    if kind == "attachments" and mime in _HTML and not attachment:
        return "served as a web page, not a file"
    return None
