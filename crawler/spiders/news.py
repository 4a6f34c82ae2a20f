"""The one spider: walks a site's listings newest-first and requests the articles it has not archived.

It only navigates. Extraction happens in the pipelines (page objects), storage in the store.
Modes: `incremental` (stop at the first listing page with nothing new), `backfill` (walk as
deep as a date range needs, resumable), `full` (walk everything, refetch nothing known).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import rendering
from crawler.extraction import EXTRACTION_FAILED
from crawler.items import FetchedPage
from crawler.listing import (
    Capped,
    ListedArticle,
    TooLarge,
    article_links,
    feed_entries,
    next_page,
    sitemap_entries,
)
from crawler.listing_misses import EXAMPLES, unmatched_links
from crawler.pipelines import halt_on_store_error
from crawler.reasons import drop_reason, failure_reason
from crawler.sites import Site, UrlMap, get_site
from storage import ArchiveStore, open_store
from storage.base import NOT_MODIFIED, REINSTATED, UNCHANGED, WITHDRAWN
from storage.common import utcnow

logger = logging.getLogger(__name__)

MODES = ("incremental", "backfill", "full", "revisit")
# Which archived articles a revisit run checks: those due, every one, or those published since.
REVISIT_SELECTIONS = ("due", "all", "since")
FRONTIER_STEP = 10
SITEMAP_MAX_DEPTH = 3  # an index of indexes of sitemaps; deeper chains are traps, not sites
GONE_STATUSES = (404, 410)


@dataclass
class _Page:
    """Progress of one listing page: its articles in flight, and what follows it."""

    url: str
    pending: int = 0
    walked: bool = False  # parse_listing has finished with it
    errors: int = 0
    next_url: str | None = None
    held_next: Request | None = None  # next page, held until this one's articles say go on
    oldest: str | None = None  # oldest publish date among its stored articles


@dataclass
class _Chain:
    """One listing's pagination chain."""

    listing: str
    pages: dict[int, _Page] = field(default_factory=dict)
    committed: int = 0  # pages 1..committed are finished and saved
    stale: int = 0  # consecutive pages with nothing new (incremental mode)
    catch_up: int = 0  # an interrupted walk reached this page: never stop as stale before it
    frontier: int = 0  # the walk's depth as recorded in the store (ahead of the real one)
    empty: int = 0  # consecutive pages that listed no article link new to this walk
    listed: set[str] = field(default_factory=set)  # article URLs this walk has listed
    walked: set[str] = field(default_factory=set)  # listing page URLs this walk has requested


