"""One vocabulary across commands: the site positional where a command acts on one site and
`--site` where a query filters, `--limit` for articles and results, the old spellings still
working; every option's help shows its default; each command's exit statuses are its own; an
unknown site says where site files are read from."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from crawler.sites import packaged_sites
from tests.crawling import uninews
from tests.tinysite import article_html, site_file
from uninews.cli import build_parser, main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every (sub)command's parser by its name: 'crawl', …, 'sites check'."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sp in action.choices.items():
                found[name] = sp
                found.update({f"{name} {k}": v for k, v in _subparsers(sp).items()})
    return found


# --- old and new spellings mean the same ----------------------------------------------------


def _help(command: str) -> str:
    """The command's --help, its whitespace (argparse's line wrapping) made single spaces."""
    return " ".join(_subparsers(build_parser())[command].format_help().split())


def _crawl_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """run_crawl replaced by a recorder: what each spelling asks the crawl for."""
    import crawler.run

    calls: list[dict[str, Any]] = []

    def fake_run_crawl(site: Any, uri: str, **kw: Any) -> Any:
        calls.append({"site": site.name, **kw})
        return SimpleNamespace(status="ok", lines=lambda: [])

    monkeypatch.setattr(crawler.run, "run_crawl", fake_run_crawl)
    return calls


def test_revisit_limit_and_its_old_spelling_max_ask_for_the_same_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _crawl_calls(monkeypatch)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    for flag in ("--limit", "--max"):
        code, _, err = _run(capsys, "revisit", "tsinghua", "--all", flag, "7", "--store", store)
        assert code == 0, err
    assert len(calls) == 2 and calls[0] == calls[1]
    assert calls[0]["max_pages"] == 7 and calls[0]["revisit"] == "all"
    assert "max" not in vars(build_parser().parse_args(["revisit", "x"]))  # one name: limit
    helps = _help("revisit")
    assert "--limit N at most N articles" in helps and "old spelling: --max" in helps
    assert "--max N" not in helps  # hidden from the option list


def test_sites_check_limit_and_its_old_spelling_sample_check_as_many_articles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import crawler.check

    samples: list[int] = []

    def fake_check(site: Any, sample: int = 5, **kw: Any) -> Any:
        samples.append(sample)
        return SimpleNamespace(articles=[1], lines=lambda: [f"checked {sample}"])

    monkeypatch.setattr(crawler.check, "check_site", fake_check)
    for argv in (["--limit", "3"], ["--sample", "3"], []):
        code, out, err = _run(capsys, "sites", "check", "tsinghua", "--delay", "0", *argv)
        assert code == 0 and out == f"checked {samples[-1]}\n", err
    assert samples == [3, 3, 5]  # 5: the default the help states
    help_text = _help("sites check")
    assert "--limit N articles per listing (default 5); old spelling: --sample" in help_text


@pytest.fixture
def warc_site(tmp_path: Path) -> tuple[Path, Path, str]:
    """A tiny site's file, a WARC of two of its articles, and an empty store."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.tinysite import ORIGIN

    sites = tmp_path / "sites"
    site_file(sites)
    warc = tmp_path / "two.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n in (1, 2):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            payload = BytesIO(article_html(n, n).encode())
            writer.write_record(writer.create_warc_record(
                f"{ORIGIN}/news/{n}.html", "response", payload=payload, http_headers=http
            ))  # fmt: skip
    return sites, warc, f"sqlite:///{tmp_path / 'a.db'}"


def test_import_warc_takes_the_site_first_and_still_takes_the_old_site_option(
    warc_site: tuple[Path, Path, str],
) -> None:
    sites, warc, store = warc_site
    common = ("--sites-dir", str(sites), "--store", store, "--dry-run")
    new = uninews("import-warc", "tiny", str(warc), *common)
    old = uninews("import-warc", str(warc), "--site", "tiny", *common)
    twice = uninews("import-warc", "tiny", str(warc), "--site", "tiny", *common)
    assert new.returncode == old.returncode == twice.returncode == 0, (new, old, twice)
    assert "2 would be new" in new.stdout, new.stdout
    assert new.stdout == old.stdout == twice.stdout
    usage = uninews("import-warc", "--help").stdout
    assert "SITE FILE [FILE ...]" in usage and "--site " not in usage


def test_import_warc_without_a_file_is_one_line(warc_site: tuple[Path, Path, str]) -> None:
    sites, _, store = warc_site
    out = uninews("import-warc", "tiny", "--sites-dir", str(sites), "--store", store)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (
        out.stderr.strip()
        == "uninews: error: which files? uninews import-warc SITE FILE [FILE ...]"
    )


