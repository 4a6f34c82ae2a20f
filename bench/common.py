"""Shared helpers for ``python -m bench``: phases, process-tree memory, machine facts, results."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
LIBRARIES = ("scrapy", "twisted", "lxml", "readability-lxml", "w3lib", "pydantic")


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-5s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


@contextmanager
def phase(name: str, timings: dict[str, float] | None = None) -> Iterator[None]:
    """Log the start and end of one phase of the benchmark, with its wall time."""
    logger.info("── %s …", name)
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        logger.error("── %s failed after %.1f s", name, time.perf_counter() - start)
        raise
    seconds = time.perf_counter() - start
    logger.info("── %s done in %.1f s", name, seconds)
    if timings is not None:
        timings[name] = round(seconds, 2)


def cores() -> int:
    """CPU cores this process may run on (the affinity mask, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def fast_tmp(need_gb: float = 4.0) -> Path:
    """A directory in memory (/dev/shm) when there is one with room: the site generator is disk-bound."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= need_gb * 2**30:
        return shm
    import tempfile

    return Path(tempfile.gettempdir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port}") from None
            time.sleep(0.05)


def child_env() -> dict[str, str]:
    """The environment for bench subprocesses: the project importable, no stray store."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("UNINEWS_STORE", None)
    env.pop("UNINEWS_EXTRACT_WORKERS", None)
    return env


# --------------------------------------------------------------------------- memory


def _children_map() -> dict[int, list[int]]:
    """ppid -> child pids, from /proc/*/stat."""
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def _rss(pid: int) -> int:
    """Resident set size of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_pids(root: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


@dataclass
class MemoryPeak:
    """What the sampler saw: peak of the summed RSS of a process tree and of its root alone."""

    peak_total: int = 0
    peak_root: int = 0
    peak_processes: int = 0
    samples: int = 0
    at_peak: dict[int, int] = field(default_factory=dict)  # pid -> RSS at the total's peak

    def as_dict(self) -> dict[str, Any]:
        return {
            "peak_rss_mb": round(self.peak_total / 2**20, 1),
            "peak_rss_main_mb": round(self.peak_root / 2**20, 1),
            "processes": self.peak_processes,
            "samples": self.samples,
            "at_peak_mb": sorted(
                (round(v / 2**20, 1) for v in self.at_peak.values()), reverse=True
            ),
        }


class TreeSampler:
    """Samples the summed RSS of a process and all its descendants every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = MemoryPeak()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        sizes = {pid: _rss(pid) for pid in tree_pids(self.pid)}
        total = sum(sizes.values())
        p = self.peak
        p.samples += 1
        p.peak_root = max(p.peak_root, sizes.get(self.pid, 0))
        p.peak_processes = max(p.peak_processes, sum(1 for v in sizes.values() if v))
        if total > p.peak_total:
            p.peak_total = total
            p.at_peak = sizes

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Finished:
    """A subprocess that ran to its end: exit code, output, wall time, memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    memory: MemoryPeak


def run_measured(
    cmd: Sequence[str],
    *,
    log_file: Path | None = None,
    timeout: float = 900,
    sample_memory: bool = False,
    cwd: Path = ROOT,
) -> Finished:
    """Run a command to its end; stderr goes to `log_file` (kept for diagnosis) when given."""
    logger.debug("$ %s", " ".join(cmd))
    err_target: Any = subprocess.PIPE
    if log_file:
        err_target = open(log_file, "w+", encoding="utf-8", errors="replace")  # noqa: SIM115
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            list(cmd),
            stdout=subprocess.PIPE,
            stderr=err_target,
            text=True,
            env=child_env(),
            cwd=cwd,
        )
        sampler = TreeSampler(proc.pid) if sample_memory else None
        if sampler:
            sampler.__enter__()
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise RuntimeError(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from None
        finally:
            if sampler:
                sampler.__exit__(None, None, None)
        seconds = time.perf_counter() - start
        if log_file:  # only its tail: a crawl's log can run to gigabytes
            size = err_target.seek(0, os.SEEK_END)
            err_target.seek(max(0, size - 65536))
            err = err_target.read()
    finally:
        if log_file:
            err_target.close()
    return Finished(
        proc.returncode, out, err or "", seconds, sampler.peak if sampler else MemoryPeak()
    )


# --------------------------------------------------------------------------- facts


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "hostname": platform.node(),
        "os": platform.platform(),
        "cpu": cpu,
        "cores": cores(),
        "memory_gb": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def library_versions(nginx: str | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    out["sqlite"] = sqlite3.sqlite_version
    out["nginx"] = nginx or "not used"
    return out


def nginx_version(binary: str | None = None) -> str | None:
    binary = (
        binary
        or shutil.which("nginx")
        or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    )
    if not binary:
        return None
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return (done.stderr or done.stdout).strip().split("/")[-1] or None


# --------------------------------------------------------------------------- output


def write_results(data: dict[str, Any], name: str | None = None) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / (name or f"{stamp}-{data.get('commit', 'unknown')}.json")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _width(text: str) -> int:
    """Columns a string takes on a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain-text table; a row of one cell is a section heading."""
    widths = [_width(h) for h in header]
    for row in rows:
        if len(row) == len(header):
            widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]
    line = "─" * (sum(widths) + 3 * (len(widths) - 1))
    out = [" │ ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(), line]
    for row in rows:
        if len(row) == 1:
            out.append(row[0])
        else:
            out.append(" │ ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)
