"""Bad input anywhere on the command line is one line and a non-zero exit, never a traceback:
settings, limits, store URIs that name missing files, full disks."""

from __future__ import annotations

import pytest

from storage import open_store
from tests.crawling import uninews
from tests.webarchive import populate


def _one_line_error(out: object, *needles: str) -> str:
    stderr: str = out.stderr.strip()  # type: ignore[attr-defined]
    assert out.returncode != 0, out  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and stderr.count("\n") == 0, stderr
    assert stderr.startswith("uninews: error:"), stderr
    for n in needles:
        assert n in stderr, stderr
    return stderr


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The web tests' small archive (7 articles, two sites), as a SQLite file."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('archive') / 'a.db'}"
    store = open_store(uri)
    populate(store)
    store.close()
    return uri


@pytest.mark.parametrize(
    ("pair", "takes"),
    [
        ("DOWNLOAD_DELAY=abc", "takes a number"),
        ("CONCURRENT_REQUESTS=1.5", "takes a whole number"),
        ("ROBOTSTXT_OBEY=maybe", "takes true or false"),
        ("ITEM_PIPELINES={x", "takes a JSON object"),
        ("DOWNLOAD_TIMEOUT=nan", "takes a number"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_before_the_crawl(
    archive: str, pair: str, takes: str
) -> None:
    out = uninews("crawl", "tsinghua", "--store", archive, "--base-url", "http://127.0.0.1:9",
                  "-s", pair)  # fmt: skip
    _one_line_error(out, pair.split("=", maxsplit=1)[0], takes)
    assert out.returncode == 2


def test_settings_of_the_right_type_pass(archive: str) -> None:
    from crawler.overrides import checked

    pairs = [("DOWNLOAD_DELAY", "0.5"), ("DEPTH_PRIORITY", "-1"), ("ROBOTSTXT_OBEY", "false"),
             ("LOG_LEVEL", "INFO"), ("UNKNOWN_TO_SCRAPY", "anything")]  # fmt: skip
    assert checked(pairs) == dict(pairs)


@pytest.mark.parametrize("command", ["search", "runs"])
def test_a_limit_out_of_range_is_refused(archive: str, command: str) -> None:
    _one_line_error(uninews(command, "--store", archive, "--limit", str(10**30)), "too large")
    _one_line_error(uninews(command, "--store", archive, "--limit", "-1"), "below 0")


def test_search_limit_zero_is_all(archive: str) -> None:
    out = uninews("search", "--store", archive, "--limit", "0", "--format", "jsonl")
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 7


def test_a_store_uri_naming_a_missing_file_is_one_line() -> None:
    uri = "mongodb://127.0.0.1:9/db?tls=true&tlsCAFile=/nonexistent/ca.pem"
    _one_line_error(uninews("search", "x", "--store", uri), "bad store URI", "tlscafile")
