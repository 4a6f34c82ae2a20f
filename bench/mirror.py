"""The real VSB site mirror in ../shared (yjszs.cqjtu.edu.cn) onboarded as a user would:
`sites discover` from its home page alone, then the discovered file crawled without and with
capture — columns found, articles, files archived, pages/s and disk, side by side.

    python -m bench.mirror            (skips, saying so, when ../shared is absent)
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT.parent / "shared" / "corpus" / "sites" / "yjszs.cqjtu.edu.cn"
HOME = "http://yjszs.cqjtu.edu.cn/index.htm"
FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_DELAY=0"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _uninews(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "uninews", *args], capture_output=True,
                          text=True, cwd=ROOT, check=False, timeout=900)  # fmt: skip


def _store_figures(db: Path) -> dict[str, Any]:
    from storage import open_store

    store: Any = open_store(f"sqlite:///{db}", readonly=True)
    try:
        records = list(store.iter_records())
        files = store.blob_stats() if hasattr(store, "blob_stats") else {}
    finally:
        store.close()
    kept = [
        (kind, item)
        for r in records
        for kind in ("images", "attachments")
        for item in r.get(kind) or []
        if item.get("archived")
    ]
    return {
        "articles": len(records),
        "images_archived": sum(1 for k, _ in kept if k == "images"),
        "attachments_archived": sum(1 for k, _ in kept if k == "attachments"),
        "files": files,
        "disk_mb": round(sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1e6, 2),
    }


def run() -> dict[str, Any]:
    if not MIRROR.is_dir():
        print(f"bench.mirror: skipped: {MIRROR} is absent")
        return {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(MIRROR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sites = Path(tmp) / "sites"
            sites.mkdir()
            found = _uninews("sites", "discover", HOME, "--base-url", base, "--name", "cq",
                             "-o", str(sites / "cq.yaml"), "--delay", "0")  # fmt: skip
            if found.returncode != 0:
                raise SystemExit(f"discover failed: {found.stderr.strip()[-500:]}")
            data = yaml.safe_load((sites / "cq.yaml").read_text("utf-8"))
            out["discover"] = {"listings": data["listings"], "article_url": data["article_url"],
                               "report": (found.stdout + found.stderr).strip().splitlines()[-12:]}  # fmt: skip
            for label, extra in (("without capture", ["-s", "UNINEWS_CAPTURE=false"]),
                                 ("with capture", [])):  # fmt: skip
                db = Path(tmp) / f"{label.replace(' ', '-')}.db"
                start = time.monotonic()
                done = _uninews("crawl", "cq", "--sites-dir", str(sites), "--store",
                                f"sqlite:///{db}", "--base-url", base, "--full", *FAST, *extra)  # fmt: skip
                seconds = time.monotonic() - start
                if done.returncode != 0:
                    raise SystemExit(f"crawl failed: {done.stderr.strip()[-500:]}")
                figures = _store_figures(db)
                figures["seconds"] = round(seconds, 1)
                figures["pages_per_s"] = round(figures["articles"] / seconds, 1)
                figures["summary"] = done.stdout.strip().splitlines()
                out[label] = figures
    finally:
        server.shutdown()
        server.server_close()
    return out


def main() -> None:
    got = run()
    if not got:
        return
    print("discover:", ", ".join(got["discover"]["listings"]), "·", got["discover"]["article_url"])
    for line in got["discover"]["report"]:
        print("  " + line)
    print(f"{'':18}{'articles':>9}{'images':>8}{'attachm.':>9}{'pages/s':>9}{'disk MB':>9}")
    for label in ("without capture", "with capture"):
        f = got[label]
        print(f"{label:18}{f['articles']:>9}{f['images_archived']:>8}"
              f"{f['attachments_archived']:>9}{f['pages_per_s']:>9}{f['disk_mb']:>9}")  # fmt: skip
    print(json.dumps({k: v for k, v in got.items() if k != "discover"}, ensure_ascii=False)[:2000])


if __name__ == "__main__":
    main()
