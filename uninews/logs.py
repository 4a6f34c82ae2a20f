"""How the `uninews` command logs: one line per real problem by default, every detail with -v."""

from __future__ import annotations

import logging
import sys
import time

# Loggers whose INFO lines a user wants without -v: progress of crawls and of long offline
# work (reprocess, WARC export and import), and the daemon's own account of the runs it
# starts and ends (its log is the record of an unattended service).
DEFAULT_INFO = ("crawler.extensions", "crawler.reprocess", "scheduler", "uninews.warc")

# Lines Scrapy logs that our own errbacks already report once, with the URL and the cause.
_REPEATS = (("scrapy.downloadermiddlewares.retry", "Gave up retrying"),)

FORMAT = "%(asctime)s %(levelname)s: %(message)s"
VERBOSE_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


class ConciseFilter(logging.Filter):
    """Warnings and errors from everyone, progress from us; no tracebacks, one line each."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__()
        self.quiet = quiet

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and (
            self.quiet or not record.name.startswith(DEFAULT_INFO)
        ):
            return False
        for name, text in _REPEATS:
            if record.name == name and text in str(record.msg):
                return False
        # An expected failure (DNS, refused connection) is one line with its cause; the
        # traceback is for -v.
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class OneLineFormatter(logging.Formatter):
    """The first line of a message only (Scrapy's multi-line dumps never reach here anyway)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        return text.split("\n", 1)[0]


def configure(verbose: bool = False, quiet: bool = False, *, query: bool = False) -> int:
    """Install the one stderr handler; returns the level the root logger lets through.

    query: commands that print results (search, show, …) log warnings and errors only.
    """
    handler = logging.StreamHandler(sys.stderr)
    if verbose:
        level = logging.DEBUG
        handler.setFormatter(logging.Formatter(VERBOSE_FORMAT))
    else:
        level = logging.WARNING if (quiet or query) else logging.INFO
        handler.setFormatter(OneLineFormatter(FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
        handler.addFilter(ConciseFilter(quiet or query))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Scrapy's dictConfig sets its own loggers to DEBUG; the handler decides what is shown.
    handler.setLevel(level)
    return level


class Ticker:
    """Progress lines for long offline work (export, import, reprocess): the count so far and
    the rate, every `every` seconds, on the caller's logger."""

    def __init__(self, log: logging.Logger, what: str, every: float = 10.0) -> None:
        self.log = log
        self.what = what
        self.every = every
        self.started = self.last = time.monotonic()

    def tick(self, done: int, detail: str = "") -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            rate = done / max(now - self.started, 1e-9)
            self.log.info("%s %d so far (%.1f/s)%s", self.what, done, rate, detail)
