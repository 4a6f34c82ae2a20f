"""Why a request failed or was dropped, in the words the log and the run's summary show: never an
empty `()`, never a Failure's repr, and a redirect loop only when the redirects loop."""

from __future__ import annotations

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure
from twisted.web._newclient import ParseError
from w3lib.url import canonicalize_url


def failure_reason(failure: Failure) -> str:
    return exception_reason(failure.value)


def exception_reason(exc: BaseException) -> str:
    """One line about `exc`; the class name when it says nothing else."""
    inner = getattr(exc, "reasons", None)  # twisted's ResponseFailed, ResponseNeverReceived
    if isinstance(inner, list) and inner:
        return "; ".join(
            failure_reason(f) if isinstance(f, Failure) else exception_reason(f) for f in inner
        )
    if isinstance(exc, ParseError) and len(exc.args) == 2:
        data = exc.args[1]
        shown = data.decode("latin-1") if isinstance(data, bytes) else str(data)
        return f"not a valid HTTP answer: {exc.args[0]} ({shown[:80]!r})"
    if isinstance(exc, (CancelledError, DownloadCancelledError)) and not str(exc):
        # Scrapy cancels a body that outgrows DOWNLOAD_MAXSIZE (and warns with the sizes);
        # nothing else cancels a download whose errback still runs.
        return "download cancelled: larger than DOWNLOAD_MAXSIZE"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def drop_reason(request: Request) -> tuple[str, str]:
    """(why, kind) for a request the scheduler dropped, its URL requested before in this crawl:
    a redirect chain back to a URL it passed (a loop), a redirect or a meta refresh to a page
    requested already (no loop), or a plain repeat."""
    chain = [canonicalize_url(u) for u in request.meta.get("redirect_urls") or []]
    if not chain:
        return "already requested in this crawl", "duplicate_request"
    how = (request.meta.get("redirect_reasons") or [None])[-1]
    refresh = how == "meta refresh"
    if canonicalize_url(request.url) in chain:
        if refresh:
            return f"meta refresh loop at {request.url}", "meta_refresh_loop"
        return f"redirect loop at {request.url}", "redirect_loop"
    if refresh:
        return f"meta refresh to {request.url}, already requested in this crawl", "refresh_to_seen"
    return f"redirected to {request.url}, already requested in this crawl", "redirect_to_seen"
