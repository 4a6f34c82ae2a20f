"""The scheduler daemon: one APScheduler job per site, each run a `uninews crawl` subprocess."""

from __future__ import annotations

from scheduler.daemon import DaemonOptions, run_daemon
from scheduler.status import print_status

__all__ = ["DaemonOptions", "print_status", "run_daemon"]
