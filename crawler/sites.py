"""Sites are data: one YAML file each, validated into a `Site`; shipped files plus `--sites-dir`."""

from __future__ import annotations

import functools
import logging
import re
import re._parser as sre_parse  # the stdlib's own parser; `sre_parse` is deprecated since 3.11
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    import regex

logger = logging.getLogger(__name__)

PACKAGED_SITES = Path(__file__).resolve().parent / "sites"

# Text of the link to the next listing page when a site file does not say otherwise.
NEXT_LINK_TEXTS = ("下一页", "下页", "Next", "next", "›", "»", "Next ›", "Next »", "next ›")

# How long one `article_url` search may take. Real patterns answer in microseconds; one that
# backtracks exponentially would otherwise spin for ever, deaf to SIGTERM (`re` holds the GIL
# and never looks at signals while it matches).
ARTICLE_URL_TIMEOUT = 0.05
# A schedule whose next run is further off than this is a mistake, not a plan: even February 29
# comes round at most 8 years apart (2096 to 2104).
SCHEDULE_HORIZON = timedelta(days=8 * 366)

_UNBOUNDED = sre_parse.MAXREPEAT
_BACKTRACKING_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT)
_timed_out: set[tuple[str, str]] = set()  # (site, article_url) already warned about


class SiteError(Exception):
    """A site is unknown or its file is invalid; the message is one line naming file and key.

    `path` is the site file and `site` the site's name, when known: `get_site` uses them to
    tell an error about the site asked for from one about some other file.
    """

    def __init__(self, message: str, *, path: Path | None = None, site: str | None = None):
        super().__init__(message)
        self.path = path
        self.site = site


# --- checks on a site file's values ---------------------------------------------------------
def _subpatterns(op: Any, av: Any) -> list[Any]:
    """The parsed subpatterns inside one regular-expression node (groups, branches, repeats)."""
    if op in (*_BACKTRACKING_REPEATS, sre_parse.POSSESSIVE_REPEAT):
        return [av[2]]  # (min, max, item)
    if op is sre_parse.SUBPATTERN:
        return [av[3]]  # (group, add_flags, del_flags, item)
    if op is sre_parse.BRANCH:
        return list(av[1])  # (None, [item, ...])
    if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
        return [av[1]]  # (direction, item)
    if op is sre_parse.ATOMIC_GROUP:
        return [av]
    if op is sre_parse.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]  # (group, yes, no)
    return []


def _ends_in_unbounded_repeat(items: Any) -> bool:
    """Whether `items` can end with an unbounded repeat (nothing required after it)."""
    for op, av in reversed(list(items)):
        if op in _BACKTRACKING_REPEATS and av[1] == _UNBOUNDED:
            return True
        if op is sre_parse.SUBPATTERN and _ends_in_unbounded_repeat(av[3]):
            return True
        if op is sre_parse.BRANCH and any(_ends_in_unbounded_repeat(b) for b in av[1]):
            return True
        if op is sre_parse.AT or (op in _BACKTRACKING_REPEATS and av[0] == 0):
            continue  # an anchor, or something optional: look further back
        return False
    return False


def _has_nested_quantifier(items: Any) -> bool:
    """Whether an unbounded repeat ends in another, as in `(a+)+` or `(\\d*)*`: the two can
    split a run of characters between them in exponentially many ways, and a failing match
    tries them all. `(\\w+/)+` is fine (each round must end in "/"); alternatives that match
    alike are `_has_ambiguous_alternation`'s, and rarer traps are left to the match timeout."""
    for op, av in items:
        if op in _BACKTRACKING_REPEATS and av[1] == _UNBOUNDED and _ends_in_unbounded_repeat(av[2]):
            return True
        if any(_has_nested_quantifier(sub) for sub in _subpatterns(op, av)):
            return True
    return False


# Characters two parts of a pattern are tried on to tell whether they can match the same one.
_PROBES = [chr(i) for i in range(256)] + list("中文é٣ſK\u2028")
_CHAR_OPS = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.IN, sre_parse.ANY)
_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    sre_parse.CATEGORY_DIGIT: str.isdecimal,
    sre_parse.CATEGORY_NOT_DIGIT: lambda c: not c.isdecimal(),
    sre_parse.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    sre_parse.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
    sre_parse.CATEGORY_SPACE: str.isspace,
    sre_parse.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
}


