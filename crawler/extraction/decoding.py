"""Page bytes to text through w3lib, with a native dependency's panic contained to one page."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import IO, TypeVar

from w3lib.encoding import html_to_unicode, http_content_type_encoding, resolve_encoding

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DependencyPanic(RuntimeError):
    """A native extension (Rust through PyO3) panicked: one page's failure, not the process's."""


def is_panic(exc: BaseException) -> bool:
    # PyO3 raises `pyo3_runtime.PanicException`, a BaseException: `except Exception` lets it
    # through and it would kill a worker or print a traceback. The class lives in a module made
    # at run time, so it is known by name only.
    return type(exc).__name__ == "PanicException"


class _Stderr:
    """File descriptor 2, redirected for a moment into a scratch file: Rust's panic hook writes
    its message and backtrace there directly, past Python's `sys.stderr`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scratch: IO[bytes] | None = None
        self.pid = 0

    @contextlib.contextmanager
    def captured(self) -> Iterator[list[bool]]:
        """What is written meanwhile is passed on afterwards, unless the caller sets the flag
        it is handed (a panic's backtrace): another thread's log line is never lost."""
        drop = [False]
        with self.lock:
            if self.scratch is None or self.pid != os.getpid():
                # One per process: a forked worker must not share the parent's file offset.
                self.scratch = tempfile.TemporaryFile(prefix="uninews-stderr-")  # noqa: SIM115
                self.pid = os.getpid()
            scratch = self.scratch
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            saved = os.dup(2)
            try:
                os.dup2(scratch.fileno(), 2)
                try:
                    yield drop
                finally:
                    os.dup2(saved, 2)
            finally:
                os.close(saved)
                if scratch.tell():
                    if not drop[0]:
                        scratch.seek(0)
                        with contextlib.suppress(OSError):
                            os.write(2, scratch.read())
                    scratch.seek(0)
                    scratch.truncate()


_stderr = _Stderr()


def contained(func: Callable[..., T], *args: object, what: str = "") -> T:
    """`func(*args)`, with a panic of native code turned into DependencyPanic (one line) and its
    stderr output (a Rust backtrace) dropped. Anything else a thread wrote meanwhile is kept."""
    with _stderr.captured() as drop:
        try:
            return func(*args)
        except BaseException as exc:
            if not is_panic(exc):
                raise
            drop[0] = True
            first = str(exc).splitlines()[0] if str(exc) else "panic"
            raise DependencyPanic(f"{what or func.__name__} panicked: {first}") from None


def fallback_encoding(body: bytes, content_type: str | None) -> str:
    """The encoding when w3lib's detection panicked: detection on the bytes with a space added
    (the known panic is a `<meta` cut at the very end), then the header's charset, then UTF-8."""
    try:
        name, _ = contained(html_to_unicode, content_type, body + b" ", what="w3lib")
        return name
    except DependencyPanic:
        return http_content_type_encoding(content_type) or "utf-8"


def decode_faults(text: str) -> int:
    """Characters no correct decoding leaves: replacement characters and C1 controls."""
    return len(_FAULTS.findall(text))


# A wrong decoding shows as replacement characters (bytes the codec rejects), C1 controls, and
# Latin-1 letters where a multi-byte page was read as a single-byte one (ÖÐÎÄ for 中文).
_FAULTS = re.compile("[\ufffd\x80-\x9f]")
_SUSPECT = re.compile("[\ufffd\x80-\x9f\u00c0-\u00ff]")


def _looks_worse(a: str, b: str) -> bool:
    """Whether text `a` shows more signs of a wrong decoding than text `b`."""
    return len(_SUSPECT.findall(a)) > len(_SUSPECT.findall(b))


def html_encoding_and_text(
    body: bytes, content_type: str | None = None, *, prior: str | None = None
) -> tuple[str, str]:
    """(codec, text): BOM, then the HTTP header, then the meta tag, then detection — w3lib's
    order, the browser's. Never raises: a panic in w3lib's native scanner costs a warning line
    and the page is decoded by the fallback.

    `prior` is the codec an earlier fetch of the same page was read with: when the server's
    declared charset has changed but the bytes have not (a misconfigured server), the old
    codec decodes them cleanly and the new declaration gives mojibake; the old one wins then,
    and only then (a page really re-encoded reads worse in the old codec).
    """
    try:
        codec, text = contained(html_to_unicode, content_type, body, what="w3lib")
    except DependencyPanic as exc:
        codec = fallback_encoding(body, content_type)
        logger.warning("%s; decoded as %s", exc, codec)
        text = body.decode(codec, "replace")
    if prior and resolve_encoding(prior) not in (None, resolve_encoding(codec)):
        try:
            again = body.decode(prior)
        except (UnicodeDecodeError, LookupError):
            return codec, text
        if _looks_worse(text, again):
            return prior, again
    return codec, text


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then the HTTP header, then the meta tag, then detection (never mojibake)."""
    return html_encoding_and_text(body, content_type)[1]
