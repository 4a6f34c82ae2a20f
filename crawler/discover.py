"""`uninews sites discover`: from a university's home page to a site file that crawls its news.

It reads the home page's links to news columns (新闻, 要闻, 动态, News, Stories…), keeps the
pages that list dated links to articles, infers the article URL pattern from those links, reads
the pagination, fetches a few articles to learn the CMS and the timezone and to check that they
extract, and writes a commented site file with a short report. Politely: robots.txt, the
crawler's User-Agent, one request at a time with a pause.
"""

from __future__ import annotations

import http.client
import logging
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import lxml.html
from lxml.html import HtmlElement

from crawler.addresses import http_url_problem, same_host, shown
from crawler.extraction import NotAnArticle, decode_html, extract_article
from crawler.extraction.article import Article
from crawler.extraction.dates import find_date
from crawler.extraction.pages import detect_family
from crawler.extraction.text import fold, text_of
from crawler.listing import links, next_page
from crawler.sites import Site

logger = logging.getLogger(__name__)

# Link text of news columns, in the languages of the sites we archive.
NEWS_WORDS = re.compile(
    r"新闻|要闻|动态|资讯|综合|通知|公告|快讯|头条|校园|学术|媒体|聚焦|"
    r"\bnews\b|\bstories\b|\bpress\b|\bannouncements?\b|\bevents?\b|\bnewsroom\b|\bfeatures?\b",
    re.I,
)
MAX_CANDIDATES = 12  # column pages looked at
MIN_DATED_LINKS = 3  # a listing lists at least this many dated article links
SAMPLE_PER_COLUMN = 3
_ITEM = ("li", "tr", "dd", "article", "p")
_ITEM_CLASS = re.compile(r"row|item|news|list|entry|post|card", re.I)
_DATE_IN_ITEM = re.compile(
    r"\d{4}[-/.年]\s*\d{1,2}[-/.月]\s*\d{1,2}|\d{1,2}\s+\d{4}[-/.]\d{1,2}|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}",
    re.I,
)
# Timezones to try, by the host's top-level domain, for the offsets articles give.
_ZONES_BY_TLD = {
    "cn": ("Asia/Shanghai",),
    "hk": ("Asia/Hong_Kong",),
    "mo": ("Asia/Macau",),
    "tw": ("Asia/Taipei",),
    "sg": ("Asia/Singapore",),
    "jp": ("Asia/Tokyo",),
    "kr": ("Asia/Seoul",),
    "uk": ("Europe/London",),
    "ie": ("Europe/Dublin",),
    "ch": ("Europe/Zurich",),
    "de": ("Europe/Berlin",),
    "fr": ("Europe/Paris",),
    "nl": ("Europe/Amsterdam",),
    "ca": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"),
    "au": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth",
           "Australia/Adelaide"),
    "nz": ("Pacific/Auckland",),
}  # fmt: skip
_US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "Pacific/Honolulu",
    "America/Anchorage",
)


class DiscoveryError(Exception):
    """Nothing to propose (the page cannot be fetched, no news column found); one line."""


