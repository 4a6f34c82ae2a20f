"""`uninews sites discover`: from a university's home page to a site file that crawls its news.

It reads the home page's links to news columns (新闻, 要闻, 动态, News, Stories…) wherever they
sit: menus and sub-menus, a section heading's "MORE"/"更多" link, a column index page's own
column links (`discover_columns`); keeps the pages that list dated links to articles, infers the
article URL pattern from those links, reads the pagination, fetches a few articles to learn the
CMS and the timezone and to check that they extract, adds the feeds the home page advertises
and the sitemaps robots.txt declares when they list such articles, and writes a commented site
file with a short report (`-v`: every candidate page with its verdict). Politely: robots.txt,
the crawler's User-Agent, one request at a time with a pause.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import logging
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import lxml.html
from lxml.html import HtmlElement

from crawler import deadline, rendering
from crawler.addresses import http_url_problem, same_host, shown
from crawler.discover_columns import (
    Candidate,
    index_children,
    page_candidates,
    report_lines,
)
from crawler.discover_lists import Column, dated_links, probe_site, target
from crawler.discover_patterns import MIN_LINKS, article_pattern, merge_patterns
from crawler.discover_zones import guess_timezone
from crawler.extraction import NotAnArticle, decode_html, extract_article
from crawler.extraction.article import Article
from crawler.extraction.pages import detect_family
from crawler.extraction.text import fold
from crawler.listing import (
    ListedArticle,
    TooLarge,
    feed_entries,
    next_page,
    sitemap_entries,
)
from crawler.sites import Site

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 24  # candidate pages fetched at most
SAMPLE_PER_COLUMN = 3


class DiscoveryError(Exception):
    """Nothing to propose (the page cannot be fetched, no news column found); one line."""


@dataclass
class Fetched:
    url: str  # on the origin (the mirror's address mapped back)
    body: bytes
    content_type: str | None

    # Cached: discovery reads a page's text and tree several times (columns, dates, language).
    @functools.cached_property
    def text(self) -> str:
        return decode_html(self.body, self.content_type)

    @functools.cached_property
    def tree(self) -> HtmlElement:
        return lxml.html.document_fromstring(self.text or "<html></html>")


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only on the host asked (or its mirror): a site's page that redirects
    elsewhere, to a cloud metadata address say, is not fetched."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        newurl = self.fetcher._to_fetch(newurl)  # the origin's own address, on the mirror
        if not same_host(newurl, {urlsplit(req.full_url).netloc.rpartition("@")[2].lower()}):
            raise urllib.error.HTTPError(
                req.full_url, code, f"redirected to another host: {shown(newurl)}", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """One GET at a time, with the crawler's User-Agent, robots.txt obeyed, a pause between
    requests, and the crawl's limits: `timeout` seconds for a whole request and `max_bytes`
    (DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE); `base_url` serves the origin host from a mirror."""

    def __init__(
        self,
        origin: str,
        *,
        base_url: str | None = None,
        user_agent: str | None = None,
        delay: float = 1.0,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> None:
        from crawler import settings

        self.origin_host = urlsplit(origin).netloc
        self.mirror = urlsplit(base_url.rstrip("/")) if base_url else None
        self.user_agent = user_agent or settings.USER_AGENT
        self.delay = delay
        self.timeout = float(timeout or settings.DOWNLOAD_TIMEOUT)
        self.max_bytes = max_bytes or settings.DOWNLOAD_MAXSIZE
        self.requests = 0
        # Set while pages are read as a browser draws them (sites built by JavaScript).
        self.browser: rendering.Browser | None = None
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._last = 0.0

    def _to_fetch(self, url: str) -> str:
        parts = urlsplit(url)
        if self.mirror is None or parts.netloc != self.origin_host:
            return url
        path = self.mirror.path + parts.path
        return urlunsplit((self.mirror.scheme, self.mirror.netloc, path, parts.query, ""))

    def _to_origin(self, url: str, origin_scheme: str) -> str:
        parts = urlsplit(url)
        if self.mirror is None or parts.netloc != self.mirror.netloc:
            return url
        path = parts.path[len(self.mirror.path) :] if self.mirror.path else parts.path
        return urlunsplit((origin_scheme, self.origin_host, path or "/", parts.query, ""))

    def _raw_get(self, url: str, quiet: bool = False) -> tuple[str, bytes, str | None] | None:
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        self.requests += 1
        headers = {"User-Agent": self.user_agent}
        try:
            final, body, ctype = deadline.get(
                self._to_fetch(url),
                headers,
                deadline=self.timeout,
                max_bytes=self.max_bytes,
                redirects=_SameHostRedirects(self),
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # HTTPException: a status line like "HTTP/1.1 abc", a header too long
            level = logging.DEBUG if quiet else logging.WARNING
            reason = getattr(exc, "reason", None) or exc
            if isinstance(exc, http.client.HTTPException):
                reason = f"not a valid HTTP answer ({str(exc).strip()[:80]!r})"
            logger.log(level, "Cannot fetch %s: %s", shown(url), reason)
            return None
        if body is None:
            logger.warning("Skipped %s: larger than %d bytes", url, self.max_bytes)
            return None
        return final, body, ctype

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc not in self._robots:
            robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            got = self._raw_get(robots_url, quiet=True)  # none is an answer too
            parser: urllib.robotparser.RobotFileParser | None = None
            if got is not None:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(decode_html(got[1], got[2]).splitlines())
            self._robots[parts.netloc] = parser
        parser = self._robots[parts.netloc]
        return parser is None or parser.can_fetch(self.user_agent, url)

    def get(self, url: str) -> Fetched | None:
        if not self.allowed(url):
            logger.warning("Not fetched (robots.txt): %s", url)
            return None
        if self.browser is not None:
            wait = self._last + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            self.requests += 1
            got = self.browser.get(self._to_fetch(url))
        else:
            got = self._raw_get(url)
        if got is None:
            return None
        final, body, ctype = got
        return Fetched(self._to_origin(final, urlsplit(url).scheme), body, ctype)


# --- the whole discovery ------------------------------------------------------------------------
@dataclass
class Discovery:
    site_yaml: str
    report: list[str]
    site: Site
    columns: list[Column]
    candidates: list[Candidate] = field(default_factory=list)


def _hosts_of(start: str) -> set[str]:
    host = urlsplit(start).hostname or ""
    return {host}


def _find_columns(
    fetch: Fetcher, home: Fetched, start_url: str, hosts: set[str]
) -> tuple[list[Column], list[Candidate]]:
    """The news columns the home page leads to, best first, and every candidate with its verdict.

    Candidates are fetched in the order `page_candidates` gives (a heading's "MORE" link first,
    then menus, then other links); a page that lists no dated articles itself, or only the
    newest few of several columns it links with "MORE" (a column index: `xwzx.htm`), has its
    own column links looked at, one level down.
    """
    listed = {i.url for i in dated_links(home.tree, home.url, hosts)}
    candidates = page_candidates(home.tree, home.url, hosts, listed)
    seen = {c.url for c in candidates} | {start_url, home.url}
    queue = [c for c in candidates if not c.verdict and c.via != "feed"]
    columns: list[Column] = []
    fetched = 0
    while queue:
        cand = queue.pop(0)
        if fetched >= MAX_CANDIDATES:
            cand.verdict = f"not fetched: over the limit of {MAX_CANDIDATES} pages"
            continue
        fetched += 1
        got = fetch.get(cand.url)
        if got is None:
            cand.verdict = "dropped: cannot be fetched"
            continue
        tree = got.tree
        listed = {i.url for i in dated_links(tree, got.url, hosts)}
        children = (
            [] if cand.via == "index" else index_children(tree, got.url, hosts, seen | listed)
        )
        column = _column_of(cand.url, cand.label, tree, got.url, start_url, hosts)
        more = [c for c in children if c.via == "index" and not c.verdict]
        if column is not None and column.next_url is None and _is_index(tree, got.url, hosts):
            cand.verdict = (
                "dropped: a column index (the newest items of the columns it links, no pages"
                " of its own); its columns looked at"
            )
        elif column is None:
            n = len(dated_links(tree, got.url, hosts))
            cand.verdict = (
                f"dropped: lists {n} dated article link(s), a column lists {MIN_LINKS} or more"
            )
            if more:
                cand.verdict += "; its column links looked at"
        elif any(c.url == cand.url for c in columns):
            cand.verdict = "dropped: already a column"
        else:
            cand.score = len(column.items) + (10 if column.next_url else 0)
            pager = "next page" if column.next_url else "no next page"
            cand.verdict = f"kept: {len(column.items)} dated article links, {pager}"
            columns.append(column)
        for child in more:
            seen.add(child.url)
            candidates.append(child)
            queue.append(child)
    if not columns:
        # The start page itself, when no link of it led to a listing: a home page shows the
        # newest items of every column at once, which is no column of its own.
        start = Candidate(start_url, "news", "start")
        column = _column_of(start_url, "news", home.tree, home.url, start_url, hosts)
        start.verdict = (
            "kept: the page itself lists dated articles"
            if column
            else "dropped: lists no dated article links either"
        )
        candidates.append(start)
        columns = [column] if column else []
    score = {c.url: c.score for c in candidates}
    columns.sort(key=lambda col: -score.get(col.url, 0))
    return columns, candidates


def _column_of(
    url: str, label: str, tree: HtmlElement, page_url: str, start_url: str, hosts: set[str]
) -> Column | None:
    """The page as a news column: its dated article links and their pattern, or None."""
    items = dated_links(tree, page_url, hosts)
    pattern = article_pattern([i.url for i in items])
    if pattern is None:
        return None
    rx = re.compile(pattern)
    items = [i for i in items if rx.search(target(i.url))]
    return Column(
        url, label, items, pattern, next_page(tree, page_url, probe_site(start_url, pattern))
    )


def _is_index(tree: HtmlElement, page_url: str, hosts: set[str]) -> bool:
    """A page that shows a few items of two or more columns, each under a heading with a
    "MORE" link: a home page or a column index, not a listing."""
    headed = [c for c in page_candidates(tree, page_url, hosts) if c.via == "heading"]
    return len({c.url for c in headed if not c.verdict}) >= 2


def _robots_sitemaps(fetch: Fetcher, start_url: str, hosts: set[str]) -> list[Candidate]:
    """The sitemaps robots.txt declares (`Sitemap:` lines), as candidates."""
    fetch.allowed(start_url)  # reads robots.txt, once
    parser = fetch._robots.get(urlsplit(start_url).netloc)
    maps = (parser.site_maps() or []) if parser is not None else []
    return [Candidate(u, "sitemap", "sitemap") for u in maps if urlsplit(u).hostname in hosts]


def _sources_of(
    fetch: Fetcher, candidates: list[Candidate], start_url: str, pattern: str
) -> tuple[list[str], list[str]]:
    """The feeds the home page advertises and the sitemaps robots.txt declares that list
    articles of the columns' pattern (a sitemap index: its first sitemap decides)."""
    probe = probe_site(start_url, pattern)
    feeds: list[str] = []
    sitemaps: list[str] = []
    for cand in candidates:
        if cand.via not in ("feed", "sitemap"):
            continue
        got = fetch.get(cand.url)
        if got is None:
            cand.verdict = "dropped: cannot be fetched"
            continue
        if cand.via == "feed":
            try:
                found = len(feed_entries(got.body, got.url, probe, max_size=fetch.max_bytes))
            except TooLarge:
                found = 0
        else:
            entries, children = _sitemap(got, probe, fetch.max_bytes)
            if len(entries) < MIN_LINKS and children:
                child = fetch.get(children[0])
                entries = _sitemap(child, probe, fetch.max_bytes)[0] if child else []
            found = len(entries)
        if found >= MIN_LINKS:
            cand.verdict = f"kept: {found} article links"
            (feeds if cand.via == "feed" else sitemaps).append(cand.url)
        else:
            cand.verdict = (
                f"dropped: {found} links to articles (a source lists {MIN_LINKS} or more)"
            )
    return feeds, sitemaps


