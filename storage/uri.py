"""Store URIs: parse, redact credentials, open the matching backend."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from storage.base import ArchiveStore, StorageError

ENV_VAR = "UNINEWS_STORE"


def default_store_uri() -> str:
    """`$UNINEWS_STORE`, else a SQLite file under `$XDG_DATA_HOME/uninews` (~/.local/share)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'uninews' / 'archive.sqlite3'}"


# Option names that may carry a credential (matched case-insensitively, anywhere in the name).
_SENSITIVE_NAME = re.compile(
    r"pass|pwd|secret|token|key|credential|authmechanismproperties", re.IGNORECASE
)
_OPTION_NAME = re.compile(r"([?&;])([^=&?#;]*)=")  # `?name=`, `&name=`, `;name=`
# An option's value runs to the next `&` that starts another option (`&` plus text without `=`
# is taken to be part of the value: a password, not an option).
_OPTION_VALUE = re.compile(r"[^&]*(?:&[^&=]*(?=&|\Z))*")
_HOSTLIKE = r"[A-Za-z0-9.\-:,\[\]%_]*"
# userinfo: everything up to the LAST `@` followed by a host-like token, then `/`, `?` or end
# (or `#`, whitespace: a superset only ever redacts more).
_USERINFO = re.compile(rf"(.*)@{_HOSTLIKE}(?=[/?#\s]|$)", re.DOTALL)
_AT_AUTHORITY = re.compile(rf"@{_HOSTLIKE}[/?]")  # an `@` that could start hosts/db
_SIMPLE_USER = re.compile(r"[A-Za-z0-9._-]+(?=:)")  # shown; any other user is not
# What must precede a query option in a well-formed URI: a host list, `/`, a database.
_HOST = r"(?:\[[0-9A-Za-z:.%]*\]|[A-Za-z0-9._%-]+)(?::[0-9]*)?"
_HOSTS_PATH = re.compile(rf"{_HOST}(?:,{_HOST})*/[^?#/]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _option_values(text: str) -> list[tuple[int, int, int]]:
    """(marker, value start, value end) of each option in `text` whose name may carry a secret."""
    found: list[tuple[int, int, int]] = []
    pos = 0
    while m := _OPTION_NAME.search(text, pos):
        pos = m.end()
        if _SENSITIVE_NAME.search(unquote(m[2])):
            value = _OPTION_VALUE.match(text, pos)
            assert value is not None  # the pattern matches the empty string
            found.append((m.start(), pos, value.end()))
            pos = value.end()
    return found


def _userinfo_end(text: str) -> int | None:
    """Index of the `@` ending the userinfo in `text` (which starts at the authority), if any."""
    m = _USERINFO.match(text)
    return m.end(1) if m else None


def _well_formed(before: str, marker: str) -> bool:
    """Whether `before` (the authority on, up to an option's `marker`) reads as hosts/db[?…]."""
    at = _userinfo_end(before)
    tail = before if at is None else before[at + 1 :]
    if marker == "?":
        return _HOSTS_PATH.fullmatch(tail) is not None
    path, sep, _ = tail.partition("?")
    return bool(sep) and _HOSTS_PATH.fullmatch(path) is not None


def _secret_spans(rest: str) -> list[tuple[int, int]] | None:
    """Spans of `rest` (a URI from its authority on) to hide; None when all of it must go."""
    options = _option_values(rest)
    # Options first, so an `@` in a secret value is not taken for the end of the userinfo.
    masked = list(rest)
    for _, lo, hi in options:
        masked[lo:hi] = "*" * (hi - lo)
    ats = [_userinfo_end("".join(masked))]
    # But an "option" may be part of a password (`u:pa?key=1@host/db`), the `@` in its value the
    # real one: surely so when what precedes it is not hosts/db; maybe so when its value reads
    # `@host/…` (`u:1/x?key=1@host/db`). Then hide what the userinfo reading hides as well.
    suspect = [o for o in options if "@" in rest[o[1] : o[2]]]
    bogus = [o for o in suspect if not _well_formed(rest[: o[0]], rest[o[0]])]
    if bogus or any(_AT_AUTHORITY.search(rest[lo:hi]) for _, lo, hi in suspect):
        last = _userinfo_end(rest)
        if last is None:
            return None
        ats.append(last)
        after = last + 1
        options = [o for o in options if o not in bogus or o[0] > last]
        options += [
            (m + after, lo + after, hi + after) for m, lo, hi in _option_values(rest[after:])
        ]
    spans = [(lo, hi) for _, lo, hi in options]
    for at in ats:
        if at is not None:
            user = _SIMPLE_USER.match(rest, 0, at)
            spans.append((user.end() + 1 if user else 0, at))  # empty for `user:@`: still `***`
    return spans


def redact_uri(uri: str) -> str:
    """The URI with every credential (userinfo, secret options) as `***`, for logs and errors."""
    scheme = _SCHEME.match(uri)
    head, rest = (uri[: scheme.end()], uri[scheme.end() :]) if scheme else ("", uri)
    if head.lower() == "sqlite://" and rest.startswith("/"):  # a file path: `@` is just a character
        spans: list[tuple[int, int]] | None = [(lo, hi) for _, lo, hi in _option_values(rest)]
    else:
        spans = _secret_spans(rest)
    if spans is None:
        return head + "***"
    out: list[str] = [head]
    end = -1  # where the last hidden span ends
    for lo, hi in sorted(spans):
        if lo > end:
            out += [rest[max(end, 0) : lo], "***"]
            end = hi
        else:  # overlapping or touching: one `***`
            end = max(end, hi)
    out.append(rest[max(end, 0) :])
    return "".join(out)


def sqlite_path(uri: str) -> Path | None:
    """The file a `sqlite:///PATH` URI names (relative to the current directory unless PATH
    starts with `/`, as in SQLAlchemy: `sqlite:////abs/path.db`), or None for other stores."""
    if not uri.lower().startswith("sqlite:"):
        return None
    if not uri.lower().startswith("sqlite:///") or len(uri) == len("sqlite:///"):
        raise StorageError(f"bad store URI {redact_uri(uri)!r}: expected sqlite:///PATH")
    return Path(uri[len("sqlite:///") :])


def open_store(
    uri: str | None = None,
    *,
    connect_timeout_ms: int = 5000,
    readonly: bool = False,
    check: bool = False,
) -> ArchiveStore:
    """Open the store named by `uri`: `sqlite:///PATH`, `mongodb://…`, `mongodb+srv://…`.

    readonly: for queries: create nothing, write nothing, fail when there is no archive.
    check: before a crawl writes: refuse a damaged SQLite file (quick_check).
    Raises StorageError with a one-line message when the URI is malformed or unreachable.
    """
    uri = uri or default_store_uri()
    try:
        scheme = urlsplit(uri).scheme.lower()
    except ValueError:  # e.g. a raw "[" in a password: "Invalid IPv6 URL"
        raise StorageError(
            f"bad store URI {redact_uri(uri)!r}: escape special characters in the user name"
            " and password (%2F for /, %40 for @, %5B and %5D for [ and ])"
        ) from None
    path = sqlite_path(uri)
    if path is not None:
        from storage.sqlite import SQLiteStore

        if readonly and not path.exists() and not path.is_absolute():
            raise StorageError(
                f"no archive at {path.resolve()}: {uri} is relative to the current directory;"
                f" an absolute path has four slashes: sqlite:////{path}"
            )
        return SQLiteStore(path, readonly=readonly, check=check)
    if scheme in ("mongodb", "mongodb+srv", "mongomock"):
        from storage.mongo import MongoStore

        return MongoStore.from_uri(uri, connect_timeout_ms=connect_timeout_ms, readonly=readonly)
    raise StorageError(
        f"bad store URI {redact_uri(uri)!r}: use sqlite:///PATH or mongodb://HOST[:PORT]/DB"
    )