@dataclass
class Fetched:
    url: str  # on the origin (the mirror's address mapped back)
    body: bytes
    content_type: str | None

    @property
    def text(self) -> str:
        return decode_html(self.body, self.content_type)

    @property
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
    requests, and a size limit; `base_url` serves the origin host from a mirror."""

    def __init__(
        self,
        origin: str,
        *,
        base_url: str | None = None,
        user_agent: str | None = None,
        delay: float = 1.0,
        timeout: float = 20.0,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        from crawler import settings

        self.origin_host = urlsplit(origin).netloc
        self.mirror = urlsplit(base_url.rstrip("/")) if base_url else None
        self.user_agent = user_agent or settings.USER_AGENT
        self.delay = delay
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.requests = 0
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._last = 0.0
        self._opener = urllib.request.build_opener(_SameHostRedirects(self))

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
        req = urllib.request.Request(self._to_fetch(url), headers={"User-Agent": self.user_agent})
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                body = resp.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    logger.warning("Skipped %s: larger than %d bytes", url, self.max_bytes)
                    return None
                return resp.geturl(), body, resp.headers.get("Content-Type")
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            # HTTPException: a status line like "HTTP/1.1 abc", a header too long
            level = logging.DEBUG if quiet else logging.WARNING
            reason = getattr(exc, "reason", exc)
            if isinstance(exc, http.client.HTTPException):
                reason = f"not a valid HTTP answer ({str(exc).strip()[:80]!r})"
            logger.log(level, "Cannot fetch %s: %s", shown(url), reason)
            return None

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
        got = self._raw_get(url)
        if got is None:
            return None
        final, body, ctype = got
        return Fetched(self._to_origin(final, urlsplit(url).scheme), body, ctype)


# --- reading listings ------------------------------------------------------------------------
@dataclass
class Listed:
    url: str
    title: str
    day: date | None


@dataclass
class Column:
    url: str
    name: str
    items: list[Listed]
    pattern: str
    next_url: str | None = None
    samples: list[Article] = field(default_factory=list)


def _item_of(a: HtmlElement) -> HtmlElement | None:
    for anc in a.iterancestors():
        if anc.tag in _ITEM or (anc.tag == "div" and _ITEM_CLASS.search(anc.get("class") or "")):
            return anc
        if anc.tag in ("ul", "ol", "table", "body", "section", "main"):
            return None
    return None


def dated_links(tree: HtmlElement, page_url: str, hosts: set[str]) -> list[Listed]:
    """Links on a page that sit in a list item showing a date: what a news listing lists."""
    out: list[Listed] = []
    seen: set[str] = set()
    for a, url in links(tree, page_url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in hosts or url in seen:
            continue
        item = _item_of(a)
        if item is None:
            continue
        text = text_of(item)
        if len(text) > 400 or not _DATE_IN_ITEM.search(text):
            continue
        seen.add(url)
        dt = find_date(text)
        out.append(Listed(url, text_of(a) or fold(a.get("title")), dt.date() if dt else None))
    return out


def _segment_pattern(values: list[str]) -> str:
    """A regular expression for one path segment as it varies across article links."""
    if all(v.isdigit() for v in values):
        return r"\d+"  # years, column ids: the ones of older articles differ
    if len(set(values)) == 1:
        return re.escape(values[0])
    shapes = {re.sub(r"\d+", "0", v) for v in values}
    if len(shapes) == 1:
        # Same letters around varying numbers: c1234a5678, 3456.htm, index_12.html
        parts = re.split(r"(\d+)", values[0])
        return "".join(r"\d+" if p.isdigit() else re.escape(p) for p in parts)
    exts = {v.rsplit(".", 1)[1] for v in values if "." in v}
    if len(exts) == 1 and all("." in v for v in values):
        return r"[^/]+\." + re.escape(exts.pop())
    return "[^/]+"


def article_pattern(urls: list[str]) -> str | None:
    """The `article_url` regular expression the links of a listing share.

    Links are grouped by their number of path segments; in the largest group, a segment that
    mostly has one value (`info` in VSB's /info/1012/3456.htm) keeps it, and the links without
    it (a pager's /xwzx/tzgg/1.htm) are not articles. The rest vary: numbers as `\\d+`, names
    as `[^/]+`.
    """
    groups: dict[tuple[int, bool], list[list[str]]] = {}
    for url in urls:
        parts = urlsplit(url)
        segs = parts.path.split("/")[1:]
        groups.setdefault((len(segs), bool(parts.query)), []).append([*segs, parts.query])
    if not groups:
        return None
    rows = max(groups.values(), key=len)
    for pos in range(len(rows[0]) - 1):
        value, count = Counter(r[pos] for r in rows).most_common(1)[0]
        if not value.isdigit() and count >= 0.5 * len(rows) and count < len(rows):
            rows = [r for r in rows if r[pos] == value]
    if len(rows) < MIN_DATED_LINKS:
        return None
    columns = list(zip(*rows, strict=True))
    path = "/".join(_segment_pattern(list(col)) for col in columns[:-1])
    query = columns[-1]
    if any(query):
        q = re.sub(r"\d+", r"\\d+", re.escape(query[0]).replace(r"\=", "="))
        return f"^/{path}\\?{q}$"
    return f"^/{path}$"


# --- timezones ---------------------------------------------------------------------------------
def guess_timezone(host: str, language: str | None, articles: list[Article]) -> str:
    """The IANA zone whose offset matches the articles' own (a DST-aware pick among the zones
    of the host's country); China's for a Chinese site that gives none."""
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in ("cn", "hk", "mo", "tw"):
        return _ZONES_BY_TLD[tld][0]
    zones = _ZONES_BY_TLD.get(tld) or (_US_ZONES if tld in ("edu", "us", "com", "org") else ())
    seen: list[datetime] = []
    for art in articles:
        value = art.published_at
        if value and len(value) > 19 and value[19:] not in ("+00:00", "Z"):
            seen.append(datetime.fromisoformat(value))
    for zone in zones:
        tz = ZoneInfo(zone)
        if seen and all(d.utcoffset() == d.astimezone(tz).utcoffset() for d in seen):
            return zone
    if language == "zh":
        return "Asia/Shanghai"
    return zones[0] if zones else "UTC"


# --- the whole discovery ------------------------------------------------------------------------
@dataclass
class Discovery:
    site_yaml: str
    report: list[str]
    site: Site
    columns: list[Column]


def _hosts_of(start: str) -> set[str]:
    host = urlsplit(start).hostname or ""
    return {host}


def _candidates(home: Fetched, hosts: set[str]) -> list[tuple[str, str]]:
    """(URL, link text) of the home page's links that name a news column, best first."""
    found: dict[str, str] = {}
    for a in home.tree.iter("a"):
        label = text_of(a) or fold(a.get("title"))
        href = (a.get("href") or "").strip()
        if not href or not label or len(label) > 20 or not NEWS_WORDS.search(label):
            continue
        url = urljoin(home.url, href).split("#", 1)[0]
        if urlsplit(url).hostname in hosts and url not in found:
            found[url] = label
    return list(found.items())[:MAX_CANDIDATES]


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
    home = fetch.get(start_url)
    if home is None:
        raise DiscoveryError(f"cannot fetch {start_url} (see the warning above)")
    hosts = _hosts_of(start_url)
    columns: list[Column] = []
    pages: list[tuple[str, str, Fetched]] = []
    for url, label in _candidates(home, hosts):
        got = fetch.get(url)
        if got is not None:
            pages.append((url, label, got))
    # The start page last, and only when no link of it led to a listing: a home page shows the
    # newest items of every column at once, which is no column of its own.
    pages.append((start_url, "news", home))
    for url, label, got in pages:
        if url == start_url and columns:
            break
        tree = got.tree
        items = dated_links(tree, got.url, hosts)
        pattern = article_pattern([i.url for i in items])
        if pattern is None:
            continue
        rx = re.compile(pattern)
        items = [i for i in items if rx.search(_target(i.url))]
        if any(c.url == url for c in columns):
            continue
        probe = _probe_site(start_url, pattern)
        columns.append(Column(url, label, items, pattern, next_page(tree, got.url, probe)))
    if not columns:
        raise DiscoveryError(
            f"no news column found from {start_url}: no page it links to lists dated articles"
            " (try the address of a news list page)"
        )
    pattern = _merge_patterns([c.pattern for c in columns])
    probe = _probe_site(start_url, pattern)
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
    samples = [a for c in columns for a in c.samples]
    language = Counter(a.language for a in samples if a.language).most_common(1)
    lang = language[0][0] if language else ("zh" if _cjk(home.text) else "en")
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
        article_url=pattern,
        layout=layout,
        schedule="0 */6 * * *",
    )
    return Discovery(
        _yaml(site, columns, layout, fetch), _report(site, columns, samples), site, columns
    )


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _probe_site(start_url: str, pattern: str) -> Site:
    parts = urlsplit(start_url)
    return Site(
        name="probe",
        title="probe",
        base_url=f"{parts.scheme}://{parts.netloc}/",
        listings=["/"],
        article_url=pattern,
    )


def _merge_patterns(patterns: list[str]) -> str:
    unique = list(dict.fromkeys(patterns))
    if len(unique) == 1:
        return unique[0]
    return "|".join(f"(?:{p})" for p in unique)


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
    if layout:
        data["layout"] = layout
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    notes = [f"#   {c.name}: {c.url}" for c in columns]
    return "\n".join([*head, "# Columns found:", *notes, body])
