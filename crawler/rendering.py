"""Pages drawn by JavaScript: rendered in the system's headless Chromium through scrapy-playwright.

Why scrapy-playwright: it is a Scrapy download handler, so a rendered page is still one Scrapy
request (robots.txt, AutoThrottle, retries, the per-site concurrency, stats) and only the
requests that ask for it (`meta["playwright"]`) start a browser page; Playwright drives any
Chromium given its path, so no browser download of its own is needed (Debian's `chromium`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from typing import Any

from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

# What `render:` in a site file may say, and which requests each renders.
RENDER_KINDS = {"none": (), "listings": ("listing",), "articles": ("article",),
                "all": ("listing", "article")}  # fmt: skip
INSTALL_HINT = (
    "install a Chromium (Debian/Ubuntu: apt-get install chromium) and the renderer"
    " (pip install 'uninews[render]'), or set UNINEWS_CHROMIUM to a Chromium or Chrome binary"
)
# Pages a browser renders at once: each is a whole Chromium tab (tens of MB).
MAX_PAGES = 2
# What the browser does not fetch: not needed to read a page (kept, if at all, through Scrapy).
SKIPPED_RESOURCES = ("image", "media", "font")
# How long a page may take to load and settle, in milliseconds.
TIMEOUT_MS = 30_000


class RenderUnavailable(Exception):
    """A site needs a browser this machine does not have; printed as one line."""


def find_chromium() -> str | None:
    """The Chromium to render with: $UNINEWS_CHROMIUM, else the first on PATH."""
    configured = os.environ.get("UNINEWS_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def renders(render: str, kind: str) -> bool:
    """Whether a site with this `render:` value renders pages of this kind (listing, article)."""
    return kind in RENDER_KINDS.get(render, ())


def check(site_name: str, render: str) -> str:
    """The Chromium for a site that renders, or RenderUnavailable saying how to get one."""
    missing = []
    if importlib.util.find_spec("scrapy_playwright") is None:
        missing.append("the renderer (scrapy-playwright) is not installed")
    chromium = find_chromium()
    if chromium is None:
        where = os.environ.get("UNINEWS_CHROMIUM")
        missing.append(f"no Chromium at {where}" if where else "no Chromium was found")
    if missing:
        raise RenderUnavailable(
            f"{site_name} renders its pages in a browser (render: {render}), but "
            + " and ".join(missing)
            + f": {INSTALL_HINT}"
        )
    assert chromium is not None
    return chromium


def configure(settings: BaseSettings, site_name: str, render: str) -> None:
    """Scrapy settings for a crawl whose site renders: scrapy-playwright's handler for HTTP(S)
    (it passes requests without `meta["playwright"]` to Scrapy's own), the system Chromium,
    bounded tabs and time."""
    chromium = check(site_name, render)
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
    settings.set(
        "PLAYWRIGHT_LAUNCH_OPTIONS",
        {"executable_path": chromium, "headless": True, "timeout": TIMEOUT_MS},
        priority="spider",
    )
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", MAX_PAGES, priority="spider")
    settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, priority="spider")
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", TIMEOUT_MS, priority="spider")
    # The page's own images, fonts and media are not needed to read it (and are fetched
    # through Scrapy when they are archived): the browser skips them.
    settings.set("PLAYWRIGHT_ABORT_REQUEST", _skip_resource, priority="spider")


def _skip_resource(request: Any) -> bool:
    return bool(request.resource_type in SKIPPED_RESOURCES)


def request_meta() -> dict[str, Any]:
    """What a request rendered in the browser carries: rendered, then given time to fetch
    what its scripts ask for (a list from a JSON API) before the DOM is read."""
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")],
    }


class Browser:
    """The system Chromium, one tab at a time, for `uninews sites discover`: a page as a
    browser draws it, after its scripts have fetched what they need."""

    def __init__(self, user_agent: str, *, timeout_ms: int = TIMEOUT_MS) -> None:
        self.user_agent = user_agent
        self.timeout_ms = timeout_ms
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        chromium = find_chromium()
        if chromium is None:
            raise RenderUnavailable(f"no Chromium to render pages with: {INSTALL_HINT}")
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=chromium, headless=True, timeout=self.timeout_ms
            )
            self._context = self._browser.new_context(user_agent=self.user_agent)
            self._context.route("**/*", _route_without_media)
        except BaseException:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._pw.stop()

    def get(self, url: str) -> tuple[str, bytes, str | None] | None:
        """(final URL, the rendered document as UTF-8, its content type), or None."""
        from playwright.sync_api import Error as PlaywrightError

        page = self._context.new_page()
        try:
            response = page.goto(url, wait_until="networkidle", timeout=self.timeout_ms)
            if response is None or response.status >= 400:
                return None
            return page.url, page.content().encode("utf-8"), "text/html; charset=utf-8"
        except PlaywrightError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            logger.warning("Cannot render %s: %s", url, first)
            return None
        finally:
            page.close()


def _route_without_media(route: Any) -> None:
    if route.request.resource_type in SKIPPED_RESOURCES:
        route.abort()
    else:
        route.continue_()


def available() -> bool:
    """Whether pages can be rendered here (a Chromium and the renderer)."""
    return find_chromium() is not None and importlib.util.find_spec("playwright") is not None
