"""Named locks as OS file locks (flock) beside an embedded store: released by the kernel when the holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

# A prober (`uninews status`) holds a shared lock for microseconds; a taker that meets one
# tries again for this long before it concludes that a live process holds the lock.
_TAKE_TRIES = 10
_TAKE_PAUSE = 0.02


def _lock_path(folder: Path, name: str) -> Path:
    return folder / (re.sub(r"[^A-Za-z0-9_.-]", "-", name) + ".lock")


class FileLease:
    """A held flock on `<folder>/<name>.lock`; the file says who holds it."""

    def __init__(self, name: str, fd: int) -> None:
        self.name = name
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def held(self) -> bool:
        return self._fd is not None  # the kernel keeps an flock for as long as we live

    def __enter__(self) -> FileLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def take(folder: Path, name: str, info: dict[str, Any]) -> FileLease | None:
    """The lock, or None when another live process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    # O_CLOEXEC (Python's default): a crawl the daemon starts must not inherit its lock.
    fd = os.open(_lock_path(folder, name), os.O_RDWR | os.O_CREAT, 0o644)
    for attempt in range(_TAKE_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if attempt == _TAKE_TRIES - 1:
                os.close(fd)
                return None
            time.sleep(_TAKE_PAUSE)
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode(), 0)
    return FileLease(name, fd)


def holder(folder: Path, name: str) -> dict[str, Any] | None:
    """Who holds the lock (what it wrote), or None when it is free. Takes nothing for long."""
    try:
        fd = os.open(_lock_path(folder, name), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            data = os.pread(fd, 65536, 0)
            try:
                info = json.loads(data) if data else {}
            except ValueError:
                info = {}
            return info if isinstance(info, dict) else {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def process_gone(info: dict[str, Any] | None) -> bool:
    """Whether a lock holder or run's process is known to be dead (same host, no such pid)."""
    if not info or info.get("host") != socket.gethostname():
        return False  # another machine's process: only its lock or lease can tell
    pid = info.get("pid")
    if not isinstance(pid, int):
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
