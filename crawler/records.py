"""From an extracted article and its fetch to the archive record (docs/architecture.md lists fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.extraction import EXTRACTOR_VERSION, NotAnArticle, extract_article
from storage import RawPage
from storage.common import FILL_FIELDS, Prepared, filled_fields, prepare

if TYPE_CHECKING:
    from crawler.sites import Site


def _canonical(article: dict[str, Any], url: str, site: Site) -> str:
    """The page's canonical URL when it is trustworthy, else its URL.

    A canonical link on another host, or one pointing at the site root or a listing, is a
    template mistake; trusting it would merge unrelated articles.
    """
    canon = article.get("canonical_url")
    if not canon:
        return url
    parts = urlsplit(canon)
    if parts.scheme not in ("http", "https") or not site.owns_host(parts.hostname or ""):
        return url
    if parts.path in ("", "/") or canon in site.listing_urls() or not site.is_article_url(canon):
        return url
    return canon


# The order fields appear in a record (and in `uninews show --format json`, exports, documents).
RECORD_ORDER = (
    "id",
    "url",
    "canonical_url",
    "site",
    "kicker",
    "title",
    "subtitle",
    "published_at",
    "updated_at",
    "source",
    "authors",
    "photographers",
    "editors",
    "reviewers",
    "contributors",
    "language",
    "keywords",
    "text",
    "images",
    "attachments",
    "html",
    "fetched_at",
    "fetch",
    "extractor_version",
)


def build_record(article: dict[str, Any], raw: RawPage, site: Site) -> dict[str, Any]:
    values = dict(article)
    values.update(
        url=raw.url,
        canonical_url=_canonical(article, raw.url, site),
        site=site.name,
        source=article.get("source") or site.source,
        language=article.get("language") or site.language,
        fetched_at=raw.fetched_at,
        fetch={
            "status": raw.status,
            "final_url": raw.final_url,
            "content_type": raw.headers.get("Content-Type"),
            "length": len(raw.body),
            "layout": article.get("layout"),
            "encoding": article.get("encoding") or None,
            "decode_faults": article.get("decode_faults") or 0,
        },
        extractor_version=EXTRACTOR_VERSION,
    )
    if not values.get("kicker"):
        # Only pages that print a kicker carry the field: an article archived before it
        # existed, re-extracted unchanged, must hash as it did (no spurious new version).
        values.pop("kicker", None)
    return {k: values[k] for k in RECORD_ORDER if k in values}


def extract_record(raw: RawPage, site: Site) -> dict[str, Any] | str:
    """The record for a fetched page, or the reason it is not an article.

    Runs in extraction worker processes: arguments and result are plain picklable data.
    """
    try:
        article = extract_article(
            raw.body,
            raw.url,
            site,
            content_type=raw.headers.get("Content-Type"),
            prior_encoding=raw.prior_encoding,
        )
    except NotAnArticle as exc:
        return exc.reason
    return build_record(article.as_dict(), raw, site)


def prepare_page(raw: RawPage, site: Site) -> Prepared | str:
    """Extraction plus everything the store derives (hashes, search terms, compressed page).

    This is what extraction workers run: the crawl's own process only hands bytes over and
    writes the result.
    """
    result = extract_record(raw, site)
    if isinstance(result, str):
        return result
    prepared = prepare(result, raw)
    if site.revisit.enabled:
        # When to check this article again (for an insert; a stored one keeps its own time).
        from crawler.revisit import iso_utc, parse_instant

        now = parse_instant(raw.fetched_at) or datetime.now(UTC)
        published = parse_instant(result.get("published_at"))
        prepared.index["next_check"] = iso_utc(site.revisit.next_check(published, now, now))
    return prepared


_worker_site: Site | None = None


def set_worker_site(site: Site) -> None:
    """Extraction worker initializer: the site this worker extracts for."""
    global _worker_site  # noqa: PLW0603 - one per worker process, set once at its start
    _worker_site = site


def prepare_page_in_worker(raw: RawPage) -> Prepared | str:
    assert _worker_site is not None, "set_worker_site was not called in this worker"
    return prepare_page(raw, _worker_site)


__all__ = ["FILL_FIELDS", "build_record", "extract_record", "filled_fields", "prepare_page"]
