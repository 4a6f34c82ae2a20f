"""Mapping between URL paths (with query strings) and files in a per-host docroot."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

INDEX_NAMES = ("index.html", "index.htm")


def split_query(path: str) -> tuple[str, str]:
    """'/a/b?x=1' -> ('/a/b', 'x=1'); the fragment, if any, is dropped."""
    path = path.split("#", 1)[0]
    if "?" in path:
        p, q = path.split("?", 1)
        return p, q
    return path, ""


def clean_path(url_path: str) -> str | None:
    """Normalise a URL path; None when it escapes the docroot."""
    p = unquote(url_path)
    if not p.startswith("/"):
        p = "/" + p
    norm = posixpath.normpath(p)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if ".." in norm.split("/"):
        return None
    if p.endswith("/") and norm != "/":
        norm += "/"
    return norm


def file_for_path(host_root: Path, path_and_query: str) -> Path:
    """The file that serves a URL path: directories (and extension-less paths) map to index.html,
    and a query string is appended to the file name ('/news?page=1' -> news/index.html?page=1)."""
    path, query = split_query(path_and_query)
    norm = clean_path(path) or "/"
    rel = norm.lstrip("/")
    last = rel.rsplit("/", 1)[-1]
    if not rel or norm.endswith("/") or "." not in last:
        target = host_root / rel / "index.html"
    else:
        target = host_root / rel
    if query:
        target = target.with_name(f"{target.name}?{query}")
    return target


def resolve(host_root: Path, path_and_query: str) -> Path | None:
    """The existing file that answers a request, or None (the server's lookup)."""
    path, query = split_query(path_and_query)
    norm = clean_path(path)
    if norm is None:
        return None
    base = host_root / norm.lstrip("/")
    candidates: list[Path] = []
    if base.is_dir():
        candidates = [base / n for n in INDEX_NAMES]
    else:
        candidates = [base]
        if "." not in base.name:
            candidates.extend(base / n for n in INDEX_NAMES)
    for c in candidates:
        if query:
            q = c.with_name(f"{c.name}?{query}")
            if q.is_file():
                return q
        if c.is_file():
            return c
    return None