def _sitemap(got: Fetched, probe: Site, max_size: int) -> tuple[list[ListedArticle], list[str]]:
    try:
        return sitemap_entries(got.body, got.url, probe, max_size=max_size)
    except TooLarge:
        return [], []


def discover(
    start_url: str,
    *,
    base_url: str | None = None,
    name: str | None = None,
    delay: float = 1.0,
    fetcher: Fetcher | None = None,
) -> Discovery:
    """Propose a site file for the news of the site `start_url` belongs to."""
    if http_url_problem(start_url):
        raise DiscoveryError(
            f"{shown(start_url)!r}: give the http(s) address of a home or news page"
        )
    parts = urlsplit(start_url)
    if parts.username is not None:
        # urllib cannot log in with them, and they would be written into the site file
        raise DiscoveryError(f"{shown(start_url)}: give the address without user:password@")
    fetch = fetcher or Fetcher(start_url, base_url=base_url, delay=delay)
    with contextlib.ExitStack() as browser:
        return _discover(start_url, fetch, name, browser)


def _discover(
    start_url: str, fetch: Fetcher, name: str | None, browser: contextlib.ExitStack
) -> Discovery:
    parts = urlsplit(start_url)
    home = fetch.get(start_url)
    if home is None:
        raise DiscoveryError(f"cannot fetch {start_url} (see the warning above)")
    hosts = _hosts_of(start_url)
    columns, candidates = _find_columns(fetch, home, start_url, hosts)
    render_lists = False
    if not columns and rendering.available():
        # Nothing in the HTML as served: the lists may be drawn by scripts (a JSON API).
        logger.info("No news column in the pages as served; reading them as a browser draws them")
        fetch.browser = browser.enter_context(rendering.Browser(fetch.user_agent))
        drawn = fetch.get(start_url)
        if drawn is not None:
            home = drawn
            columns, candidates = _find_columns(fetch, home, start_url, hosts)
            render_lists = bool(columns)
    if not columns:
        for line in report_lines(candidates):
            logger.info("%s", line.strip())
        raise DiscoveryError(
            f"no news column found from {start_url}: no page it links to lists dated articles"
            " (try the address of a news list page)"
        )
    pattern = _merge_patterns(columns)
    probe = probe_site(start_url, pattern)
    candidates += _robots_sitemaps(fetch, start_url, hosts)
    feeds, sitemaps = _sources_of(fetch, candidates, start_url, pattern)
    for line in report_lines(candidates):
        logger.info("%s", line.strip())
    drawn_by = fetch.browser
    fetch.browser = None  # articles as served first: a browser only where they need one
    families = _sample(fetch, columns, probe)
    render_articles = False
    if _bodiless(columns) and rendering.available():
        logger.info("Sample articles have no body as served; reading them as a browser draws them")
        fetch.browser = drawn_by or browser.enter_context(rendering.Browser(fetch.user_agent))
        served = [list(c.samples) for c in columns]
        for col in columns:
            col.samples = []
        drawn_families = _sample(fetch, columns, probe)
        if _bodiless(columns):  # no better drawn: keep what was served
            for col, old in zip(columns, served, strict=True):
                col.samples = old
        else:
            render_articles, families = True, drawn_families
    render = {(True, True): "all", (True, False): "listings", (False, True): "articles"}.get(
        (render_lists, render_articles), "none"
    )
    samples = [a for c in columns for a in c.samples]
    language = Counter(a.language for a in samples if a.language).most_common(1)
    lang = language[0][0] if language else ("zh" if _cjk(home.text) else "en")
    if lang == "en" and _cjk(home.text):
        lang = "zh"  # VSB templates declare lang="en" on Chinese pages (the real cqjtu site)
    zone = guess_timezone(parts.hostname or "", lang, samples)
    layout = families.most_common(1)[0][0] if families else None
    site_name = name or _name_for(parts.hostname or "site")
    title = fold(home.tree.findtext(".//title")) or site_name
    site = Site(
        name=site_name,
        title=title,
        base_url=f"{parts.scheme}://{parts.netloc}/",
        language=lang,
        timezone=zone,
        listings=[c.url for c in columns],
        feeds=feeds,
        sitemaps=sitemaps,
        article_url=pattern,
        layout=layout,
        schedule="0 */6 * * *",
        render=render,
    )
    report = _report(site, columns, samples)
    kept = sum(c.kept for c in candidates)
    report.append(
        f"  {len(candidates)} candidate page(s) seen, {kept} kept (-v lists each with its verdict)"
    )
    return Discovery(_yaml(site, columns, layout, fetch), report, site, columns, candidates)