def test_runs_takes_the_site_as_the_queries_spell_it_too(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    results = [
        _run(capsys, "runs", *argv, "--format", "json", "--store", archive)
        for argv in (["mit"], ["--site", "mit"], ["mit", "--site", "mit"])
    ]
    assert {code for code, _, _ in results} == {0}
    runs = json.loads(results[0][1])
    assert runs and {r["site"] for r in runs} == {"mit"}
    assert results[0][1] == results[1][1] == results[2][1]
    code, _, err = _run(capsys, "runs", "mit", "--site", "tsinghua", "--store", archive)
    assert code == 2 and "two sites: mit and --site tsinghua" in err


def test_stats_filters_by_site_like_the_other_queries(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "stats", "--format", "json", "--store", archive)
    assert code == 0 and {r["site"] for r in json.loads(out)} == {"tsinghua", "mit"}
    code, out, _ = _run(capsys, "stats", "--site", "mit", "--format", "json", "--store", archive)
    assert code == 0 and [r["site"] for r in json.loads(out)] == ["mit"]
    code, _, err = _run(capsys, "stats", "--site", "nosuch", "--store", archive)
    assert code == 2 and "no site 'nosuch'" in err


# --- help texts -----------------------------------------------------------------------------


def test_every_option_with_a_default_says_it_in_its_help() -> None:
    missing = []
    for name, sp in _subparsers(build_parser()).items():
        formatter = sp._get_formatter()
        for action in sp._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            if action.default in (None, False, [], argparse.SUPPRESS):
                continue
            shown = formatter._expand_help(action)
            if "default" not in shown:
                missing.append(f"{name} {action.option_strings[-1]}: {shown!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("backfill", "--since YYYY-MM-DD published on or after (required)"),
        ("backfill", "--until YYYY-MM-DD published on or before (default: no end, the newest)"),
        ("sites check", "--delay SECONDS pause between requests to the site (default 1)"),
        ("sites check", "--limit N articles per listing (default 5)"),
        ("search", "--format {table,json,jsonl,csv} output format: table, json, jsonl, csv"
         " (default table)"),
        ("export", "--since YYYY-MM-DD published on or after (default: no start, the oldest)"),
        ("revisit", "--limit N at most N articles (default: all those chosen)"),
        ("search", "--limit N at most N results (default 20; 0: all)"),
    ],
)  # fmt: skip
def test_the_options_help_names_the_default(command: str, says: str) -> None:
    assert says in _help(command)


# --- exit statuses --------------------------------------------------------------------------


def _statuses(help_text: str) -> set[int]:
    tail = " ".join(help_text.split("exit status:", 1)[1].split())
    return {int(n) for n in re.findall(r"(?:^|; )(\d+) ", tail)}


@pytest.mark.parametrize(
    ("command", "statuses"),
    [
        ("crawl", {0, 1, 2, 130}),
        ("backfill", {0, 1, 2, 130}),
        ("extract", {0, 2, 3, 130}),
        ("show", {0, 1, 2, 130}),
        ("search", {0, 1, 2, 130}),
        ("sites check", {0, 1, 2, 130}),
        ("export", {0, 1, 2, 130}),
        ("import-warc", {0, 1, 2, 130}),
    ],
)
def test_each_command_lists_only_the_statuses_it_returns(command: str, statuses: set[int]) -> None:
    text = _subparsers(build_parser())[command].format_help()
    assert _statuses(text) == statuses, text
    flat = " ".join(text.split())
    if command != "extract":
        assert "not an article" not in flat
    if command not in ("crawl", "backfill"):
        assert "a crawl that failed" not in flat
    if command not in ("crawl", "backfill", "import-warc"):
        assert "rerun it" not in flat
    if command in ("show", "search", "extract"):
        assert "invalid site file" not in flat or command == "extract"
    if command == "extract":
        assert "a store that cannot be used" not in flat


def test_every_command_has_its_own_exit_statuses() -> None:
    from uninews.options import COMMAND_EXITS

    assert set(COMMAND_EXITS) == set(_subparsers(build_parser()))
    assert "a full disk" in _help("export") and "a full disk" not in _help("search")
    assert "rerun it" in _help("import-warc") and "rerun it" not in _help("reprocess")


def test_extract_returns_the_3_its_help_promises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "home.html"
    page.write_text('<html><script>window.location.href="/news/"</script></html>')
    code, _, err = _run(capsys, "extract", str(page), "--url", "https://x.edu/")
    assert "not an article" in err
    assert code == 3 and 3 in _statuses(_subparsers(build_parser())["extract"].format_help())
    assert 3 not in _statuses(_subparsers(build_parser())["show"].format_help())


def test_the_top_level_help_lists_every_status() -> None:
    text = build_parser().format_help()
    assert _statuses(text) == {0, 1, 2, 3, 130} and "Each command's --help lists its own" in text


# --- where sites are looked up --------------------------------------------------------------


def test_an_unknown_site_says_where_site_files_are_read_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("UNINEWS_SITES_DIR", raising=False)
    code, _, err = _run(capsys, "sites", "check", "tiny")
    assert code == 2 and err.count("\n") == 1, err
    assert "unknown site 'tiny'" in err and str(packaged_sites()) in err
    assert "--sites-dir DIR or $UNINEWS_SITES_DIR (neither given)" in err
    sites = tmp_path / "sites"
    site_file(sites, name="other")
    code, _, err = _run(capsys, "sites", "check", "tiny", "--sites-dir", str(sites))
    assert code == 2 and f"from {packaged_sites()} and from {sites}" in err, err
    code, _, err = _run(
        capsys, "reprocess", "--site", "tiny", "--store", f"sqlite:///{tmp_path}/r.db"
    )
    assert code == 2 and "(neither given)" in err, err
