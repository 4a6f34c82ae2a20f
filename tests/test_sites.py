"""Site files: what validation rejects (with one line naming file and key) and how they load."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest

from crawler.sites import (
    PACKAGED_SITES,
    Site,
    SiteError,
    get_site,
    load_site_file,
    load_sites,
    load_sites_tolerant,
)
from scheduler.cron import cron_trigger
from tests.crawling import ROOT, write_site

GOOD: dict[str, Any] = {
    "base_url": "http://news.example.edu/",
    "listings": ["news/"],
    "article_url": r"^/info/\d+\.htm$",
}


def _site_error(tmp_path: Path, **keys: Any) -> str:
    """The message loading a site file with these keys fails with."""
    path = write_site(tmp_path, **{"name": "bad", **GOOD, **keys})
    with pytest.raises(SiteError) as err:
        load_site_file(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: key '"), msg
    assert "\n" not in msg
    return msg


# --- article_url: no pattern may hang a crawl -----------------------------------------------
@pytest.mark.parametrize(
    "pattern", [r"^/(a+)+$", r"^/(\d*)*$", r"^/((ab)|c+)+$", r"^/(?:(?:a+)b?)*?$"]
)
def test_nested_quantifiers_are_rejected_at_load(tmp_path: Path, pattern: str) -> None:
    msg = _site_error(tmp_path, article_url=pattern)
    assert "key 'article_url'" in msg and "nested quantifier" in msg
    assert "exponential time" in msg


@pytest.mark.parametrize(
    "pattern",
    [
        r"^/news/(\d|\d\d)*\.html$",  # "12" is one round or two
        r"^/(a|a)*$",
        r"^/(?:x|(\d|\d\d)x?)+$",  # the repeat's next round starts as the other branch
        r"^/news/(?:\d|[0-9]{2})*\.html$",
        r"^/news/(?:(?=\d)\w|\d\d)*\.html$",  # cannot tell what a lookahead starts with
    ],
)
def test_ambiguous_alternation_under_a_repeat_is_rejected_at_load(
    tmp_path: Path, pattern: str
) -> None:
    msg = _site_error(tmp_path, article_url=pattern)
    assert "key 'article_url'" in msg and "ambiguous alternation" in msg
    assert "exponential time" in msg and "possessive" in msg


@pytest.mark.parametrize(
    "pattern",
    [
        r"^/(a++)+$",
        r"^/(?>a+)+$",
        r"^/(a{1,9})+$",
        r"^/(news|info)/\d+/(\d+_)?\d+\.htm$",
        r"^/(\w+/)+\d+\.htm$",  # each round ends in "/": linear
        r"^/(?:news/|\d+/)*\d+\.htm$",  # the branches differ from their first character
        r"^/(?:(\d|\d\d)/)*x$",  # a round ends in "/": "1" then "2" is no way through "12/"
        r"^/news/(?>\d|\d\d)*\.html$",  # atomic: each round is tried once
        r"^/news/(\d|\d\d)*+\.html$",  # possessive
        r"^/(news|notice)*/\d+$",
    ],
)
def test_safe_repeats_are_accepted(tmp_path: Path, pattern: str) -> None:
    assert load_site_file(write_site(tmp_path, name="ok", **{**GOOD, "article_url": pattern}))


SLOW_MATCH = """
import logging, sys, time
from crawler.sites import Site
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
site = Site(name="slow", title="t", base_url="http://news.example.edu/", listings=["news/"],
            article_url=sys.argv[1])
