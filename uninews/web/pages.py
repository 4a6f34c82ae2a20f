"""The pages: home, search, article (with versions, diffs and the archived page), site dashboard.
Server-rendered, no script; every value from a page is escaped by the templates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from storage.blobs import with_archived
from uninews.web import paging, queries
from uninews.web.files import archived_page

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# An archived page is shown as an inert document: no script, an opaque origin (it can reach
# neither the app's cookies nor its pages), its images and styles only from the archive
# (uninews/web/files.py points them there): nothing is fetched from the live site.
RAW_PAGE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' {origin} data:; "
    "style-src 'self' {origin} 'unsafe-inline'; font-src 'self' {origin} data:"
)
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


def http_url(value: Any) -> str | None:
    """`value` when it is an http(s) URL, else None: a page's `javascript:` link stays text."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


templates.env.filters["http_url"] = http_url
templates.env.globals["urlencode"] = urlencode


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    figures = request.app.state.figures
    status = await figures.status_now()
    by_site = {r["site"]: r for r in status["sites"]}
    titles = await figures.titles_now()
    sites = [
        {**s, "status": by_site.get(s["site"], {}), "title": titles.get(s["site"])}
        for s in await figures.stats_now()
    ]
    return _render(request, "home.html", sites=sites, daemon=status["daemon"])


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    q: str | None = None,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    author: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: str = "newest",
    page: Annotated[int, Query(ge=1)] = 1,
    cursor: str | None = None,
) -> HTMLResponse:
    store = request.app.state.store
    if cursor is not None:  # an old link: say so rather than show page 1 as if it were next
        raise queries.BadRequest(
            "bad parameter: cursor is for /api/search; these pages go by page=N"
        )
    wanted = queries.Search(q, site, since, until, author)
    searched = bool(wanted.params())
    paged = paging.search_pages(store, wanted, sort, page, limit) if searched else None
    rows = [
        {"rec": r, "snippet": queries.snippet(r.get("text") or "", wanted.q)}
        for r in (paged.results if paged else [])
    ]
    # Every link to another page or order of this search: its filters, size, sort and page.
    base = sorted(wanted.params().items()) + ([("limit", str(limit))] if limit != 20 else [])

    def link(sort: str = sort, page: int = page) -> str:
        extra = [("sort", sort)] if sort != "newest" else []
        extra += [("page", str(page))] if page != 1 else []
        return "/search?" + urlencode(base + extra)

    return _render(
        request,
        "search.html",
        search=wanted,
        page=paged,
        rows=rows,
        limit=limit,
        sort=sort,
        sorts=paging.SORTS,
        link=link,
        ranked=paging.MAX_RANKED,
        sites=store.site_names(),
        titles=request.app.state.figures.titles(),
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, article_id: str) -> HTMLResponse:
    store = request.app.state.store
    rec = with_archived(store, queries.article(store, article_id))
    return _render(
        request,
        "article.html",
        rec=rec,
        versions=store.versions(rec["id"]),
        has_raw=store.raw_page(rec["id"]) is not None,
    )


@router.get("/articles/{article_id}/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    article_id: str,
    old: Annotated[int | None, Query(alias="from", ge=1)] = None,
    new: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> HTMLResponse:
    store = request.app.state.store
    rec = queries.article(store, article_id)
    versions, change = queries.version_diff(store, rec["id"], old, new)
    return _render(request, "diff.html", rec=rec, versions=versions, diff=change)


@router.get("/articles/{article_id}/raw")
def raw(request: Request, article_id: str) -> Response:
    store = request.app.state.store
    rec = queries.article(store, article_id)
    page = store.raw_page(rec["id"])
    if page is None:
        raise queries.NotFound(f"no archived page for article {article_id!r}")
    # A sandboxed document's own origin is opaque: the app's origin is named too.
    origin = f"{request.url.scheme}://{request.url.netloc}"
    csp = RAW_PAGE_CSP.format(origin=origin)
    archived = archived_page(store, page)
    if archived is not None:
        return Response(
            archived.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp},
        )
    declared = next((v for k, v in page.headers.items() if k.lower() == "content-type"), "")
    charset = _CHARSET.search(declared)
    media = "text/html" + (f"; charset={charset.group(1)}" if charset else "")
    # The header set by hand: given as media_type, a text/html without a charset would get
    # "; charset=utf-8" added, and a GBK page that declares its charset in a meta tag would
    # be shown as mojibake.
    return Response(page.body, headers={"Content-Type": media, "Content-Security-Policy": csp})


@router.get("/sites/{name}", response_class=HTMLResponse)
async def site(request: Request, name: str) -> HTMLResponse:
    figures = request.app.state.figures
    view = await figures.site_view_now(name)
    # No title: no site file for it here, so no schedule to tell (the page says why).
    title = (await figures.titles_now()).get(name)
    return _render(
        request,
        "site.html",
        view=view,
        chart=queries.chart(view.months),
        title=title,
        sites_dir=request.app.state.sites_dir,
    )