def _matches_char(op: Any, av: Any, ch: str) -> bool:
    """Whether one single-character item (a literal, a class, `.`) matches `ch`."""
    if op is sre_parse.LITERAL:
        return ord(ch) == av
    if op is sre_parse.NOT_LITERAL:
        return ord(ch) != av
    if op is sre_parse.ANY:
        return ch != "\n"
    negate = bool(av) and av[0][0] is sre_parse.NEGATE
    hit = False
    for kind, value in av[1:] if negate else av:
        if kind is sre_parse.LITERAL:
            hit = ord(ch) == value
        elif kind is sre_parse.RANGE:
            hit = value[0] <= ord(ch) <= value[1]
        elif kind is sre_parse.CATEGORY:
            hit = _CATEGORIES.get(value, lambda c: True)(ch)  # others: assume it may
        else:
            hit = True
        if hit:
            break
    return hit != negate


def _first_char(item: tuple[Any, Any]) -> tuple[Any, Any] | None:
    """The single-character item `item` must start with, or None when that is unclear."""
    op, av = item
    if op in _CHAR_OPS:
        return item
    if op in _BACKTRACKING_REPEATS and av[0] >= 1 and len(av[2]):
        return _first_char(av[2][0])
    if op is sre_parse.SUBPATTERN and len(av[3]):
        return _first_char(av[3][0])
    return None


def _can_start_alike(a: list[Any], b: list[Any], depth: int = 8) -> bool:
    """Whether two ways on through a pattern can match the same next characters: compared
    character by character while both are plain characters, for `depth` at most."""
    for x, y in zip(a[:depth], b[:depth], strict=False):
        fx, fy = _first_char(x), _first_char(y)
        if fx is None or fy is None:
            return True  # an anchor, a lookaround, an optional part: cannot tell, so it may
        if not any(_matches_char(*fx, c) and _matches_char(*fy, c) for c in _PROBES):
            return False
        if x[0] not in _CHAR_OPS or y[0] not in _CHAR_OPS:
            return True  # both go on into a repeat or a group that start alike
    return True  # one is the other's start


def _ambiguous_branch(items: list[Any], after: list[Any]) -> bool:
    """Whether a branch in `items` (which `after` follows) has two alternatives that can match
    the same characters, as `\\d` and `\\d\\d` do (or `\\d` and the `\\d` that follows)."""
    for i, (op, av) in enumerate(items):
        rest = [*items[i + 1 :], *after]
        if op is sre_parse.BRANCH:
            ways = [[*alt, *rest] for alt in av[1]]
            if any(
                _can_start_alike(a, b) for j, a in enumerate(ways) for b in ways[j + 1 :]
            ) or any(_ambiguous_branch(list(alt), rest) for alt in av[1]):
                return True
        elif op is sre_parse.SUBPATTERN and _ambiguous_branch(list(av[3]), rest):
            return True
    return False


def _has_ambiguous_alternation(items: Any) -> bool:
    """Whether an unbounded repeat holds a branch whose alternatives can match the same
    characters, as in `(\\d|\\d\\d)*`: a run of n digits splits between them in exponentially
    many ways, and a link that almost matches tries them all. Alternatives that differ from
    their first characters on (`(/[a-z]+|/\\d+)*`) are fine; atomic groups and possessive
    repeats never try again."""
    for op, av in items:
        if op in _BACKTRACKING_REPEATS and av[1] == _UNBOUNDED:
            body = list(av[2])
            if _ambiguous_branch(body, body):  # each round is followed by the next
                return True
        if op is not sre_parse.ATOMIC_GROUP and any(
            _has_ambiguous_alternation(sub) for sub in _subpatterns(op, av)
        ):
            return True
    return False


def _selector(xpath_prefixes: tuple[str, ...]) -> Callable[[str], str]:
    """A check that a selector compiles, as XPath or CSS by the same test its user applies."""

    def check(sel: str) -> str:
        from cssselect import SelectorError
        from lxml import etree
        from lxml.cssselect import CSSSelector

        if sel.startswith(xpath_prefixes):
            try:
                etree.XPath(sel)
            except etree.XPathError as exc:  # XPathSyntaxError and its kin
                raise ValueError(f"invalid XPath {sel!r}: {exc}") from None
        else:
            try:  # lxml's HTML translator, as HtmlElement.cssselect uses it
                CSSSelector(sel, translator="html")
            except SelectorError as exc:  # SelectorSyntaxError and unsupported pseudo-elements
                raise ValueError(f"invalid CSS selector {sel!r}: {exc}") from None
        return sel

    return check


# Selectors are XPath when they start with one of these, else CSS (crawler/extraction/pages/
# base.py for `selectors`, crawler/listing.py for `pagination.next`).
XPATH_PREFIXES = ("/", "(", "./")
ArticleSelector = Annotated[str, AfterValidator(_selector(XPATH_PREFIXES))]
NextSelector = ArticleSelector