def _sample(fetch: Fetcher, columns: list[Column], probe: Site) -> Counter[str]:
    """A few articles of each column, extracted (into `col.samples`); the CMS families seen."""
    families: Counter[str] = Counter()
    for col in columns:
        for item in col.items[:SAMPLE_PER_COLUMN]:
            got = fetch.get(item.url)
            if got is None:
                continue
            family = detect_family(got.url, got.text)
            if family:
                families[family] += 1
            try:
                col.samples.append(
                    extract_article(got.body, item.url, probe, content_type=got.content_type)
                )
            except NotAnArticle as exc:
                logger.info("Sample not an article: %s (%s)", item.url, exc)
    return families


def _bodiless(columns: list[Column]) -> bool:
    """Whether most sampled articles have no body text (200 characters) as read."""
    tried = sum(min(len(c.items), SAMPLE_PER_COLUMN) for c in columns)
    bodies = sum(1 for c in columns for a in c.samples if len(a.text or "") >= 200)
    return tried > 0 and bodies * 2 < tried


def _merge_patterns(columns: list[Column]) -> str:
    """One `article_url` for every column: the pattern of all their links together when it
    accepts each of them (the shapes seen, not the narrowest regex of one column), else the
    columns' own patterns side by side."""
    unique = list(dict.fromkeys(c.pattern for c in columns))
    if len(unique) == 1:
        return unique[0]
    joint = article_pattern([i.url for c in columns for i in c.items])
    if joint is not None:
        rx = re.compile(joint)
        if all(rx.search(target(i.url)) for c in columns for i in c.items):
            return joint
    return merge_patterns(unique)