url = "http://news.example.edu/" + "a" * 40 + "!"
start = time.monotonic()
print(site.is_article_url(url), site.is_article_url(url + "!"), time.monotonic() - start)
"""


def test_a_slow_pattern_times_out_instead_of_hanging() -> None:
    # Exponential backtracking that the load-time checks cannot see: both branches match "a",
    # under a bounded repeat.
    # In a child process, so that a regression fails the test instead of hanging the run
    # (a runaway `re` search holds the GIL and ignores signals; only SIGKILL stops it).
    out = subprocess.run(
        [sys.executable, "-c", SLOW_MATCH, r"^/(a|a){0,60}$"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=20,
        check=True,
    )
    first, second, seconds = out.stdout.split()
    assert (first, second) == ("False", "False")
    assert float(seconds) < 2.0
    assert out.stderr.count("WARNING crawler.sites slow: article_url") == 1, out.stderr


def test_a_pattern_that_passes_the_check_still_matches() -> None:
    site = Site(name="slow", title="t", **{**GOOD, "article_url": r"^/(a|a){0,60}$"})
    assert site.is_article_url("http://news.example.edu/aaaa")
    assert not site.is_article_url("http://news.example.edu/aaab")
    assert site.article_re.search("/aa")  # the plain `re` pattern is still there for callers


# --- layout and selectors -------------------------------------------------------------------
def test_unknown_layout(tmp_path: Path) -> None:
    msg = _site_error(tmp_path, layout="bogus")
    assert "key 'layout'" in msg and "'bogus'" in msg
    assert "generic" in msg and "vsb" in msg  # the known ones are listed
    assert load_site_file(write_site(tmp_path, name="vsb", **GOOD, layout="vsb")).layout == "vsb"


@pytest.mark.parametrize(
    ("keys", "needles"),
    [
        ({"selectors": {"title": "div[["}}, ["key 'selectors.title'", "invalid CSS selector"]),
        ({"selectors": {"body": "//div[@"}}, ["key 'selectors.body'", "invalid XPath"]),
        ({"selectors": {"body": "(//div"}}, ["key 'selectors.body'", "invalid XPath"]),
        ({"selectors": {"title": "h1::text"}}, ["key 'selectors.title'", "invalid CSS"]),
        ({"pagination": {"next": "a.next[["}}, ["key 'pagination.next'", "invalid CSS"]),
        ({"pagination": {"next": "//a[@class='next'"}}, ["key 'pagination.next'", "XPath"]),
        ({"pagination": {"next": "./a["}}, ["key 'pagination.next'", "XPath"]),
    ],
)
def test_selectors_must_compile(tmp_path: Path, keys: dict[str, Any], needles: list[str]) -> None:
    msg = _site_error(tmp_path, **keys)
    for needle in needles:
        assert needle in msg, msg


def test_good_selectors_load(tmp_path: Path) -> None:
    site = load_site_file(
        write_site(
            tmp_path,
            name="sel",
            **GOOD,
            selectors={"title": "h1.title, .article h2", "body": "//div[@id='content']"},
            pagination={"next": "a:contains('下一页')"},
        )
    )
    assert site.selectors["body"] == "//div[@id='content']"
    assert site.pagination.next == "a:contains('下一页')"


# --- schedule -------------------------------------------------------------------------------
def test_seven_is_sunday_like_crontab(tmp_path: Path) -> None:
    site = load_site_file(
        write_site(tmp_path, name="sun", **GOOD, schedule="0 3 * * 7", timezone="Asia/Shanghai")
    )
    fire = cron_trigger(site.schedule, site.timezone).get_next_fire_time(None, datetime.now(UTC))
    assert fire is not None
    assert (fire.weekday(), fire.hour, fire.minute) == (6, 3, 0)
    assert str(fire.tzinfo) == "Asia/Shanghai"


@pytest.mark.parametrize("schedule", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_schedule_that_never_fires_is_rejected(tmp_path: Path, schedule: str) -> None:
    start = time.monotonic()
    msg = _site_error(tmp_path, schedule=schedule)
    assert time.monotonic() - start < 2.0
    assert "key 'schedule'" in msg and "never fires" in msg


@pytest.mark.parametrize("schedule", ["0 0 29 2 *", "0 0 31 * *", "0 0 last 2 *", "0 3 * * 0"])
def test_rare_but_possible_schedules_load(tmp_path: Path, schedule: str) -> None:
    assert load_site_file(write_site(tmp_path, name="rare", **GOOD, schedule=schedule))


def test_a_leap_day_that_must_also_be_a_monday_is_too_rare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # APScheduler ANDs day and weekday: after 2030, Feb 29 is next a Monday in 2044.
    class In2030(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> In2030:
            return cls(2030, 1, 1, tzinfo=tz)

    monkeypatch.setattr("crawler.sites.datetime", In2030)
    msg = _site_error(tmp_path, schedule="0 0 29 2 1")
    assert "never fires in practice: next on 2044-02-29" in msg
    assert load_site_file(write_site(tmp_path, name="leap", **GOOD, schedule="0 0 29 2 *"))


# --- which files are site files -------------------------------------------------------------
def _load_in_thread(sites_dir: Path) -> dict[str, Site]:
    """`load_sites(sites_dir)`, failing after 10 s instead of hanging the test run."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["sites"] = load_sites(sites_dir)
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        for fifo in sites_dir.iterdir():  # let a reader blocked on a FIFO go
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_sites blocked on something that is not a regular file")
    if "error" in out:
        raise out["error"]
    return out["sites"]


