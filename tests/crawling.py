"""Helpers for tests that run `uninews` as a user would: a subprocess against a local site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# No politeness delays against our own 127.0.0.1 server; retries back off in tenths of seconds.
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=false",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "RETRY_BACKOFF_BASE=0.05",
    "-s", "UNINEWS_EXTRACT_WORKERS=0",
    "-s", "UNINEWS_PROGRESS_INTERVAL=0",
]  # fmt: skip

LEGACY_ARTICLE_URL = r"^/publish/(news|thunews)/\d+/(\d{4}/)?\d{23}/\d{23}_\.html$"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment a test runs the CLI in: this checkout importable, no user store."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("UNINEWS_STORE", None)
    return env


def uninews(
    *args: str, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process (each crawl needs its own Twisted reactor)."""
    return subprocess.run(
        [sys.executable, "-m", "uninews", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(**(env or {})),
        cwd=ROOT,
        check=False,
    )


def crawl(
    site: str, sites_dir: Path, store: str, base_url: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`uninews crawl SITE` from a mirror at `base_url`, fast settings."""
    return uninews(
        "crawl",
        site,
        "--sites-dir",
        str(sites_dir),
        "--store",
        store,
        "--base-url",
        base_url,
        *FAST,
        *extra,
    )


def start_slow(args: list[str], base_url: str) -> subprocess.Popen[bytes]:
    """`uninews ARGS` in the background, one request at a time and slowly, so a kill lands half-way."""
    return subprocess.Popen(
        [sys.executable, "-m", "uninews", *args, "--base-url", base_url,
         "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.15"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def write_site(sites_dir: Path, **keys: object) -> Path:
    """A site file with the given keys (and sensible defaults for the required ones)."""
    data: dict[str, object] = {
        "title": "test site",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "schedule": "0 3 * * *",
    }
    data.update(keys)
    sites_dir.mkdir(parents=True, exist_ok=True)
    path = sites_dir / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def summary_counts(stdout: str) -> dict[str, int]:
    """The counts from a crawl's summary line ("3 listing pages, 10 articles fetched, 8 new, …"),
    keyed by the plural label whatever the count ("1 error" is counts["errors"])."""
    from crawler.run import RARE_KEYS, SUMMARY_KEYS

    plural = {one: many for _, one, many in (*SUMMARY_KEYS, *RARE_KEYS)}
    line = next(ln for ln in stdout.splitlines() if "fetched, " in ln)
    counts = {}
    for part in line.strip().split(", "):
        n, _, label = part.partition(" ")
        counts[plural.get(label, label) if n == "1" else label] = int(n)
    return counts