def _cjk(text: str) -> bool:
    sample = text[:20000]
    return len(re.findall(r"[\u4e00-\u9fff]", sample)) > 50


def _name_for(host: str) -> str:
    labels = [
        x
        for x in host.lower().split(".")
        if x not in ("www", "news", "edu", "cn", "com", "org", "ac", "uk", "example")
    ]
    return re.sub(r"[^a-z0-9-]", "-", "-".join(labels[:2]) or "site").strip("-") or "site"


def fill_rates(articles: list[Article]) -> dict[str, float]:
    """Share of articles with each field found (text: 200 characters or more)."""
    if not articles:
        return {}
    tests: dict[str, Any] = {
        "title": lambda a: bool(a.title),
        "published_at": lambda a: bool(a.published_at),
        "authors": lambda a: bool(a.authors),
        "source": lambda a: bool(a.source),
        "text": lambda a: len(a.text or "") >= 200,
        "images": lambda a: bool(a.images),
    }
    return {f: sum(1 for a in articles if t(a)) / len(articles) for f, t in tests.items()}


def _report(site: Site, columns: list[Column], samples: list[Article]) -> list[str]:
    out = [f"{site.name}: {len(columns)} news column(s); CMS {site.layout or 'not recognised (generic pages)'}; "
           f"timezone {site.timezone}; articles {site.article_url}"]  # fmt: skip
    if site.render != "none":
        drawn = {"listings": "the lists", "articles": "the articles", "all": "lists and articles"}
        out.append(f"  {drawn[site.render]} are drawn by JavaScript: render: {site.render}")
    for col in columns:
        nxt = f", next page {col.next_url}" if col.next_url else ", no next page"
        out.append(f"  {col.name}: {col.url} ({len(col.items)} dated articles{nxt})")
        for art in col.samples:
            out.append(f"    {(art.published_at or 'no date')[:16]}  {art.title}")
    rates = fill_rates(samples)
    if rates:
        out.append("  fill rate: " + ", ".join(f"{f} {r:.0%}" for f, r in rates.items()))
    return out


