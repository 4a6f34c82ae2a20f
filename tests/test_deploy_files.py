"""The deployment files and docs/mongodb.md, held to what the code really does.

docker-compose.yml, the Dockerfile and the CI workflow are parsed and checked for what a working
deployment needs; docs/mongodb.md is checked against the collections, fields and indexes that
`storage/mongo.py` creates, and its queries are run (as pymongo) against a mongomock archive.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
MONGO_DOC = ROOT / "docs" / "mongodb.md"


# --- helpers -------------------------------------------------------------------------------------
def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a mapping"
    return data


def _seconds(duration: str | int | float) -> float:
    """A Compose duration ("60s", "1m30s", "2m") in seconds."""
    if isinstance(duration, int | float):
        return float(duration)
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"bad duration {duration!r}"
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * unit[u] for n, u in parts)


def _argv(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _substituted(value: str) -> str:
    """A compose value with its ${VARIABLE} references filled in, as Compose would."""
    return re.sub(r"\$\{[^}]*\}", "secret", value)


def _volume_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each volume of a service, short or long syntax."""
    out = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            source, _, rest = vol.partition(":")
            out.append((source, rest.split(":")[0]))
        else:
            out.append((vol.get("source", ""), vol["target"]))
    return out


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or (not line.strip() and not buf):
            continue
        buf += line.rstrip()
        if buf.endswith("\\"):
            buf = buf[:-1] + " "
            continue
        word, _, args = buf.strip().partition(" ")
        out.append((word.upper(), " ".join(args.split())))
        buf = ""
    return out


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"use the exec (JSON) form, not {args!r}"
    return value


def _doc_section(title: str) -> str:
    """The text under a heading of docs/mongodb.md, up to the next heading of any level."""
    text = MONGO_DOC.read_text(encoding="utf-8")
    m = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert m, f"docs/mongodb.md has no section {title!r}"
    return m.group(1)


# --- docker-compose.yml --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE)


def test_compose_has_mongo_and_uninews(compose: dict[str, Any]) -> None:
    assert {"mongo", "uninews"} <= set(compose["services"])
    for name in ("mongo", "uninews"):
        assert compose["services"][name].get("restart") == "unless-stopped", name


def test_mongo_image_pinned_to_a_major_version(compose: dict[str, Any]) -> None:
    image = compose["services"]["mongo"]["image"]
    assert re.fullmatch(r"mongo:\d+(\.\d+){0,2}(-[a-z0-9]+)?", image), (
        f"pin the MongoDB major version, not {image!r}"
    )


def test_mongo_healthcheck_pings_with_mongosh(compose: dict[str, Any]) -> None:
    check = compose["services"]["mongo"].get("healthcheck")
    assert check, "mongo needs a healthcheck for depends_on: service_healthy"
    test = " ".join(_argv(check["test"]))
    assert "mongosh" in test
    assert "ping" in test


def test_mongo_port_only_on_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                assert str(port).startswith("127.0.0.1:"), (
                    f"{name} publishes {port} beyond loopback"
                )


