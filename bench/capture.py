"""Capture benchmark: the cost of archiving each article's images — pages/s and disk per 1,000
articles of `uninews crawl` with capture (the default) and without (-s UNINEWS_CAPTURE=false)."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import yaml

from bench import crawl as C
from bench.site import SITE_NAME, BenchSite, Server, build

# A news photo as sites serve it: tens to hundreds of KB. Each image gets bytes of its own
# (the generator writes one tiny JPEG everywhere, which content hashing would keep once).
IMAGE_KB = 120
_IMAGE_EXT = (".jpg", ".jpeg", ".png", ".gif")


def build_site(articles: int, root: Path) -> tuple[BenchSite, dict[str, Any]]:
    """A generated site whose article photos are on disk, each of its own IMAGE_KB bytes."""
    site = build(articles, root=root, images=True)
    rng = random.Random(7)
    count = size = 0
    for folder, _, names in os.walk(site.docroot):
        for name in names:
            if name.lower().endswith(_IMAGE_EXT):
                body = b"\xff\xd8\xff\xe0" + rng.randbytes(IMAGE_KB * 1024)
                (Path(folder) / name).write_bytes(body)
                count, size = count + 1, size + len(body)
    return site, {"images": count, "image_mb": round(size / 1e6, 1)}


def _capture(site: BenchSite, kinds: list[str]) -> None:
    path = site.sites_dir / f"{SITE_NAME}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["capture"] = kinds
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def _disk(store: Path) -> int:
    return sum(p.stat().st_size for p in store.parent.glob(store.name + "*") if p.is_file())


def capture_cost(site: BenchSite, server: Server, workdir: Path) -> dict[str, Any]:
    """The same site crawled twice into two new stores: without capture, then with it."""
    out: dict[str, Any] = {}
    for label, kinds in (("without", []), ("with", ["images", "attachments"])):
        _capture(site, kinds)
        store = workdir / f"capture-{label}.sqlite3"
        r = C.uninews_crawl(site, server, store, workdir, label=f"capture-{label}")
        new = r["counts"].get("new", 0)
        disk = _disk(store)
        r["disk_mb"] = round(disk / 1e6, 1)
        r["disk_mb_per_1000"] = round(disk / 1e6 / new * 1000, 1) if new else None
        r["articles_per_s"] = round(new / r["seconds"], 1) if r["seconds"] else None
        out[label] = r
    return out
