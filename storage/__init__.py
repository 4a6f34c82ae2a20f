"""The archive: one storage contract, one module per backend (SQLite embedded, MongoDB production)."""

from storage.base import (
    ArchiveStore,
    Capture,
    Outcome,
    RawPage,
    RecordError,
    RunRecord,
    SearchQuery,
    StorageError,
    StoreResult,
)
from storage.uri import default_store_uri, open_store, redact_uri

__all__ = [
    "ArchiveStore",
    "Capture",
    "Outcome",
    "RawPage",
    "RecordError",
    "RunRecord",
    "SearchQuery",
    "StorageError",
    "StoreResult",
    "default_store_uri",
    "open_store",
    "redact_uri",
]
