"""Sites are data: one YAML file each, validated into a `Site`; shipped files plus `--sites-dir`."""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

logger = logging.getLogger(__name__)

PACKAGED_SITES = Path(__file__).resolve().parent / "sites"

# Text of the link to the next listing page when a site file does not say otherwise.
NEXT_LINK_TEXTS = ("下一页", "下页", "Next", "next", "›", "»", "Next ›", "Next »", "next ›")


class SiteError(Exception):
    """A site is unknown or its file is invalid; the message is one line naming file and key."""


class Pagination(BaseModel):
    """How to find the next listing page."""

    model_config = ConfigDict(extra="forbid")

    next: str | None = Field(None, description="CSS selector of the next-page link")
    next_text: list[str] = Field(default_factory=lambda: list(NEXT_LINK_TEXTS))


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
    selectors: dict[str, str] = Field(default_factory=dict)
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
    path: str | None = Field(None, exclude=True)

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
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as exc:
            raise ValueError(f"not a cron expression: {exc}") from None
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
        return re.compile(self.article_url)

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
        return bool(self.article_re.search(target))

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
        raise SiteError(f"{path}: cannot read site file: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise SiteError(f"{path}: not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise SiteError(f"{path}: a site file must be a mapping of keys to values")
    try:
        return Site(**data, path=str(path))
    except ValidationError as exc:
        raise SiteError(f"{path}: {_describe(exc)}") from None
    except TypeError as exc:
        raise SiteError(f"{path}: {exc}") from None


def site_files(sites_dir: Path | None = None) -> list[Path]:
    dirs = [PACKAGED_SITES] + ([sites_dir] if sites_dir else [])
    files: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise SiteError(f"{d}: sites directory does not exist")
        files += sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml"))
    return files


def load_sites(sites_dir: Path | None = None) -> dict[str, Site]:
    """Every site by name; a file in `sites_dir` overrides a packaged one of the same name."""
    sites: dict[str, Site] = {}
    for path in site_files(sites_dir):
        site = load_site_file(path)
        sites[site.name] = site
    return sites


def get_site(name: str, sites_dir: Path | None = None) -> Site:
    """The named site. A broken file elsewhere is logged, not fatal: one bad site file must not
    stop every other site's crawls (the daemon runs them all)."""
    found: Site | None = None
    errors: list[SiteError] = []
    for path in site_files(sites_dir):
        try:
            site = load_site_file(path)
        except SiteError as exc:
            if path.stem == name:
                raise
            errors.append(exc)
            continue
        if site.name == name:
            found = site  # a later file (--sites-dir) overrides a packaged one
    if found is not None:
        for err in errors:
            logger.warning("ignoring a broken site file: %s", err)
        return found
    if errors:
        raise errors[0]  # the site may be the broken one
    known = ", ".join(sorted(load_sites(sites_dir))) or "none"
    raise SiteError(f"unknown site {name!r} (known: {known})")
