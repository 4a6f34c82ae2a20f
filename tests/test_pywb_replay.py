"""The WARC of a crawl replays in pywb, a web archive's own replay tool, with its images: the
page is shown in a real browser (headless Chromium) from the WARC alone, the site long gone."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import ROOT, crawl, summary_counts, uninews
from tests.test_browser import CHROMIUM, DRIVER, _shot, browser
from tests.test_browser_files import png
from tests.tinysite import ORIGIN, DynamicSite, article_html, listing_html, site_file

WAYBACK = ROOT / ".venv-pywb" / "bin" / "wayback"
WB_MANAGER = ROOT / ".venv-pywb" / "bin" / "wb-manager"
pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no system Chromium with chromedriver"),
    pytest.mark.skipif(
        not WAYBACK.exists(),
        reason="pywb is not installed in .venv-pywb (.ci/run installs it from constraints-pywb.txt)",
    ),
]
__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py

PHOTO = png(60, 40, (30, 120, 200))


def _site(path: str) -> tuple[int, dict[str, str], bytes]:
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path == "/news/index.html":
        return 200, {}, listing_html([1, 2], None).encode()
    if path in ("/news/1.html", "/news/2.html"):
        n = int(path[6])
        figure = f'<figure><img id="photo" src="/photos/{n}.png" alt="The new lab"><figcaption>The laboratory on the north campus</figcaption></figure>'
        return 200, {}, article_html(n).replace("</h1>", "</h1>" + figure).encode()
    if path.startswith("/photos/"):
        return 200, {"Content-Type": "image/png"}, PHOTO
    return 404, {}, b"not found"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[str]:
    """pywb serving a collection made from the WARC export of a crawl; the site is gone."""
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(_site) as server:
        done = crawl("tiny", sites, store, server.url)
        assert done.returncode == 0 and summary_counts(done.stdout)["new"] == 2, done.stderr[-2000:]
    warc = tmp_path / "tiny.warc.gz"
    out = uninews("export", "--store", store, "--format", "warc", "-o", str(warc))
    assert out.returncode == 0, out.stderr
    work = tmp_path / "pywb"
    work.mkdir()
    for args in (["init", "tiny"], ["add", "tiny", str(warc)]):
        made = subprocess.run([str(WB_MANAGER), *args], cwd=work, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        assert made.returncode == 0, made.stderr[-2000:]
    port = _free_port()
    proc = subprocess.Popen([str(WAYBACK), "-p", str(port), "-b", "127.0.0.1"], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:  # until pywb answers (or gives up)
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "pywb did not start in 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/tiny"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_exported_warc_replays_in_pywb_with_its_images(replay: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # As a reader opens it: pywb's banner page, the archived page in its replay frame.
    browser.get(f"{replay}/{ORIGIN}/news/1.html")
    frame = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.TAG_NAME, "iframe"))
    _shot(browser, "9-pywb-replay")
    browser.switch_to.frame(frame)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.TAG_NAME, "h1"))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "Story number 1 about the new laboratory"
    photo = browser.find_element(By.ID, "photo")
    WebDriverWait(browser, 30).until(lambda d: photo.get_property("complete"))
    # Drawn from the WARC by pywb: the photo has its pixels, through pywb's own address.
    assert photo.get_property("naturalWidth") == 60, photo.get_attribute("src")
    assert photo.get_property("currentSrc").startswith(replay)
    browser.switch_to.default_content()