def test_named_volumes_declared_and_used(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    mongo = dict((t, s) for s, t in _volume_mounts(compose["services"]["mongo"]))
    assert mongo.get("/data/db") in declared, "mongo's /data/db must be a declared named volume"
    used = {
        source
        for service in compose["services"].values()
        for source, _ in _volume_mounts(service)
        if source and not source.startswith((".", "/", "~"))
    }
    assert used == declared, f"declared {sorted(declared)}, used {sorted(used)}"


def test_uninews_waits_for_healthy_mongo_and_uses_it(compose: dict[str, Any]) -> None:
    svc = compose["services"]["uninews"]
    assert svc["depends_on"]["mongo"]["condition"] == "service_healthy"
    env = _env(svc)
    store = urlsplit(_substituted(env["UNINEWS_STORE"]))
    assert (store.scheme, store.hostname, store.port, store.path) == (
        "mongodb",
        "mongo",
        27017,
        "/uninews",
    )
    assert env.get("UNINEWS_CONTACT"), "UNINEWS_CONTACT goes into the User-Agent"
    mounts = dict((t, s) for s, t in _volume_mounts(svc))
    assert mounts.get(env["UNINEWS_LOG_DIR"]) in set(compose["volumes"]), (
        "UNINEWS_LOG_DIR must be on a named volume"
    )


def test_mongo_requires_authentication_and_uninews_is_not_root(compose: dict[str, Any]) -> None:
    """The compose root user lives in `admin`; uninews connects as an application user made at
    the first start, with readWrite on its own database only (so no ?authSource is needed)."""
    mongo = _env(compose["services"]["mongo"])
    assert (
        mongo["MONGO_INITDB_ROOT_USERNAME"]
        and "MONGO_ROOT_PASSWORD:?" in mongo["MONGO_INITDB_ROOT_PASSWORD"]
    )
    init = dict((t, s) for s, t in _volume_mounts(compose["services"]["mongo"]))
    script = next(s for t, s in init.items() if t.startswith("/docker-entrypoint-initdb.d/"))
    text = (ROOT / script).read_text(encoding="utf-8")
    assert 'role: "readWrite", db: "uninews"' in text and 'getSiblingDB("uninews")' in text
    raw_uri = _env(compose["services"]["uninews"])["UNINEWS_STORE"]
    assert "${UNINEWS_DB_PASSWORD}" in raw_uri  # from .env, never in the file
    store = urlsplit(_substituted(raw_uri))
    assert store.username == "uninews" != mongo["MONGO_INITDB_ROOT_USERNAME"]
    assert "authSource" not in store.query


def test_deploy_doc_explains_auth_source() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "authSource=admin" in doc and "UNINEWS_DB_PASSWORD" in doc


def test_the_test_fixture_keeps_auth_options_when_it_renames_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.conftest import store_uri

    monkeypatch.setenv("MONGODB_URI", "mongodb://root:pw@localhost:27017/?authSource=admin")
    uri = urlsplit(store_uri("mongodb", tmp_path))
    assert uri.query == "authSource=admin" and uri.path.startswith("/uninews_test_")
    assert (uri.username, uri.password) == ("root", "pw")


def test_uninews_runs_the_daemon(compose: dict[str, Any]) -> None:
    svc = compose["services"]["uninews"]
    entrypoint = _argv(svc.get("entrypoint"))
    if not entrypoint:
        entrypoint = next(_exec_form(a) for i, a in _dockerfile() if i == "ENTRYPOINT")
    argv = entrypoint + _argv(svc.get("command"))
    assert argv[:2] == ["uninews", "daemon"], argv


def test_stop_grace_outlasts_the_daemons_grace(compose: dict[str, Any]) -> None:
    from uninews.cli import build_parser

    daemon_grace = build_parser().parse_args(["daemon"]).grace
    svc = compose["services"]["uninews"]
    assert svc.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert _seconds(svc["stop_grace_period"]) > daemon_grace


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_web_serves_the_archive_only_with_a_token(compose: dict[str, Any]) -> None:
    from uninews.cli import build_parser

    svc = compose["services"]["web"]
    argv = _argv(svc["command"])
    args = build_parser().parse_args(argv)  # what the image's entrypoint `uninews` will parse
    assert args.command == "serve" and args.host == "0.0.0.0"
    env = _env(svc)
    assert re.fullmatch(r"\$\{UNINEWS_TOKEN:\?[^}]+\}", env["UNINEWS_TOKEN"])  # required
    assert env["UNINEWS_STORE"] == _env(compose["services"]["uninews"])["UNINEWS_STORE"]
    assert svc["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert svc.get("restart") == "unless-stopped"


def test_cluster_profile_runs_one_scheduler_over_two_deployed_nodes(
    compose: dict[str, Any],
) -> None:
    import configparser

    from uninews.cli import build_parser

    services = compose["services"]
    cluster = {n for n, svc in services.items() if "cluster" in (svc.get("profiles") or [])}
    assert cluster == {"mongo-rs", "scrapyd1", "scrapyd2", "scrapyd-deploy", "cluster-daemon"}
    # the archive: a replica set of one, initiated by its healthcheck
    rs = services["mongo-rs"]
    assert _argv(rs["command"])[:2] == ["--replSet", "rs0"]
    assert "rs.initiate" in " ".join(rs["healthcheck"]["test"])
    # the daemon places runs on exactly the two nodes, once they are deployed to
    daemon = services["cluster-daemon"]
    args = build_parser().parse_args(_argv(daemon["command"]))
    assert args.command == "daemon" and args.executor == "scrapyd"
    assert sorted(args.scrapyd_node) == ["http://scrapyd1:6800", "http://scrapyd2:6800"]
    assert daemon["depends_on"]["scrapyd-deploy"]["condition"] == "service_completed_successfully"
    store = _env(daemon)["UNINEWS_STORE"]
    assert store.startswith("mongodb://mongo-rs:27017/") and "replicaSet=rs0" in store
    for name in ("scrapyd1", "scrapyd2"):
        node = services[name]
        assert _env(node)["UNINEWS_STORE"] == store  # the nodes write where the daemon reads
        assert _argv(node["entrypoint"]) == ["scrapyd"]
        assert not node.get("ports"), "a node's API runs any deployed code: never published"
        mounts = [v.split(":")[:2] for v in node["volumes"]]
        assert ["./deploy/scrapyd.conf", "/etc/scrapyd/scrapyd.conf"] in mounts
    conf = configparser.ConfigParser()
    conf.read(ROOT / "deploy" / "scrapyd.conf")
    assert (conf["scrapyd"]["bind_address"], conf["scrapyd"]["http_port"]) == ("0.0.0.0", "6800")
    # scrapyd-deploy -a deploys to exactly the daemon's nodes
    deployer = services["scrapyd-deploy"]
    assert _argv(deployer["entrypoint"]) + _argv(deployer["command"]) == [
        "scrapyd-deploy", "-a", "-p", "uninews",
    ]  # fmt: skip
    targets = configparser.ConfigParser()
    targets.read(ROOT / "deploy" / "scrapyd-targets.cfg")
    urls = sorted(targets[t]["url"].rstrip("/") for t in targets.sections())
    assert urls == sorted(args.scrapyd_node)
    assert all(targets[t]["project"] == "uninews" for t in targets.sections())


def test_compose_config_validates() -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")

    def config(**env: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.endswith(("_PASSWORD", "_TOKEN"))}
        return subprocess.run(
            [*cli, "-f", str(COMPOSE), "config", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**clean, **env},
        )

    ok = config(MONGO_ROOT_PASSWORD="r00t", UNINEWS_DB_PASSWORD="app", UNINEWS_TOKEN="t" * 20)
    assert ok.returncode == 0, ok.stderr
    cluster = config(
        MONGO_ROOT_PASSWORD="r00t", UNINEWS_DB_PASSWORD="app", UNINEWS_TOKEN="t" * 20,
        COMPOSE_PROFILES="cluster",
    )  # fmt: skip
    assert cluster.returncode == 0, cluster.stderr
    no_token = config(MONGO_ROOT_PASSWORD="r00t", UNINEWS_DB_PASSWORD="app")
    assert no_token.returncode != 0 and "UNINEWS_TOKEN" in no_token.stderr
    missing = config()  # no passwords: Compose refuses, naming what to set
    assert missing.returncode != 0 and "MONGO_ROOT_PASSWORD" in missing.stderr


# --- Dockerfile and .dockerignore ----------------------------------------------------------------
def test_dockerfile_runs_uninews_as_non_root() -> None:
    instr = _dockerfile()
    assert instr[0] == ("FROM", "python:3.11-slim")
    users = [a for i, a in instr if i == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert _exec_form(next(a for i, a in reversed(instr) if i == "ENTRYPOINT")) == ["uninews"]
    assert _exec_form(next(a for i, a in reversed(instr) if i == "CMD")) == ["daemon"]
    # The image installs the versions the tests passed with.
    assert any(
        i == "RUN" and "pip install --no-cache-dir -c constraints.txt ." in a for i, a in instr
    )


def test_dockerfile_copies_what_exists_and_is_not_ignored() -> None:
    sources = []
    for i, args in _dockerfile():
        if i == "COPY" and not args.startswith("--from"):
            sources += [s for s in args.split()[:-1] if not s.startswith("--")]
    assert {"pyproject.toml", "crawler/", "storage/", "uninews/", "scheduler/"} <= set(sources)
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # A directory git does not track (empty, or no __init__.py yet) is absent from a clone.
    missing = [
        src
        for src in sources
        if not (ROOT / src / "__init__.py" if src.endswith("/") else ROOT / src).is_file()
    ]
    assert not missing, f"the Dockerfile copies what a checkout lacks: {missing}"
    for src in sources:
        path = src.rstrip("/")
        for pattern in ignored:
            assert not fnmatch.fnmatch(path, pattern), f"{src} is excluded by .dockerignore"
    for must in (".venv", ".git", "tests"):
        assert must in ignored, f".dockerignore should exclude {must}"


# --- GitHub Actions workflow ---------------------------------------------------------------------
def test_ci_workflow_runs_ci_script_against_mongo() -> None:
    wf = _load(WORKFLOW)
    triggers = wf["on"] if "on" in wf else wf[True]  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = wf["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert {"3.11", "3.12"} <= {str(v) for v in job["strategy"]["matrix"]["python-version"]}
    (mongo,) = [s for s in job["services"].values() if str(s["image"]).startswith("mongo:")]
    assert re.fullmatch(r"mongo:\d+", mongo["image"])
    assert any("27017" in str(p) for p in mongo["ports"])
    assert "--health-cmd" in mongo["options"] and "mongosh" in mongo["options"]
    assert job["env"]["MONGODB_URI"] == "mongodb://localhost:27017"
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/checkout@") for u in uses)
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert "matrix.python-version" in setup["with"]["python-version"]
    assert any(s.get("run", "").strip() == "bash .ci/run" for s in job["steps"])
    assert (ROOT / ".ci" / "run").is_file()


# --- docs/mongodb.md against storage/mongo.py -----------------------------------------------------
_CREATE_INDEX = re.compile(
    r"db\.(\w+)\.createIndex\(\{([^}]*)\}(?:,\s*\{((?:[^{}]|\{[^{}]*\})*)\})?\)"
)


def _doc_indexes() -> dict[tuple[str, str], tuple[list[tuple[str, int]], bool]]:
    """{(collection, name): (keys, unique)} from the indexes section of docs/mongodb.md."""
    out = {}
    for coll, keys, opts in _CREATE_INDEX.findall(_doc_section("Indexes")):
        fields = [(f, int(d)) for f, d in re.findall(r"([\w.]+):\s*(-?1)\b", keys)]
        name = re.search(r'name:\s*"([^"]+)"', opts or "")
        assert fields and name, f"unreadable index line for {coll}: {keys} {opts}"
        out[(coll, name.group(1))] = (fields, bool(re.search(r"unique:\s*true", opts)))
    assert out, "no createIndex lines in the indexes section"
    return out


def _mongo_source() -> str:
    return "".join(
        (ROOT / "storage" / name).read_text(encoding="utf-8")
        for name in ("mongo.py", "mongo_blobs.py")  # the archive's files live in their own
    )


def test_doc_index_names_and_fields_are_the_stores_own() -> None:
    from storage.mongo import INDEXES

    declared = {
        (coll, opts["name"]): ([(f, int(d)) for f, d in keys], bool(opts.get("unique")))
        for coll, keys, opts in INDEXES
    }
    assert _doc_indexes() == declared


@pytest.fixture
def mongomock_store() -> Iterator[Any]:
    pytest.importorskip("mongomock")
    from storage import open_store

    store: Any = open_store("mongomock://localhost/uninews")
    yield store
    store.db.client.drop_database("uninews")
    store.close()


def test_doc_indexes_are_exactly_those_created(mongomock_store: Any) -> None:
    db = mongomock_store.db
    created = {}
    for coll in db.list_collection_names():
        for name, info in db[coll].index_information().items():
            if name != "_id_":
                keys = [(f, int(d)) for f, d in info["key"]]
                created[(coll, name)] = (keys, bool(info.get("unique")))
    assert _doc_indexes() == created


def test_doc_lists_every_collection() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", _doc_section("Collections"), re.M))
    assert documented == set(re.findall(r'db\["(\w+)"\]', _mongo_source()))


def _record_order() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "crawler" / "records.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "RECORD_ORDER" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("crawler/records.py has no RECORD_ORDER")


BODY = "清华大学各单位党委书记抓基层党建工作现场述职评议会在主楼接待厅举行。" * 3
URL = "http://news.tsinghua.edu.cn/info/1/100.htm"
ALIAS = "http://news.tsinghua.edu.cn/publish/news/4205/1.html"
EN_URL = "https://www.tsinghua.edu.cn/en/info/2/7.htm"
PKU_URL = "https://news.pku.edu.cn/xwzh/1.htm"
PAGE = "<html>清华 党建</html>".encode("gbk")


def _rec(url: str, **kw: Any) -> dict[str, Any]:
    """A record with every RECORD_ORDER field, as crawler/records.py builds them."""
    values: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "site": "tsinghua",
        "title": "清华首次举行基层党建工作现场述职评议会",
        "subtitle": None,
        "published_at": "2016-03-04T21:16:26+08:00",
        "updated_at": None,
        "source": "清华新闻网",
        "authors": ["李含"],
        "photographers": ["杨艳宾"],
        "editors": ["清芷"],
        "reviewers": [],
        "contributors": [],
        "language": "zh",
        "keywords": ["党建"],
        "text": BODY,
        "images": [{"url": url + ".jpg", "caption": None, "credit": None}],
        "attachments": [{"url": url + ".pdf", "name": "附件"}],
        "html": f"<p>{BODY}</p>",
        "fetched_at": "2026-11-27T00:00:00Z",
        "fetch": {
            "status": 200,
            "final_url": url,
            "content_type": "text/html",
            "length": 100,
            "layout": "generic",
        },
        "extractor_version": "1",
    }
    values.update(kw)
    return {k: values[k] for k in _record_order() if k in values}


@pytest.fixture
def archive(mongomock_store: Any) -> tuple[Any, str]:
    """A small archive written by storage/mongo.py itself: versions, an alias, runs, gone URLs."""
    from storage import RawPage, RunRecord
    from storage.common import utcnow

    s = mongomock_store
    raw = RawPage(URL, URL, 200, {"Content-Type": "text/html; charset=gbk"}, PAGE, utcnow())
    aid = s.upsert(_rec(URL), raw).article_id
    changed = BODY + "更正：会议地点为主楼接待厅。"
    s.upsert(_rec(URL, text=changed, fetched_at="2026-11-28T00:00:00Z"))
    s.upsert(_rec(ALIAS, text=changed))  # same content, another URL: an alias
    again = RawPage(URL, URL, 200, {}, PAGE, "2026-11-29T00:00:00Z", {"User-Agent": "uninews"})
    s.upsert(_rec(URL, text=changed, fetched_at="2026-11-29T00:00:00Z"), again)  # a capture
    s.upsert(
        _rec(
            EN_URL,
            language="en",
            title="Tsinghua opens quantum computing centre",
            authors=["Alice Smith"],
            text="The Quantum Computing Centre opened on Monday. " * 5,
            published_at="2024-03-15T09:00:00+08:00",
        )
    )
    s.upsert(
        _rec(
            PKU_URL,
            site="pku",
            title="北大党建工作会议",
            authors=["王五"],
            text="北京大学召开党建工作会议，部署全年工作。" * 6,
            published_at="2024-03-01T00:30:00+08:00",
        )
    )
    s.mark_gone("http://news.tsinghua.edu.cn/info/1/404.htm", "tsinghua", "http_404")
    s.mark_gone("http://news.tsinghua.edu.cn/info/1/405.htm", "tsinghua", "http_404")
    s.mark_gone("http://news.tsinghua.edu.cn/info/1/list.htm", "tsinghua", "listing")
    old = s.start_run(RunRecord(site="tsinghua", started_at="2020-01-01T00:00:00.000000Z"))
    s.finish_run(old, "failed", {"errors": 1}, "long ago")
    ok = s.start_run(RunRecord(site="tsinghua", started_at=utcnow()))
    s.finish_run(ok, "ok", {"inserted": 3}, None)
    failed = s.start_run(RunRecord(site="pku", started_at=utcnow()))
    s.finish_run(failed, "failed", {"errors": 2}, "boom")
    s.set_state("backfill:pku:https://news.pku.edu.cn/list.htm:2020-01-01:None", {"done": False})
    s.heartbeat("daemon", {"pid": 1})
    return s.db, aid


def _documented(section: str) -> set[str]:
    """The names in the first column of a section's tables."""
    cells = re.findall(r"^\| ([^|]+) \|", _doc_section(section), re.M)
    return {name for cell in cells for name in re.findall(r"`([\w.]+)`", cell)}


def test_doc_names_every_field_the_store_writes(archive: tuple[Any, str]) -> None:
    db, aid = archive
    article = db.articles.find_one({"_id": aid})
    assert "changed" in article and article["aliases"] == [ALIAS]
    fields = _documented("`articles`")
    assert set(_record_order()) <= fields
    assert set(article) <= fields, f"undocumented: {sorted(set(article) - fields)}"
    other = _doc_section("The other collections")
    for coll in ("aliases", "versions", "raw_pages", "captures", "gone", "runs", "crawl_state",
                 "heartbeats"):  # fmt: skip
        row = re.search(rf"^\| `{coll}` \|(.*)$", other, re.M)
        assert row, f"no row for {coll}"
        named = set(re.findall(r"`(\w+)`", row.group(1)))
        keys = set().union(*(d.keys() for d in db[coll].find()))
        assert keys and keys <= named, f"{coll}: undocumented {sorted(keys - named)}"


def _snippet(text: str) -> None:
    doc = " ".join(MONGO_DOC.read_text(encoding="utf-8").split())
    assert " ".join(text.split()) in doc, f"docs/mongodb.md no longer has: {text}"


DOC_QUERY_6 = [
    {"$sort": {"article_id": 1}},
    {"$group": {"_id": "$article_id", "urls": {"$push": "$url"}}},
    {"$lookup": {"from": "articles", "localField": "_id", "foreignField": "_id", "as": "article"}},
    {"$project": {"urls": 1, "title": {"$arrayElemAt": ["$article.title", 0]}}},
]


def test_doc_queries_work_on_the_documents_the_store_writes(archive: tuple[Any, str]) -> None:
    db, aid = archive

    def titles(cursor: Any) -> list[str]:
        return [d["title"] for d in cursor]

    # 1. site and month
    _snippet('{site: "tsinghua", pub_date: {$gte: "2024-03-01", $lt: "2024-04-01"}}')
    q1 = db.articles.find(
        {"site": "tsinghua", "pub_date": {"$gte": "2024-03-01", "$lt": "2024-04-01"}},
        {"title": 1, "pub_date": 1, "url": 1},
    ).sort("pub_utc", -1)
    assert titles(q1) == ["Tsinghua opens quantum computing centre"]
    utc = {"$gte": datetime(2024, 3, 1, tzinfo=UTC), "$lt": datetime(2024, 4, 1, tzinfo=UTC)}
    assert db.articles.count_documents({"site": "tsinghua", "pub_utc": utc}) == 1
    assert db.articles.count_documents({"site": "pku", "pub_utc": utc}) == 0  # Feb 29 in UTC

    # 2. by a person, any role
    _snippet('db.articles.find({people: "李含"}')
    assert {d["_id"] for d in db.articles.find({"people": "李含"})} == {aid}
    _snippet('{people: {$regex: "smith", $options: "i"}}, {title: 1, people: 1}).hint("people_v2")')
    q2 = db.articles.find({"people": {"$regex": "smith", "$options": "i"}}, {"title": 1})
    assert titles(q2.hint("people_v2")) == ["Tsinghua opens quantum computing centre"]

    # 3. Chinese keyword
    _snippet('{terms: {$all: ["党建"]}}')
    assert db.articles.count_documents({"terms": {"$all": ["党建"]}}) == 2
    _snippet(
        '{terms: {$all: ["述职", "职评", "评议"]}, $or: [{title: /述职评议/}, {text: /述职评议/}]}'
    )
    q3 = db.articles.find(
        {
            "terms": {"$all": ["述职", "职评", "评议"]},
            "$or": [{"title": re.compile("述职评议")}, {"text": re.compile("述职评议")}],
        }
    )
    assert [d["_id"] for d in q3] == [aid]

    # 4. English keyword
    _snippet('{terms: {$all: ["quantum", "computing"]}, text: /quantum computing/i}')
    q4 = db.articles.find(
        {
            "terms": {"$all": ["quantum", "computing"]},
            "text": re.compile("quantum computing", re.I),
        }
    )
    assert titles(q4) == ["Tsinghua opens quantum computing centre"]

    # 5. versions of one article
    _snippet('db.articles.findOne({url_key: "news.tsinghua.edu.cn/info/1/100.htm"})._id')
    assert db.articles.find_one({"url_key": "news.tsinghua.edu.cn/info/1/100.htm"})["_id"] == aid
    _snippet("db.versions.find({article_id: id}")
    versions = list(db.versions.find({"article_id": aid}).sort("version", 1))
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["record"]["text"] == BODY
    current = db.articles.find_one({"_id": aid}, {"version": 1, "changed": 1})
    assert current["version"] == 2 and current["changed"] == ["text"]

    # 6. duplicates
    _snippet('db.aliases.find({article_id: "1238548e0739aa75"}')
    assert aid == "1238548e0739aa75"  # the id the doc's examples use
    assert [a["url"] for a in db.aliases.find({"article_id": aid})] == [ALIAS]
    _snippet('{$lookup: {from: "articles", localField: "_id", foreignField: "_id", as: "article"}}')
    with_aliases = list(db.aliases.aggregate(DOC_QUERY_6))
    assert [(d["_id"], d["urls"], d["title"]) for d in with_aliases] == [
        (aid, [ALIAS], "清华首次举行基层党建工作现场述职评议会")
    ]

    # 7. last run per site
    _snippet("{$sort: {site: 1, started_at: -1}}")
    last = {
        r["_id"]: r["status"]
        for r in db.runs.aggregate(
            [
                {"$sort": {"site": 1, "started_at": -1}},
                {
                    "$group": {
                        "_id": "$site",
                        "started_at": {"$first": "$started_at"},
                        "ended_at": {"$first": "$ended_at"},
                        "status": {"$first": "$status"},
                        "counts": {"$first": "$counts"},
                    }
                },
                {"$sort": {"_id": 1}},
            ]
        )
    }
    assert last == {"pku": "failed", "tsinghua": "ok"}

    # 8. failed runs in the last week: mongosh's toISOString() has milliseconds
    _snippet('{status: {$in: ["failed", "timeout"]},')
    week_ago = datetime.now(UTC) - timedelta(days=7)
    since = week_ago.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    q8 = db.runs.find({"status": {"$in": ["failed", "timeout"]}, "started_at": {"$gte": since}})
    assert [r["site"] for r in q8.sort("started_at", -1)] == ["pku"]

    # 9. latest raw page, decompressed
    _snippet('db.raw_pages.find({article_id: "1238548e0739aa75"}).sort({fetched_at: -1}).limit(1)')
    page = next(db.raw_pages.find({"article_id": aid}).sort("fetched_at", -1).limit(1))
    assert zlib.decompress(page["body"]) == PAGE

    # 10. gone URLs by reason
    _snippet('{$group: {_id: {site: "$site", reason: "$reason"}, urls: {$sum: 1}}}')
    gone = db.gone.aggregate(
        [
            {"$group": {"_id": {"site": "$site", "reason": "$reason"}, "urls": {"$sum": 1}}},
            {"$sort": {"urls": -1}},
        ]
    )
    assert [(g["_id"]["reason"], g["urls"]) for g in gone] == [("http_404", 2), ("listing", 1)]
    _snippet('db.gone.find({reason: "http_404"}')
    assert db.gone.count_documents({"reason": "http_404"}) == 2


# --- reproducible installs ------------------------------------------------------------------------
def test_every_dependency_is_pinned_and_every_install_uses_the_pins() -> None:
    """A fresh machine installs what the tests passed with: constraints.txt pins each direct
    dependency (and the extras'), and the README, CI and the image install through it."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    pins = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    for spec in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]).lower()
        if name == project["name"]:
            continue  # an extra of our own (dev includes render)
        assert name in pins, f"{name} is not pinned in constraints.txt"
    readme = (ROOT / "README.md").read_text("utf-8")
    installs = re.findall(r"pip install [^\n&]*", readme)
    assert installs and all("-c constraints.txt" in cmd for cmd in installs[:2]), installs
    assert "-c constraints.txt" in (ROOT / ".ci" / "run").read_text("utf-8")
