"""The benchmark's local site: generated Tsinghua-layout pages, served by nginx (or Python as a fallback)."""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bench.common import ROOT, child_env, fast_tmp, free_port, nginx_version, wait_for_port

logger = logging.getLogger(__name__)

HOST = "news.tsinghua.edu.cn"
ORIGIN = f"http://{HOST}"
SITE_NAME = "bench-thu"
LEGACY_COLUMNS = ("4205", "4204", "4195")  # plus the thunews column 9648
ARTICLE_URL = r"^/publish/(news|thunews)/\d+/(\d{4}/)?\d{23}/\d{23}_\.html$"


@dataclass
class BenchSite:
    """A generated site on disk: where it is, what it lists, and the site file that crawls it."""

    root: Path  # build root (holds <host>/)
    listings: list[str]  # first listing page of each column (origin URLs)
    listing_pages: list[str]  # every listing page (origin URLs)
    articles: list[str]  # every article page (origin URLs)
    per_page: int
    size_kb: int
    mean_bytes: int = 0
    build_seconds: float = 0.0
    sites_dir: Path = field(default_factory=Path)

    @property
    def docroot(self) -> Path:
        return self.root / HOST

    @property
    def pages(self) -> int:
        return len(self.listing_pages) + len(self.articles)

    def file_for(self, url: str) -> Path:
        from tests.sitegen.paths import file_for_path

        parts = urlsplit(url)
        return file_for_path(self.docroot, parts.path + (f"?{parts.query}" if parts.query else ""))

    def listings_for(self, articles: int) -> int:
        """Listing pages per listing that hold about `articles` articles in all (for --max-pages)."""
        return max(1, round(articles / (len(self.listings) * self.per_page)))

    def describe(self) -> dict[str, Any]:
        return {
            "articles": len(self.articles),
            "listings": len(self.listings),
            "listing_pages": len(self.listing_pages),
            "items_per_page": self.per_page,
            "size_kb_target": self.size_kb,
            "mean_article_kb": round(self.mean_bytes / 1024, 1),
            "build_seconds": round(self.build_seconds, 1),
            "root": str(self.root),
        }


def build(
    articles: int,
    per_page: int = 20,
    size_kb: int = 50,
    root: Path | None = None,
    *,
    images: bool = False,
) -> BenchSite:
    """Generate `articles` article pages in three legacy columns and one thunews column."""
    from tests.sitegen import NEWS_HOST, SiteSpec, build_site

    if root is None:
        root = Path(tempfile.mkdtemp(prefix="uninews-bench-", dir=fast_tmp()))
        root.chmod(0o755)  # nginx's workers run as another user
    per_column = -(-articles // (len(LEGACY_COLUMNS) + 1))
    spec = SiteSpec(
        hosts=(NEWS_HOST,),
        legacy_columns=dict.fromkeys(LEGACY_COLUMNS, per_column),
        legacy_start="2012-01-01",
        legacy_end="2015-12-31",
        thunews_articles=per_column,
        vsb_articles=0,
        english_articles=0,
        gbk_articles=0,
        traps=False,
        size_kb=size_kb,
        items_per_page=per_page,
        write_images=images,
    )
    start = time.perf_counter()
    manifest = build_site(root, spec)
    seconds = time.perf_counter() - start
    listing_pages = [u for urls in manifest.listing_urls.values() for u in urls]
    listings = [urls[0] for urls in manifest.listing_urls.values()]
    arts = [a.url for a in manifest.articles]
    site = BenchSite(root, listings, listing_pages, arts, per_page, size_kb, build_seconds=seconds)
    site.mean_bytes = int(sum(site.file_for(u).stat().st_size for u in arts) / max(len(arts), 1))
    site.sites_dir = root / "sites"
    write_site_file(site)
    return site


def write_site_file(site: BenchSite) -> Path:
    """The site file uninews crawls: the generated listings, the legacy article pattern."""
    site.sites_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "name": SITE_NAME,
        "title": "清华大学新闻网（基准）",
        "base_url": ORIGIN + "/",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "schedule": "0 3 * * *",
        "listings": [urlsplit(u).path.lstrip("/") for u in site.listings],
        "article_url": ARTICLE_URL,
        "source": "清华新闻网",
        # The crawl figures are without capture (the generated pages' images are not on disk
        # unless the capture part builds them): that part measures its cost itself.
        "capture": [],
    }
    path = site.sites_dir / f"{SITE_NAME}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- servers