def test_a_fifo_is_not_a_site_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_site(tmp_path, name="good", **GOOD)
    os.mkfifo(tmp_path / "fifo.yaml")  # opening it for reading waits for a writer: forever
    with caplog.at_level(logging.WARNING, logger="crawler.sites"):
        sites = _load_in_thread(tmp_path)
    assert "good" in sites
    assert f"ignoring {tmp_path / 'fifo.yaml'}: not a regular file" in caplog.text


def test_a_directory_is_not_a_site_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_site(tmp_path, name="good", **GOOD)
    (tmp_path / "dir.yaml").mkdir()
    with caplog.at_level(logging.WARNING, logger="crawler.sites"):
        assert "good" in load_sites(tmp_path)
    assert f"ignoring {tmp_path / 'dir.yaml'}: not a regular file" in caplog.text


# --- duplicate names, overrides, broken files -----------------------------------------------
def test_two_files_in_one_directory_with_one_name(tmp_path: Path) -> None:
    write_site(tmp_path, name="twin", **GOOD)
    other = write_site(tmp_path, name="twin-2", **GOOD)
    other.write_text(other.read_text(encoding="utf-8").replace("twin-2", "twin"), "utf-8")
    with pytest.raises(SiteError) as err:
        load_sites(tmp_path)
    msg = str(err.value)
    assert "twin.yaml" in msg and "twin-2.yaml" in msg and "key 'name'" in msg
    with pytest.raises(SiteError, match=r"twin-2\.yaml"):
        get_site("twin", tmp_path)
    sites, errors = load_sites_tolerant(tmp_path)
    assert "twin" not in sites and "tsinghua" in sites
    assert [e.site for e in errors] == ["twin"]


def test_a_user_file_overrides_a_packaged_site(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_site(tmp_path, name="tsinghua", **GOOD, title="mine")
    with caplog.at_level(logging.INFO, logger="crawler.sites"):
        sites = load_sites(tmp_path)
    assert sites["tsinghua"].title == "mine"
    assert f"site tsinghua from {path} overrides the packaged one" in caplog.text
    assert (PACKAGED_SITES / "tsinghua.yaml").is_file()


def test_tolerant_loading_collects_broken_files(tmp_path: Path) -> None:
    write_site(tmp_path, name="good", **GOOD)
    (tmp_path / "broken.yaml").write_text("name: broken\ntitle: [\n", encoding="utf-8")
    write_site(tmp_path, name="badkey", **GOOD, layout="bogus")
    sites, errors = load_sites_tolerant(tmp_path)
    assert {"good", "tsinghua", "tsinghua-legacy"} <= set(sites)
    assert sorted(str(e.path and e.path.name) for e in errors) == ["badkey.yaml", "broken.yaml"]
    assert all(isinstance(e, SiteError) for e in errors)
    with pytest.raises(SiteError, match=r"badkey\.yaml"):
        load_sites(tmp_path)
    assert get_site("good", tmp_path).name == "good"
    with pytest.raises(SiteError, match=r"badkey\.yaml: key 'layout'"):
        get_site("badkey", tmp_path)


def test_a_broken_file_is_found_by_the_name_inside_it(tmp_path: Path) -> None:
    (tmp_path / "aaa.yaml").write_text("name: aaa\ntitle: [\n", encoding="utf-8")  # unrelated
    write_site(tmp_path, name="other", **GOOD)
    renamed = tmp_path / "whatever.yaml"
    (tmp_path / "other.yaml").rename(renamed)
    renamed.write_text(renamed.read_text("utf-8") + "layout: bogus\n", "utf-8")
    with pytest.raises(SiteError, match=r"whatever\.yaml: key 'layout'"):
        get_site("other", tmp_path)


def test_unknown_site_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match=r"unknown site 'nope' \(known: .*tsinghua"):
        get_site("nope", tmp_path)
