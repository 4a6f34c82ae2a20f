"""Where `export` writes: FILE whole or untouched (a temporary file renamed when done), never
onto the archive or its companions, standard output for `-`; a full disk is one line."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# Files SQLite and uninews keep beside the archive: writing over any of them damages it, or
# (the .locks folder) makes every later crawl fail on its lock.
COMPANIONS = ("", "-wal", "-shm", "-journal", ".locks")


class BadTarget(Exception):
    """FILE cannot be the output (the archive, an existing file without --force); one line."""


class OutputError(Exception):
    """The output cannot be written (a full disk, a closed pipe's sibling errors); one line."""


def _refuse_archive_parts(target: Path, store_path: Path | None) -> str | None:
    if store_path is None:
        return None
    where = target.resolve()
    for suffix in COMPANIONS:
        part = Path(f"{store_path}{suffix}").resolve()
        same = where == part or (target.exists() and part.exists() and target.samefile(part))
        if same or (suffix == ".locks" and part in where.parents):
            return f"{target} is {'the archive itself' if not suffix else 'a file of the archive'}"
    return None


@contextmanager
def output_file(
    name: str, *, store_path: Path | None, force: bool, binary: bool
) -> Iterator[IO[Any]]:
    """A temporary file beside `name`, renamed to it when done: the file is whole or untouched.
    Bad targets raise BadTarget, failed writes OutputError (the temporary file removed)."""
    target = Path(name)
    if problem := _refuse_archive_parts(target, store_path):
        raise BadTarget(f"{problem}: choose another file")
    if target.exists() and not force:
        raise BadTarget(f"{name} exists: choose another file, or --force to replace it")
    if target.exists() and not target.is_file():
        raise BadTarget(f"{name} is not a regular file")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent.resolve())
    except OSError as exc:
        raise BadTarget(f"cannot write {name}: {exc.strerror}") from None
    try:
        try:
            if binary:
                with open(fd, "wb") as out:
                    yield out
            else:
                with open(fd, "w", encoding="utf-8", newline="") as out:
                    yield out
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(
                f"cannot write {name}: {exc.strerror or exc}; nothing written"
            ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def standard_output() -> Iterator[None]:
    """Around writing to standard output: a full disk or a device that refuses is one line
    (a reader that went away stays BrokenPipeError, quiet, for the caller)."""
    try:
        yield
        sys.stdout.flush()  # what is still buffered fails here, not silently at exit
    except BrokenPipeError:
        raise
    except OSError as exc:
        # Nothing more reaches it, and the flush at exit must not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None