NGINX_CONF = """\
worker_processes {workers};
daemon on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {mime_types}
    default_type text/html;
    access_log {access_log};
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    open_file_cache max=20000 inactive=60s;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {docroot};
        index index.html index.htm;
    }}
}}
"""


MIME_TYPES = "/etc/nginx/mime.types"


def find_nginx() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def install_nginx() -> str | None:
    """Install Debian's nginx-light (root only); None when that is not possible here."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        logger.warning(
            "nginx is not installed and cannot be installed here (needs root and apt-get)"
        )
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (1, 2):
        logger.info("installing nginx-light with apt-get (attempt %d) …", attempt)
        done = subprocess.run(
            ["apt-get", "install", "-y", "-q", "nginx-light"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode == 0 and (found := find_nginx()):
            return found
        if attempt == 1:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
    logger.warning("apt-get could not install nginx-light: %s", done.stderr.strip()[-300:])
    return None


class Server:
    """A running local server for the docroot; `url` is its base URL."""

    kind = "none"
    how = ""  # found, installed with apt-get, fallback, chosen
    version: str | None = None
    url = ""

    def stop(self) -> None:
        raise NotImplementedError

    def count_requests(self, on: bool) -> None:
        """Start (on) or stop counting requests; only nginx counts (from its access log)."""

    def counted(self) -> int | None:
        return None


class Nginx(Server):
    kind = "nginx"

    def __init__(self, binary: str, docroot: Path, workers: int = 2) -> None:
        self.binary = binary
        self.docroot = docroot
        self.workers = workers
        self.prefix = Path(tempfile.mkdtemp(prefix="uninews-bench-nginx-"))
        (self.prefix / "tmp").mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.version = nginx_version(binary)
        self.access_log = self.prefix / "access.log"

    def _write_conf(self, access_log: bool) -> Path:
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                workers=self.workers,
                prefix=self.prefix,
                port=self.port,
                docroot=self.docroot,
                access_log=f"{self.access_log}" if access_log else "off",
                mime_types=f"include {MIME_TYPES};" if Path(MIME_TYPES).exists() else "",
            )
        )
        return conf

    def _paths(self, conf: Path) -> list[str]:
        """Config, prefix and start-up error log: nothing under /etc/nginx or /var/log is needed."""
        return ["-c", str(conf), "-p", f"{self.prefix}/", "-e", str(self.prefix / "error.log")]

    def _master(self) -> int:
        return int((self.prefix / "nginx.pid").read_text().strip())

    def start(self) -> Nginx:
        conf = self._write_conf(access_log=False)
        test = subprocess.run(
            [self.binary, "-t", "-q", *self._paths(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        if test.returncode != 0:
            raise RuntimeError(f"nginx rejects the generated config: {test.stderr.strip()}")
        subprocess.run([self.binary, *self._paths(conf)], check=True)
        wait_for_port(self.port)
        return self

    def _reload(self, access_log: bool) -> None:
        self._write_conf(access_log)
        before = self._worker_pids()
        os.kill(self._master(), signal.SIGHUP)
        # The old workers finish and exit; wait until they are gone so counting starts clean.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (before & self._worker_pids()):
            time.sleep(0.05)

    def _worker_pids(self) -> set[int]:
        from bench.common import tree_pids

        return set(tree_pids(self._master())) - {self._master()}

    def count_requests(self, on: bool) -> None:
        if on:
            self.access_log.unlink(missing_ok=True)
        self._reload(access_log=on)

    def counted(self) -> int | None:
        if not self.access_log.exists():
            return 0
        return sum(1 for _ in self.access_log.open("rb"))

    def logged_paths(self) -> list[str]:
        if not self.access_log.exists():
            return []
        out = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            parts = line.split('"')
            if len(parts) > 1 and " " in parts[1]:
                out.append(parts[1].split(" ")[1])
        return out

    def stop(self) -> None:
        try:
            os.kill(self._master(), signal.SIGQUIT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (self.prefix / "nginx.pid").exists():
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.prefix, ignore_errors=True)


class PythonServer(Server):
    """tests.sitegen.serve in a process of its own (so it does not share the bench's GIL)."""

    kind = "python (tests.sitegen.serve)"

    def __init__(self, docroot: Path) -> None:
        self.docroot = docroot
        self.proc: subprocess.Popen[str] | None = None
        self.version = f"Python {sys.version.split()[0]}"

    def start(self) -> PythonServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.site", "serve", str(self.docroot)],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the Python server did not start")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def start_server(docroot: Path, prefer: str = "nginx", install: bool = True) -> Server:
    """nginx when it is here (or can be installed), else the Python server with a warning."""
    if prefer == "nginx":
        binary = find_nginx()
        how = "found"
        if binary:
            logger.info("nginx found: %s (%s)", binary, nginx_version(binary))
        elif install:
            binary = install_nginx()
            how = "installed with apt-get"
            if binary:
                logger.info("nginx installed: %s (%s)", binary, nginx_version(binary))
        if binary:
            try:
                server: Server = Nginx(binary, docroot).start()
                server.how = how
                return server
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                logger.warning("nginx did not start: %s", exc)
        logger.warning(
            "WARNING: serving with the Python test server, which may be the bottleneck: "
            "every throughput figure below is a lower bound"
        )
    server = PythonServer(docroot).start()
    server.how = "fallback" if prefer == "nginx" else "chosen (--server python)"
    return server


