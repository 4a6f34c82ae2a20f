"""The JSON API: the same data as the pages, documented by OpenAPI (/api/openapi.json), field
names those of the record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from storage.blobs import with_archived
from uninews.web import paging, queries

router = APIRouter(prefix="/api", tags=["archive"])


class ArchivedFile(BaseModel):
    """The archive's copy of an image or attachment, served at /files/{sha256}."""

    sha256: str
    size: int
    mime: str
    name: str | None = None


class Image(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str | None = None
    caption: str | None = None
    credit: str | None = None
    archived: ArchivedFile | None = None


class Attachment(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str | None = None
    name: str | None = None
    archived: ArchivedFile | None = None


class Article(BaseModel):
    """An archived article: the record `uninews show --format json` prints."""

    model_config = ConfigDict(extra="allow")
    id: str
    url: str
    canonical_url: str | None = None
    site: str | None = None
    kicker: str | None = Field(None, description="the line above the headline (引题), if any")
    title: str | None = None
    subtitle: str | None = None
    published_at: str | None = Field(None, description="ISO 8601 with the site's UTC offset")
    source: str | None = None
    authors: list[str] = []
    photographers: list[str] = []
    editors: list[str] = []
    language: str | None = None
    text: str | None = None
    images: list[Image] = []
    attachments: list[Attachment] = []
    version: int | None = None
    first_seen: str | None = None
    last_seen: str | None = None


class SearchPage(BaseModel):
    total: int = Field(description="how many articles match in all")
    count: int = Field(description="how many are in this page")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page, and when"
        " paging by number"
    )
    page: int | None = Field(None, description="this page's number, when paging by number")
    pages: int | None = Field(None, description="how many pages, when paging by number")
    results: list[Article] = Field(description="in the order asked for; without `html`")


class Version(BaseModel):
    version: int
    first_seen: str | None = Field(None, description="when this version was first fetched")
    stored_at: str | None = Field(description="when this version was last seen")
    changed: list[str] = Field(description="the fields that differ from the version before")
    record: Article


class SiteSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    site: str
    articles: int
    earliest: str | None = None
    latest: str | None = None
    last_crawl: str | None = None
    edited: int | None = None
    withdrawn: int | None = None


class Sites(BaseModel):
    daemon: dict[str, Any] = Field(description="as `uninews status --format json` says")
    sites: list[SiteSummary]


class Month(BaseModel):
    month: str = Field(description="YYYY-MM, in the site's local time")
    articles: int


class SiteStats(BaseModel):
    site: str
    summary: dict[str, Any]
    months: list[Month]
    runs: list[dict[str, Any]] = Field(description="the last 20 runs, newest first")
    fill_rates: dict[str, dict[str, float | None]] = Field(
        description="per field: its share of the archive's articles (`archive`), of the"
        " articles of the last crawl that extracted any (`last_run`; revisits are not"
        " counted), and the median over the last crawls of the last 20 runs"
    )
    status: dict[str, Any] = Field(description="schedule, next run, last run (uninews status)")
    daemon: dict[str, Any]


Limit = Annotated[int, Query(ge=1, le=100, description="results per page")]


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Search the archive, newest first by cursor, or by page number in any order",
)
def search(
    request: Request,
    q: Annotated[
        str | None, Query(description="keywords, Chinese or English; all must occur")
    ] = None,
    site: str | None = None,
    since: Annotated[date | None, Query(description="published on or after (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="published on or before")] = None,
    author: Annotated[str | None, Query(description="anyone in the byline")] = None,
    limit: Limit = 20,
    cursor: Annotated[
        str | None, Query(description="the `next_cursor` of the page before (newest first)")
    ] = None,
    sort: Annotated[
        Literal["newest", "oldest", "relevance"],
        Query(
            description="newest or oldest first, or for `q` most relevant first (the words in"
            " the title first, then how often the text holds them; at most"
            f" {paging.MAX_RANKED:,} matches)"
        ),
    ] = "newest",
    page: Annotated[
        int | None, Query(ge=1, description="page by number (any sort) rather than by cursor")
    ] = None,
) -> dict[str, Any]:
    store = request.app.state.store
    wanted = queries.Search(q, site, since, until, author)
    if page is None and sort == "newest":
        found = queries.search_page(store, wanted, limit, cursor)
        return {
            "total": found.total,
            "count": len(found.results),
            "next_cursor": found.next_cursor,
            "results": [_listed(r) for r in found.results],
        }
    if cursor is not None:
        raise queries.BadRequest(
            "bad parameter: a cursor pages newest first; with sort or page, leave it out"
        )
    paged = paging.search_pages(store, wanted, sort, page or 1, limit)
    return {
        "total": paged.total,
        "count": len(paged.results),
        "next_cursor": None,
        "page": paged.page,
        "pages": paged.pages,
        "results": [_listed(r) for r in paged.results],
    }


def _listed(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "html"}


@router.get("/articles/{article_id}", response_model=Article, summary="One article, every field")
def get_article(request: Request, article_id: str) -> dict[str, Any]:
    store = request.app.state.store
    return with_archived(store, queries.article(store, article_id))


@router.get(
    "/articles/{article_id}/versions",
    response_model=list[Version],
    summary="Every version of an article, oldest first",
)
def get_versions(request: Request, article_id: str) -> list[dict[str, Any]]:
    return queries.versions(request.app.state.store, article_id)


@router.get("/sites", response_model=Sites, summary="The archive's sites and the daemon's state")
async def sites(request: Request) -> dict[str, Any]:
    figures = request.app.state.figures
    return {"daemon": (await figures.status_now())["daemon"], "sites": await figures.stats_now()}


@router.get("/sites/{name}/stats", response_model=SiteStats, summary="One site's dashboard")
async def site_stats(request: Request, name: str) -> dict[str, Any]:
    view = await request.app.state.figures.site_view_now(name)
    return {
        "site": view.name,
        "summary": view.summary,
        "months": view.months,
        "runs": view.runs,
        "fill_rates": view.fill_rates,
        "status": view.status,
        "daemon": view.daemon,
    }