class Pagination(BaseModel):
    """How to find the next listing page."""

    model_config = ConfigDict(extra="forbid")

    next: NextSelector | None = Field(
        None, description="CSS selector (or XPath) of the next-page link"
    )
    next_text: list[str] = Field(default_factory=lambda: list(NEXT_LINK_TEXTS))


class Revisit(BaseModel):
    """When archived articles are checked again for edits and withdrawals (docs/architecture.md).

    `after`: spans after publication (or first sight) for the first checks; then one every
    `every`; at most `max_per_run` checks ride along each scheduled crawl of the site, so a
    backlog never floods it. `enabled: false` (or `revisit: false`) turns checks off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    after: list[str] = Field(default_factory=lambda: ["1h", "6h", "1d", "3d", "7d", "30d"])
    every: str = "180d"
    max_per_run: int = Field(50, ge=0)

    @field_validator("after")
    @classmethod
    def _spans(cls, v: list[str]) -> list[str]:
        from crawler.revisit import parse_span

        spans = [parse_span(x) for x in v]
        if spans != sorted(spans):
            raise ValueError("spans must grow: 1h, 6h, 1d …")
        return v

    @field_validator("every")
    @classmethod
    def _span(cls, v: str) -> str:
        from crawler.revisit import parse_span

        parse_span(v)
        return v

    def next_check(
        self, published: datetime | None, first_seen: datetime, now: datetime
    ) -> datetime:
        from crawler.revisit import next_check, parse_span

        return next_check(
            [parse_span(x) for x in self.after], parse_span(self.every), published, first_seen, now
        )


CaptureKind = Literal["images", "attachments", "styles"]


class Site(BaseModel):
    """One university news site, as its YAML file describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    base_url: str
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    schedule: str = "0 */6 * * *"
    listings: list[str] = Field(default_factory=list)
    article_url: str
    pagination: Pagination = Pagination()
    selectors: dict[str, ArticleSelector] = Field(default_factory=dict)
    domains: list[str] = Field(
        default_factory=list, description="more hosts that are the site's own"
    )
    sitemaps: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    layout: str | None = Field(None, description="page object to use; by URL when omitted")
    source: str | None = Field(None, description="the outlet, for articles that name none")
    incremental_pages: int = Field(
        0, ge=0, description="listing pages to walk past the last new one"
    )
    run_timeout: int | None = Field(None, gt=0, description="seconds before the daemon kills a run")
    max_pages: int = Field(
        5000,
        gt=0,
        description="listing pages per listing (and child sitemaps) a run walks at most; a"
        " safety net against endless pagination, raised by --max-pages for one run",
    )
    empty_pages: int = Field(
        3,
        gt=0,
        description="consecutive listing pages with no new article link that end a walk",
    )
    revisit: Revisit = Revisit()
    render: Literal["none", "listings", "articles", "all"] = Field(
        "none",
        description="pages drawn by JavaScript, rendered in a headless Chromium first"
        " (crawler/rendering.py)",
    )
    capture: list[CaptureKind] = Field(
        default_factory=lambda: list[CaptureKind](("images", "attachments")),
        description="what is archived beside each article (crawler/capture.py); [] for nothing",
    )
    path: str | None = Field(None, exclude=True)

    @field_validator("revisit", mode="before")
    @classmethod
    def _revisit_off(cls, v: Any) -> Any:
        return {"enabled": False} if v is False else v

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator("timezone")
    @classmethod
    def _iana(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {v!r}") from None
        return v

    @field_validator("article_url")
    @classmethod
    def _regex(cls, v: str) -> str:
        import regex

        try:
            parsed = sre_parse.parse(v)
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if _has_nested_quantifier(parsed):
            raise ValueError(
                f"nested quantifier in {v!r}: a repeat inside a repeat, as in '(a+)+', can take "
                "exponential time on a link that almost matches; drop one, bound it ('{1,9}'), "
                "or make the inner one possessive ('a++') or atomic ('(?>a+)')"
            )
        if _has_ambiguous_alternation(parsed):
            raise ValueError(
                f"ambiguous alternation in {v!r}: alternatives under a repeat that match the "
                "same characters, as in '(\\d|\\d\\d)*', can take exponential time on a link "
                "that almost matches; make them differ ('\\d+'), or make the group atomic "
                "('(?>\\d|\\d\\d)*') or the repeat possessive ('*+')"
            )
        try:  # what is_article_url runs
            regex.compile(v)
        except regex.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        from scheduler.cron import cron_trigger, next_fire

        try:
            trigger = cron_trigger(v, "UTC")
        except ValueError as exc:
            raise ValueError(f"not a cron expression: {exc}") from None
        now = datetime.now(UTC)
        fire = next_fire(trigger, now)
        if fire is None:
            raise ValueError(f"{v!r} never fires: no date has that day in that month")
        if fire - now > SCHEDULE_HORIZON:
            raise ValueError(f"{v!r} never fires in practice: next on {fire:%Y-%m-%d}")
        return v

    @field_validator("layout")
    @classmethod
    def _known_layout(cls, v: str | None) -> str | None:
        from crawler.extraction.pages import LAYOUTS

        if v is not None and v not in LAYOUTS:
            raise ValueError(f"unknown layout {v!r}; known: {', '.join(sorted(LAYOUTS))}")
        return v

    @field_validator("selectors")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        from crawler.extraction.article import SELECTABLE_FIELDS

        unknown = sorted(set(v) - set(SELECTABLE_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(SELECTABLE_FIELDS)}"
            )
        return v

    @model_validator(mode="after")
    def _some_source(self) -> Site:
        if not (self.listings or self.sitemaps or self.feeds):
            raise ValueError("listings: give at least one listing page (or sitemaps, or feeds)")
        return self

    def sitemap_urls(self) -> list[str]:
        return [urljoin(self.base_url, u) for u in self.sitemaps]

    def feed_urls(self) -> list[str]:
        return [urljoin(self.base_url, u) for u in self.feeds]

    @cached_property
    def article_re(self) -> re.Pattern[str]:
        """`article_url` compiled by `re`, with no time limit: match with `is_article_url`."""
        return re.compile(self.article_url)

    @cached_property
    def article_pattern(self) -> regex.Pattern[str]:
        """`article_url` compiled by the `regex` module, whose searches take a timeout."""
        import regex

        return regex.compile(self.article_url)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def hosts(self) -> list[str]:
        return [self.host, *self.domains]

    def listing_urls(self) -> list[str]:
        return [urljoin(self.base_url, u) for u in self.listings]

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not self.owns_host(parts.hostname or ""):
            return False
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            return bool(self.article_pattern.search(target, timeout=ARTICLE_URL_TIMEOUT))
        except TimeoutError:
            # The load-time check misses some slow patterns ("(a|a)*"); skip the link, not the crawl.
            if (self.name, self.article_url) not in _timed_out:
                _timed_out.add((self.name, self.article_url))
                logger.warning(
                    "%s: article_url %r took over %gs on %s; treating such links as "
                    "non-articles (simplify the pattern in %s)",
                    self.name,
                    self.article_url,
                    ARTICLE_URL_TIMEOUT,
                    target,
                    self.path or "its site file",
                )
            return False

    def owns_host(self, host: str) -> bool:
        host = host.lower()
        return any(host == h or host.endswith("." + h) for h in self.hosts)


class UrlMap:
    """Maps the site's own URLs onto a mirror (`--base-url`) for fetching, and back for storing."""

    def __init__(self, site: Site, base_url: str | None = None) -> None:
        self.site = site
        self.mirror = urlsplit(base_url.rstrip("/")) if base_url else None
        self.origin = urlsplit(site.base_url)

    def to_fetch(self, url: str) -> str:
        if self.mirror is None:
            return url
        parts = urlsplit(url)
        if not self.site.owns_host(parts.hostname or ""):
            return url
        path = self.mirror.path + parts.path
        return urlunsplit((self.mirror.scheme, self.mirror.netloc, path, parts.query, ""))

    def to_origin(self, url: str) -> str:
        if self.mirror is None:
            return url
        parts = urlsplit(url)
        if parts.netloc != self.mirror.netloc:
            return url
        path = parts.path[len(self.mirror.path) :] if self.mirror.path else parts.path
        return urlunsplit(
            (self.origin.scheme, self.origin.netloc, path or "/", parts.query, parts.fragment)
        )


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if not key:  # a whole-file rule names its key first: "listings: give at least one …"
        key, _, msg = msg.partition(": ") if ": " in msg else ("(top level)", "", msg)
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"key {key!r}: {msg}"


def load_site_file(path: Path) -> Site:
    """Parse and validate one site file; SiteError names the file and the bad key."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteError(f"{path}: cannot read site file: {exc.strerror}", path=path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise SiteError(f"{path}: not valid YAML{line}", path=path) from None
    if not isinstance(data, dict):
        raise SiteError(f"{path}: a site file must be a mapping of keys to values", path=path)
    name = data.get("name") if isinstance(data.get("name"), str) else None
    try:
        return Site(**data, path=str(path))
    except ValidationError as exc:
        raise SiteError(f"{path}: {_describe(exc)}", path=path, site=name) from None
    except TypeError as exc:
        raise SiteError(f"{path}: {exc}", path=path, site=name) from None


@functools.cache
def packaged_sites() -> Path:
    """The folder of the site files that come with uninews.

    Scrapyd runs the project from a zipped egg, where they are zip members, not files: there
    they are copied once to a temporary folder, deleted at exit.
    """
    if PACKAGED_SITES.is_dir():
        return PACKAGED_SITES
    import atexit
    import shutil
    import tempfile
    from importlib.resources import files

    folder = Path(tempfile.mkdtemp(prefix="uninews-sites-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for entry in (files("crawler") / "sites").iterdir():
        if entry.name.endswith((".yaml", ".yml")):
            (folder / entry.name).write_bytes(entry.read_bytes())
    return folder


def _site_dirs(sites_dir: Path | None) -> list[Path]:
    dirs = [packaged_sites()] + ([sites_dir] if sites_dir else [])
    for d in dirs:
        try:
            is_dir = d.is_dir()
        except OSError as exc:
            raise SiteError(f"{d}: cannot read the sites directory: {exc.strerror}") from None
        if not is_dir:
            raise SiteError(f"{d}: sites directory does not exist")
    return dirs


def _files_in(d: Path) -> list[Path]:
    files = []
    try:
        entries = sorted(d.iterdir())
    except OSError as exc:
        raise SiteError(f"{d}: cannot read the sites directory: {exc.strerror}") from None
    for p in entries:
        if p.suffix not in (".yaml", ".yml"):
            continue
        # Reading a FIFO (or a device) blocks until someone writes to it: every command would hang.
        if not p.is_file():
            logger.warning("ignoring %s: not a regular file", p)
            continue
        files.append(p)
    return files


def site_files(sites_dir: Path | None = None) -> list[Path]:
    """The site files: packaged ones, then those in `sites_dir`; regular files only."""
    return [p for d in _site_dirs(sites_dir) for p in _files_in(d)]


def load_sites_tolerant(sites_dir: Path | None = None) -> tuple[dict[str, Site], list[SiteError]]:
    """Every site that loads, by name, and the errors of the files that do not.

    A file in `sites_dir` overrides a packaged site of the same name; two files in one
    directory naming the same site are an error, and neither of them (nor a packaged site they
    would override) is loaded, since which one was meant is anyone's guess.
    """
    sites: dict[str, Site] = {}
    errors: list[SiteError] = []
    for d in _site_dirs(sites_dir):
        here: dict[str, Site] = {}
        clashes: set[str] = set()
        for path in _files_in(d):
            try:
                site = load_site_file(path)
            except SiteError as exc:
                errors.append(exc)
                continue
            first = here.get(site.name)
            if first is not None:
                errors.append(
                    SiteError(
                        f"{path}: key 'name': site {site.name!r} is also defined by {first.path}",
                        path=path,
                        site=site.name,
                    )
                )
                clashes.add(site.name)
                continue
            here[site.name] = site
        for name in clashes:
            del here[name]
            sites.pop(name, None)
        for name, site in here.items():
            if name in sites:
                logger.info("site %s from %s overrides the packaged one", name, site.path)
            sites[name] = site
    return sites, errors


def load_sites(sites_dir: Path | None = None) -> dict[str, Site]:
    """Every site by name; a file in `sites_dir` overrides a packaged one of the same name.
    Any broken site file is an error."""
    sites, errors = load_sites_tolerant(sites_dir)
    if errors:
        raise errors[0]
    return sites


def get_site(name: str, sites_dir: Path | None = None) -> Site:
    """The named site. A broken file elsewhere is logged, not fatal: one bad site file must not
    stop every other site's crawls (the daemon runs them all)."""
    sites, errors = load_sites_tolerant(sites_dir)
    for err in errors:
        if err.site == name or (err.path is not None and err.path.stem == name):
            raise err
    if name in sites:
        for err in errors:
            logger.warning("ignoring a broken site file: %s", err)
        return sites[name]
    if errors:
        raise errors[0]  # the site may be the broken one
    known = ", ".join(sorted(sites)) or "none"
    raise SiteError(f"unknown site {name!r} (known: {known}); {where_sites(sites_dir)}")


def where_sites(sites_dir: Path | None) -> str:
    """Where site files are looked up, for an error about a site that is not there."""
    more = str(sites_dir) if sites_dir else "--sites-dir DIR or $UNINEWS_SITES_DIR (neither given)"
    return f"site files are read from {packaged_sites()} and from {more}"