# --------------------------------------------------------------------------- server measurement


def client_loop(base_url: str, paths: list[str], seconds: float) -> dict[str, Any]:
    """GET the paths round-robin on one keep-alive connection for `seconds`; requests/s and MB/s."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    n = nbytes = errors = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        conn.request("GET", paths[n % len(paths)])
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            errors += 1
        nbytes += len(body)
        n += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return {
        "requests": n,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(n / elapsed, 1),
        "mb_per_s": round(nbytes / elapsed / 2**20, 1),
        "errors": errors,
    }


def measure_server(server: Server, site: BenchSite, seconds: float = 3.0) -> dict[str, Any]:
    """Requests/s of a plain Python keep-alive client in a separate process (a floor on the server)."""
    paths = [urlsplit(u).path for u in site.articles[:2000]]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(paths, f)
        paths_file = f.name
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.site", "loop", server.url, paths_file, str(seconds)],
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(paths_file)
    result: dict[str, Any] = json.loads(done.stdout)
    if result["errors"]:
        raise RuntimeError(f"the server answered {result['errors']} requests with an error")
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve a docroot with tests.sitegen.serve; print its URL")
    s.add_argument("docroot", type=Path)
    lp = sub.add_parser("loop", help="a keep-alive GET loop; print requests/s as JSON")
    lp.add_argument("url")
    lp.add_argument("paths", type=Path)
    lp.add_argument("seconds", type=float)
    args = p.parse_args(argv)
    if args.cmd == "serve":
        from tests.sitegen import serve

        site = serve(args.docroot)
        print(site.url, flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        finally:
            site.close()
    else:
        paths = json.loads(args.paths.read_text())
        print(json.dumps(client_loop(args.url, paths, args.seconds)))


if __name__ == "__main__":
    main()