class NewsSpider(scrapy.Spider):
    """Crawl one site described by a site file. `scrapy crawl news -a site=NAME` or `scrapy crawl NAME`."""

    name = "news"
    site_name: str | None = None  # set on the per-site subclasses in crawler.spiders

    def __init__(
        self,
        site: str | Site | None = None,
        sites_dir: str | None = None,
        base_url: str | None = None,
        max_pages: int | str | None = None,
        mode: str = "incremental",
        since: str | None = None,
        until: str | None = None,
        refetch: bool | str = False,
        restart: bool | str = False,
        revisit: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(site, Site):
            self.site = site
        else:
            name = site or self.site_name
            if not name:
                raise ValueError("which site? pass -a site=NAME")
            sites_dir = sites_dir or os.environ.get("UNINEWS_SITES_DIR")
            self.site = get_site(name, Path(sites_dir) if sites_dir else None)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.mode = mode
        self.urls = UrlMap(self.site, base_url)
        self.max_pages = int(max_pages) if max_pages else None
        self.since = date.fromisoformat(since) if since else None
        self.until = date.fromisoformat(until) if until else None
        self.refetch = str(refetch).lower() in ("1", "true", "yes")
        self.restart = str(restart).lower() in ("1", "true", "yes")
        # Revisits: `uninews revisit` chooses which; an incremental crawl takes those due.
        if revisit is not None and revisit not in REVISIT_SELECTIONS:
            raise ValueError(f"revisit must be one of {', '.join(REVISIT_SELECTIONS)}")
        self.revisit = revisit or ("due" if mode == "incremental" else None)
        hosts = {urlsplit(self.urls.to_fetch(self.site.base_url)).hostname or ""}
        self.allowed_domains = sorted(h for h in hosts | set(self.site.hosts) if h)
        self.store: ArchiveStore | None = None
        self.chains: dict[str, _Chain] = {}
        self.requested: set[str] = set()
        self.oldest_seen: str | None = None
        self.sitemaps_walked = 0
        # Links the listings' lists of news show that article_url rejects (first seen first).
        self.unmatched: dict[str, None] = {}
        self.max_download = 0  # DOWNLOAD_MAXSIZE: also the bound on a decompressed sitemap
        self._render_metas: dict[str, dict[str, Any]] = {}
        self.max_links = 0  # UNINEWS_MAX_LINKS: links (sitemap entries) read per page

    @property
    def page_cap(self) -> int:
        """Listing pages per listing (and sitemaps per crawl) this run walks at most."""
        return self.max_pages or self.site.max_pages

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        if spider.site.render != "none":
            # Settings may still change here (Scrapy >= 2.11): the browser only for such sites.
            rendering.configure(crawler.settings, spider.site.name, spider.site.render)
        uri = crawler.settings.get("UNINEWS_STORE")
        if uri:
            spider.store = open_store(uri)
        spider.max_download = crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)
        spider.max_links = crawler.settings.getint("UNINEWS_MAX_LINKS", 0)
        crawler.signals.connect(spider._item_finished, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_finished, signal=signals.item_dropped)
        crawler.signals.connect(spider._item_error, signal=signals.item_error)
        crawler.signals.connect(spider._request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # --- the store, from the reactor thread ----------------------------------------------------
    def _stored(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a store method; a store fault stops the crawl instead of raising in a callback."""
        if self.store is None:
            return None
        try:
            return getattr(self.store, method)(*args, **kwargs)
        except Exception as exc:
            halt_on_store_error(self.crawler, exc)
            return None

    # --- progress bookkeeping ---------------------------------------------------------------
    def _state_key(self, listing: str) -> str:
        return f"backfill:{self.site.name}:{listing}:{self.since}:{self.until}"

    def _page(self, listing: str, page_no: int) -> _Page:
        return self.chains[listing].pages[page_no]

    def _item_finished(self, item: Any, **kw: Any) -> None:
        """A page was stored or dropped (not an article, out of range, or failed)."""
        if not isinstance(item, FetchedPage):
            return
        if item.revisit is not None:
            self._revisited(item)
            return
        if item.not_article:
            self._stored("mark_gone", item.url, self.site.name, item.not_article)
        if item.listing is not None and item.page_no is not None:
            published = (item.record or {}).get("published_at")
            self._article_done(
                item.listing, item.page_no, published[:10] if published else None, error=item.failed
            )

    def _item_error(self, item: Any, failure: Failure, **kw: Any) -> None:
        """A pipeline raised: a failure, never a success that moves progress past the page."""
        if not isinstance(item, FetchedPage):
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("uninews/errors")
        logger.error("Processing failed: %s (%s)", item.url, failure_reason(failure))
        item.failed = True
        self._item_finished(item)

    # --- requests Scrapy drops without a callback or errback ----------------------------------
    def _owns_url(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _request_scheduled(self, request: Request, **kw: Any) -> None:
        # Scrapy's OffsiteMiddleware drops a request to another host at scheduling, silently:
        # the page waiting on it would never finish.
        if request.dont_filter or request.meta.get("allow_offsite") or self._owns_url(request.url):
            return
        if request.meta.get("redirect_urls"):
            self._lost(request, f"redirected off-site to {request.url}", "offsite_redirect")
        else:
            host = urlsplit(request.url).hostname
            self._lost(request, f"{host} is not the site's (add it to `domains:`)", "offsite")

    def _request_dropped(self, request: Request, **kw: Any) -> None:
        self._lost(request, *drop_reason(request))

    def _lost(self, request: Request, reason: str, kind: str) -> None:
        kw = request.cb_kwargs
        if "origin" not in kw or "listing" not in kw:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"uninews/dropped/{kind}")
        if request.callback == self.parse_article:
            stats.inc_value("uninews/errors")
            logger.error("Article failed: %s (%s)", kw["origin"], reason)
            self._article_done(kw["listing"], kw["page_no"], None, error=True)
        elif kind == "duplicate_request":
            # A listing page reached again (a pagination loop, or two listings sharing pages):
            # the walk has been there already, so it ends here.
            logger.warning("Listing page not walked: %s (%s)", kw["origin"], reason)
            self._end_walk_at(kw["listing"], kw["page_no"])
        else:
            stats.inc_value("uninews/errors")
            logger.error("Listing page failed: %s (%s)", kw["origin"], reason)

    def _article_done(
        self, listing: str, page_no: int, published: str | None, error: bool = False
    ) -> None:
        page = self._page(listing, page_no)
        page.pending -= 1
        if error:
            page.errors += 1
        if published:
            page.oldest = min(page.oldest or published, published)
            self.oldest_seen = min(self.oldest_seen or published, published)
        self._advance(listing, page_no)

    def _advance(self, listing: str, page_no: int) -> None:
        """Page `page_no` may have finished: release the page held behind it, and save backfill
        progress as far as pages are finished without errors, in order."""
        chain = self.chains[listing]
        page = chain.pages[page_no]
        if page.walked and page.pending <= 0 and page.held_next is not None:
            # Released whatever happened to the pages before it: a failed article on page 3
            # must not stop the walk at page 4 (it only keeps the saved progress before page 3).
            if self._past_since(page.oldest):
                logger.info(
                    "%s: page %d reached %s, before --since; stopping",
                    listing,
                    page_no,
                    page.oldest,
                )
                page.next_url = None
            else:
                assert self.crawler.engine is not None
                self.crawler.engine.crawl(page.held_next)
            page.held_next = None
        while (
            (nxt := chain.pages.get(chain.committed + 1))
            and nxt.walked
            and nxt.pending <= 0
            and nxt.held_next is None
        ):
            page = nxt
            if page.errors:
                break  # keep the pointer here: a rerun retries what failed on this page
            chain.committed += 1
            if self.mode != "backfill" and page.next_url is None:
                # The walk ended by its own rule with every page finished: nothing to catch up.
                self._stored(
                    "set_state", self._walk_key(listing), {"complete": True, "at": utcnow()}
                )
            if self.mode == "backfill":
                self._stored(
                    "set_state",
                    self._state_key(listing),
                    {
                        "next": page.next_url,
                        "page_no": chain.committed + 1,
                        "done": page.next_url is None,
                        "at": utcnow(),
                    },
                )

    def _walk_key(self, listing: str) -> str:
        return f"walk:{self.site.name}:{listing}"

    def _past_since(self, day: str | None) -> bool:
        return bool(self.since and day and day < self.since.isoformat())

    # --- navigation --------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        if self.mode == "revisit":
            for request in self._revisit_requests():
                yield request
            return
        for listing in self.site.listing_urls():
            self.chains[listing] = _Chain(listing)
            url, page_no = listing, 1
            if self.mode == "backfill" and not self.restart:
                state = self._stored("get_state", self._state_key(listing))
                if state and state.get("done"):
                    logger.info(
                        "%s: backfill already finished (use --restart to walk it again)", listing
                    )
                    continue
                if state and state.get("next"):
                    url, page_no = state["next"], int(state["page_no"])
                    logger.info("%s: resuming backfill at page %d (%s)", listing, page_no, url)
            self.chains[listing].committed = page_no - 1
            if self.mode != "backfill" and self.store is not None:
                # A walk that an interrupted run left unfinished must go at least as deep again,
                # or the articles it never reached would stay behind already-archived pages.
                state = self._stored("get_state", self._walk_key(listing)) or {"complete": True}
                if not state.get("complete"):
                    self.chains[listing].catch_up = int(state.get("frontier", 0)) + 1
                    logger.info(
                        "%s: the last walk was interrupted; walking past page %d before stopping",
                        listing,
                        self.chains[listing].catch_up - 1,
                    )
                self._stored(
                    "set_state",
                    self._walk_key(listing),
                    {"complete": False, "frontier": max(0, self.chains[listing].catch_up - 1)},
                )
            yield self._listing_request(listing, url, page_no)
        for url in self.site.sitemap_urls():
            yield self._source_request(url, self.parse_sitemap, depth=1)
        for url in self.site.feed_urls():
            yield self._source_request(url, self.parse_feed)
        if self.revisit and self.site.revisit.enabled:
            for request in self._revisit_requests():  # within the site's cap per run
                yield request

    # --- revisits: edits and withdrawals of archived articles -------------------------------
    def _revisit_requests(self) -> Iterator[Request]:
        from crawler.revisit import iso_utc

        if self.store is None:
            return
        cap = self.max_pages if self.mode == "revisit" else self.site.revisit.max_per_run
        if not cap and self.mode != "revisit":
            return
        selection = self.revisit or "due"
        due = iso_utc(datetime.now(UTC)) if selection == "due" else None
        since = self.since.isoformat() if selection == "since" and self.since else None
        found = self._stored(
            "revisits", self.site.name, due_before=due, published_since=since, limit=cap or None
        )
        rendered = self._render_meta("article")
        for rv in found or []:
            headers = {}
            # A conditional request: an unchanged page costs a 304, no download, no extraction.
            # (Not for a page the browser renders: it is read as rendered, as it was archived.)
            if rv.etag and not rendered:
                headers["If-None-Match"] = rv.etag
            if rv.last_modified and not rendered:
                headers["If-Modified-Since"] = rv.last_modified
            yield Request(
                self.urls.to_fetch(rv.url),
                headers=headers,
                callback=self.parse_revisit,
                errback=self.revisit_failed,
                cb_kwargs={"revisit": rv},
                meta={"handle_httpstatus_list": [304, *GONE_STATUSES], **rendered},
                dont_filter=True,
                priority=5,
            )

    def _next_check(self, rv: Any) -> str:
        from crawler.revisit import iso_utc, parse_instant

        now = datetime.now(UTC)
        first = parse_instant(rv.first_seen) or now
        return iso_utc(self.site.revisit.next_check(parse_instant(rv.published_at), first, now))

    def _checked(self, rv: Any, result: str) -> None:
        from crawler.revisit import iso_utc

        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("uninews/revisited")
        if result in (WITHDRAWN, REINSTATED, NOT_MODIFIED):
            stats.inc_value(f"uninews/{result}")
        if result in (WITHDRAWN, REINSTATED):
            logger.warning("%s: %s", result.capitalize(), rv.url)
        self._stored("record_check", rv.article_id, result, iso_utc(datetime.now(UTC)),
                     self._next_check(rv))  # fmt: skip

    def parse_revisit(self, response: Response, revisit: Any) -> Iterator[FetchedPage]:
        if response.status == 304:  # the same bytes as archived: back, if it had gone
            self._checked(revisit, REINSTATED if revisit.withdrawn else NOT_MODIFIED)
            return
        if response.status in GONE_STATUSES:
            self._checked(revisit, WITHDRAWN)
            return
        if not response.body.strip():
            # A server fault, not a withdrawal: the article stays due and is checked again.
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("uninews/errors")
            logger.error("Revisit failed: %s (an empty %d answer)", revisit.url, response.status)
            return
        item = next(self.parse_article(response, None, None, revisit.url))  # type: ignore[arg-type]
        item.revisit = revisit
        yield item

    def _revisited(self, item: FetchedPage) -> None:
        """What a revisit's page came to, once the pipelines are done with it."""
        rv = item.revisit
        if item.not_article == EXTRACTION_FAILED or (item.failed and not item.not_article):
            return  # our fault, not the page's: checked again next time (it is still due)
        if item.not_article:  # a redirect stub, an empty page, a PDF where the article was
            self._checked(rv, WITHDRAWN)
        elif rv.withdrawn:
            self._checked(rv, REINSTATED)
        else:
            self._checked(rv, item.outcome or UNCHANGED)

    def revisit_failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        assert stats is not None
        rv = failure.request.cb_kwargs["revisit"]  # type: ignore[attr-defined]
        stats.inc_value("uninews/errors")
        logger.error("Revisit failed: %s (%s)", rv.url, failure_reason(failure))

    def _listing_request(self, listing: str, url: str, page_no: int) -> Request:
        self.chains[listing].pages[page_no] = _Page(url)
        self.chains[listing].walked.add(url)
        return Request(
            self.urls.to_fetch(url),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"listing": listing, "page_no": page_no, "origin": url},
            priority=-page_no,
            meta=self._render_meta("listing"),
        )

    def _in_range(self, item: ListedArticle) -> bool:
        d = item.listed_date
        if d is None:
            return True
        return not ((self.since and d < self.since) or (self.until and d > self.until))

    def parse_listing(
        self, response: Response, listing: str, page_no: int, origin: str
    ) -> Iterator[Request]:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("uninews/listing_pages")
        page = self._page(listing, page_no)
        chain = self.chains[listing]
        tree = lxml.html.document_fromstring(response.text or "<html></html>")
        cap = self._cap(origin)
        items = article_links(tree, origin, self.site, cap)
        if not items:
            logger.warning("No article links on listing page %s", origin)
        self._count_unmatched(tree, origin, cap)
        fresh = [i.url for i in items if i.url not in chain.listed]
        chain.listed.update(fresh)
        chain.empty = 0 if fresh else chain.empty + 1
        todo = yield from self._request_articles(items, listing, page_no)

        page.next_url = next_page(tree, origin, self.site)
        page.walked = True
        go_on = page.next_url is not None
        if go_on and page_no >= self.page_cap:
            if not self.max_pages:  # --max-pages is a choice; the site's cap is a safety net
                logger.warning(
                    "%s: stopping at page %d, the site's max_pages; raise it in the site file"
                    " if the listing is really longer",
                    listing,
                    page_no,
                )
            go_on = False
        if go_on and page.next_url in chain.walked:
            logger.warning(
                "%s: page %d links back to a page already walked; stopping", listing, page_no
            )
            go_on = False
        if go_on and chain.empty >= self.site.empty_pages:
            logger.warning(
                "%s: %d pages in a row listed no new article link; stopping at page %d",
                listing,
                chain.empty,
                page_no,
            )
            go_on = False
        dates = [i.listed_date for i in items if i.listed_date]
        if self.mode != "backfill" and page_no > chain.frontier:
            # Recorded ahead of the walk, every FRONTIER_STEP pages: a write per listing page
            # would wait on the archive's writer, and a frontier too deep only costs a few extra
            # listing pages after an interruption, where one too shallow would lose articles.
            chain.frontier = page_no + FRONTIER_STEP
            self._stored(
                "set_state",
                self._walk_key(listing),
                {"complete": False, "frontier": max(chain.frontier, chain.catch_up - 1)},
            )
        if go_on and self.mode == "incremental":
            chain.stale = 0 if todo else chain.stale + 1
            if chain.stale > self.site.incremental_pages and page_no >= chain.catch_up:
                logger.info("%s: nothing new on page %d; the rest is archived", listing, page_no)
                go_on = False
        if go_on and self.mode == "backfill" and self.since and dates and max(dates) < self.since:
            logger.info(
                "%s: page %d lists only articles before %s; stopping", listing, page_no, self.since
            )
            go_on = False
        if not go_on:
            page.next_url = None
        if go_on and page.next_url:
            nxt = self._listing_request(listing, page.next_url, page_no + 1)
            if self.mode == "backfill" and self.since and not dates:
                # The listing shows no dates: the articles' own dates decide whether to go deeper.
                page.held_next = nxt
            else:
                yield nxt
        self._advance(listing, page_no)

    def _count_unmatched(self, tree: lxml.html.HtmlElement, origin: str, cap: Capped) -> None:
        """Count (once each) the links of the page's list of news that article_url rejects."""
        found = unmatched_links(tree, origin, self.site, cap)
        missed = [u for u in found if u not in self.unmatched]
        if not missed:
            return
        self.unmatched.update(dict.fromkeys(missed))
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("uninews/unmatched_links", len(self.unmatched))
        stats.set_value("uninews/unmatched_examples", list(self.unmatched)[:EXAMPLES])
        logger.info(
            "%s: %d link(s) in its list of news matched no article_url, e.g. %s",
            origin,
            len(missed),
            missed[0],
        )

    def _cap(self, page_url: str) -> Capped:
        return Capped(page_url, self.site, self.max_links, on_short=self._capped)

    def _capped(self, cap: Capped) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("uninews/pages_capped")
        self.crawler.stats.inc_value("uninews/links_not_read", cap.skipped)

    def _end_walk_at(self, listing: str, page_no: int) -> None:
        """The walk ends at this page (gone, or reached again): finished, nothing to catch up."""
        page = self._page(listing, page_no)
        page.walked = True
        page.next_url = None
        self._advance(listing, page_no)

    def _request_articles(
        self, items: list[ListedArticle], listing: str, page_no: int
    ) -> Generator[Request, None, int]:
        """Request the listed articles that are in range and not archived; returns how many."""
        stats = self.crawler.stats
        assert stats is not None
        page = self._page(listing, page_no)
        known: set[str] = set()
        if not self.refetch:
            known = self._stored("known_urls", [i.url for i in items]) or set()
        todo = [
            i
            for i in items
            if self._in_range(i) and i.url not in known and i.url not in self.requested
        ]
        for n, item in enumerate(todo):
            engine = self.crawler.engine
            if engine is not None and not engine.running:
                # Stopping (Ctrl-C): 50,000 more requests would only hold the stop up. The page
                # stays unfinished, so its progress is not saved and a rerun requests the rest.
                page.errors += 1
                todo = todo[:n]
                break
            self.requested.add(item.url)
            page.pending += 1
            yield Request(
                self.urls.to_fetch(item.url),
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"listing": listing, "page_no": page_no, "origin": item.url},
                priority=10,
                meta=self._render_meta("article"),
            )
        stats.inc_value("uninews/articles_requested", len(todo))
        stats.inc_value("uninews/articles_known", len([i for i in items if i.url in known]))
        return len(todo)

    def _render_meta(self, kind: str) -> dict[str, Any]:
        """A request of this kind (listing, article) for the browser, on sites that say so."""
        if kind not in self._render_metas:  # built once: Request copies the dict it is given
            self._render_metas[kind] = (
                rendering.request_meta() if rendering.renders(self.site.render, kind) else {}
            )
        return self._render_metas[kind]

    def _source_request(self, url: str, callback: Any, depth: int = 1) -> Request:
        """A sitemap or feed: a one-page 'listing' of its own for progress accounting."""
        self.chains.setdefault(url, _Chain(url))
        self.chains[url].pages[1] = _Page(url)
        kwargs: dict[str, Any] = {"listing": url, "page_no": 1, "origin": url}
        if callback == self.parse_sitemap:
            kwargs["depth"] = depth
        return Request(
            self.urls.to_fetch(url),
            callback=callback,
            errback=self.listing_failed,
            cb_kwargs=kwargs,
        )

    def parse_sitemap(
        self, response: Response, listing: str, page_no: int, origin: str, depth: int = 1
    ) -> Iterator[Request]:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("uninews/listing_pages")
        self.sitemaps_walked += 1
        try:
            items, children = sitemap_entries(
                response.body, origin, self.site, max_size=self.max_download, cap=self._cap(origin)
            )
        except TooLarge as exc:
            self.crawler.stats.inc_value("uninews/errors")
            logger.error("Sitemap skipped: %s (%s)", origin, exc)
            items, children = [], []
        if children and depth >= SITEMAP_MAX_DEPTH:
            logger.warning(
                "Sitemap %s: %d child sitemaps past depth %d not followed",
                origin,
                len(children),
                SITEMAP_MAX_DEPTH,
            )
            children = []
        for child in children:
            if child in self.chains:
                continue
            if self.sitemaps_walked + len(self.chains) > self.page_cap + len(self.site.listings):
                logger.warning(
                    "Sitemap %s: child sitemaps past %d not followed (--max-pages or the site's"
                    " max_pages)",
                    origin,
                    self.page_cap,
                )
                break
            yield self._source_request(child, self.parse_sitemap, depth=depth + 1)
        yield from self._request_articles(items, listing, page_no)
        self._page(listing, page_no).walked = True
        self._advance(listing, page_no)

    def parse_feed(
        self, response: Response, listing: str, page_no: int, origin: str
    ) -> Iterator[Request]:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("uninews/listing_pages")
        try:
            entries = feed_entries(
                response.body, origin, self.site, max_size=self.max_download, cap=self._cap(origin)
            )
        except TooLarge as exc:
            self.crawler.stats.inc_value("uninews/errors")
            logger.error("Feed skipped: %s (%s)", origin, exc)
            entries = []
        yield from self._request_articles(entries, listing, page_no)
        self._page(listing, page_no).walked = True
        self._advance(listing, page_no)

    def listing_failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        assert stats is not None
        req = failure.request  # type: ignore[attr-defined]
        kw = req.cb_kwargs
        if failure.check(HttpError) and failure.value.response.status in GONE_STATUSES:
            status = failure.value.response.status
            if kw["page_no"] > 1:
                # A broken pagination link (a real column's page 4 answers 404): the walk ends
                # here as finished, or every later run would walk back to it to catch up.
                stats.inc_value("uninews/listing_gone")
                logger.warning(
                    "Listing page gone (%d), the walk ends here: %s", status, kw["origin"]
                )
                self._end_walk_at(kw["listing"], kw["page_no"])
                return
        stats.inc_value("uninews/errors")
        logger.error("Listing page failed: %s (%s)", kw["origin"], failure_reason(failure))

    def parse_article(
        self, response: Response, listing: str, page_no: int, origin: str
    ) -> Iterator[FetchedPage]:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("uninews/articles_fetched")
        yield FetchedPage(
            site=self.site.name,
            url=origin,
            final_url=self.urls.to_origin(response.url),
            status=response.status,
            headers=_plain(response.headers),
            body=response.body,
            request_headers=_plain(response.request.headers) if response.request else None,
            fetched_at=utcnow(),
            listing=listing,
            page_no=page_no,
            since=self.since.isoformat() if self.since else None,
            until=self.until.isoformat() if self.until else None,
        )

    def article_failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        assert stats is not None
        req = failure.request  # type: ignore[attr-defined]
        kw = req.cb_kwargs
        if failure.check(HttpError) and failure.value.response.status in GONE_STATUSES:
            status = failure.value.response.status
            stats.inc_value("uninews/not_article")
            stats.inc_value(f"uninews/not_article/http_{status}")
            logger.info("Gone (%d): %s", status, kw["origin"])
            self._stored("mark_gone", kw["origin"], self.site.name, f"http_{status}")
            self._article_done(kw["listing"], kw["page_no"], None)
            return
        if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            # Definitive for this site: not an error to retry, and no reason to hold progress.
            stats.inc_value("uninews/robots_disallowed")
            logger.info("Disallowed by robots.txt: %s", kw["origin"])
            self._article_done(kw["listing"], kw["page_no"], None)
            return
        stats.inc_value("uninews/errors")
        logger.error("Article failed: %s (%s)", kw["origin"], failure_reason(failure))
        self._article_done(kw["listing"], kw["page_no"], None, error=True)

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if reason == "finished":
            # Every request a page waits on ends in a callback or an errback; if one did not,
            # say so here rather than report a clean run.
            stats = self.crawler.stats
            assert stats is not None
            for chain in self.chains.values():
                for page in chain.pages.values():
                    if page.pending > 0:
                        stats.inc_value("uninews/errors", page.pending)
                        logger.error(
                            "%d article request(s) of %s never finished", page.pending, page.url
                        )
        if self.store is not None:
            self.store.close()
            self.store = None


def _plain(headers: Headers) -> dict[str, str]:
    """Scrapy's headers as one string per name (repeated values joined, as HTTP allows)."""
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in headers.items()}
