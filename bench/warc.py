"""WARC benchmark: `uninews export --format warc` and `uninews import-warc` on a crawled archive,
records/s and the peak RSS of each, at two archive sizes (memory must stay flat)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from bench.common import run_measured
from bench.site import SITE_NAME, BenchSite

EXPORTED_RE = re.compile(
    r"exported (?P<articles>\d+) articles?: (?P<pairs>\d+) request/response pairs?,"
    r" (?P<revisits>\d+) revisits?"
)
IMPORTED_RE = re.compile(r": (?P<records>\d+) records: (?P<new>\d+) new")


def _check(done: Any, what: str, log: Path) -> None:
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} exited with {done.returncode} (log: {log}):\n{done.stderr[-2000:]}"
        )


def export_import(site: BenchSite, store: Path, workdir: Path, label: str) -> dict[str, Any]:
    """Export `store` to a WARC file, then import that file into an empty store."""
    warc = workdir / f"{label}.warc.gz"
    log = workdir / f"export-{label}.log"
    cmd = [sys.executable, "-m", "uninews", "export", "--store", f"sqlite:///{store}",
           "--format", "warc", "-o", str(warc), "--force"]  # fmt: skip
    out = run_measured(cmd, log_file=log, sample_memory=True)
    _check(out, f"export ({label})", log)
    m = EXPORTED_RE.search(out.stderr)
    if m is None:
        raise RuntimeError(f"no export summary in {log}")
    articles, pairs, revisits = int(m["articles"]), int(m["pairs"]), int(m["revisits"])
    records = 1 + 2 * pairs + 2 * revisits + articles  # warcinfo, request+response, metadata

    log = workdir / f"import-{label}.log"
    target = workdir / f"imported-{label}.sqlite3"
    target.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "uninews", "import-warc", str(warc), "--site", SITE_NAME,
           "--sites-dir", str(site.sites_dir), "--store", f"sqlite:///{target}"]  # fmt: skip
    inn = run_measured(cmd, log_file=log, sample_memory=True)
    _check(inn, f"import-warc ({label})", log)
    m = IMPORTED_RE.search(inn.stdout)
    if m is None:
        raise RuntimeError(f"no import summary in the output:\n{inn.stdout[-2000:]}")
    return {
        "articles": articles,
        "records": records,
        "warc_mb": round(warc.stat().st_size / 2**20, 1),
        "export": {
            "seconds": round(out.seconds, 2),
            "records_per_s": round(records / out.seconds, 1),
            "articles_per_s": round(articles / out.seconds, 1),
            "peak_rss_mb": out.memory.as_dict()["peak_rss_mb"],
        },
        "import": {
            "seconds": round(inn.seconds, 2),
            "records_per_s": round(int(m["records"]) / inn.seconds, 1),
            "articles_per_s": round(int(m["new"]) / inn.seconds, 1),
            "new": int(m["new"]),
            "peak_rss_mb": inn.memory.as_dict()["peak_rss_mb"],
            "line": inn.stdout.strip().splitlines()[-1],
        },
    }
