"""Store URIs: parse, redact credentials, open the matching backend."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from storage.base import ArchiveStore, StorageError

ENV_VAR = "UNINEWS_STORE"


def default_store_uri() -> str:
    """`$UNINEWS_STORE`, else a SQLite file under `$XDG_DATA_HOME/uninews` (~/.local/share)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'uninews' / 'archive.sqlite3'}"


def redact_uri(uri: str) -> str:
    """The URI with any password replaced, fit for logs and error messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", uri)


def open_store(uri: str | None = None, *, connect_timeout_ms: int = 5000) -> ArchiveStore:
    """Open the store named by `uri`: `sqlite:///PATH`, `mongodb://…`, `mongodb+srv://…`.

    Raises StorageError with a one-line message when the URI is malformed or unreachable.
    """
    uri = uri or default_store_uri()
    scheme = urlsplit(uri).scheme.lower()
    if scheme == "sqlite":
        from storage.sqlite import SQLiteStore

        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        if not uri.lower().startswith("sqlite:///") or len(uri) == len("sqlite:///"):
            raise StorageError(f"bad store URI {redact_uri(uri)!r}: expected sqlite:///PATH")
        path = uri[len("sqlite:///") :]
        return SQLiteStore(path)
    if scheme in ("mongodb", "mongodb+srv", "mongomock"):
        from storage.mongo import MongoStore

        return MongoStore.from_uri(uri, connect_timeout_ms=connect_timeout_ms)
    raise StorageError(
        f"bad store URI {redact_uri(uri)!r}: use sqlite:///PATH or mongodb://HOST[:PORT]/DB"
    )