def _yaml(site: Site, columns: list[Column], layout: str | None, fetch: Fetcher) -> str:
    import yaml

    when = datetime.now().astimezone().strftime("%Y-%m-%d")
    head = [
        f"# {site.title}: written by `uninews sites discover` on {when} ({fetch.requests} requests).",
        "# Check it: `uninews sites check " + site.name + " --sites-dir DIR`; edit it freely.",
        f"# CMS: {layout or 'not recognised: generic page objects'}; timezone from the articles' own offsets.",
    ]  # fmt: skip
    data: dict[str, Any] = {
        "name": site.name,
        "title": site.title,
        "base_url": site.base_url,
        "language": site.language,
        "timezone": site.timezone,
        "schedule": site.schedule,
        "listings": [
            c.url.removeprefix(site.base_url.rstrip("/")).lstrip("/") or "/" for c in columns
        ],
        "article_url": site.article_url,
    }
    if site.feeds:
        data["feeds"] = site.feeds
    if site.sitemaps:
        data["sitemaps"] = site.sitemaps
    if layout:
        data["layout"] = layout
    if site.render != "none":
        # Lists or bodies are drawn by JavaScript: crawls render them in headless Chromium.
        data["render"] = site.render
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    notes = [f"#   {c.name}: {c.url}" for c in columns]
    return "\n".join([*head, "# Columns found:", *notes, body])
