"""`uninews status`: is a daemon alive, and per site its schedule, next run, last run, articles."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from crawler.run import count_label, lock_name, unmatched_key, unmatched_line
from crawler.sites import Site, load_sites_tolerant
from scheduler.daemon import HEARTBEAT_INTERVAL, HEARTBEAT_NAME, LOCK_NAME, STANDBY_NAME
from scheduler.jobs import cron_trigger, log_dir, utc_iso
from storage import ArchiveStore, RunRecord
from storage.locks import process_gone
from uninews import output

# The counts worth a place in the one-line summary of a run, in this order.
_SHOWN_COUNTS = ("inserted", "new_version", "errors")


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _span(seconds: float) -> str:
    s = int(abs(seconds))
    if s < 90:
        return f"{s}s"
    if s < 90 * 60:
        return f"{round(s / 60)}m"
    if s < 48 * 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def _when(ts: str | None, now: datetime) -> str:
    """'2026-11-27 21:17 (in 37m)' in the viewer's local time."""
    dt = _parse(ts)
    if dt is None:
        return "-"
    delta = (dt - now).total_seconds()
    rel = f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"
    return f"{dt.astimezone().strftime('%Y-%m-%d %H:%M')} ({rel})"


def daemon_state(
    hb: dict[str, Any] | None, now: datetime, holder: dict[str, Any] | None = None
) -> dict[str, Any]:
    """alive | stopped (cleanly) | dead (did not stop cleanly) | never (no daemon used this store).

    Alive means a process holds the store's daemon lock (released by the OS the moment it dies;
    a MongoDB lease also when its process is gone from this host), not a recent heartbeat.
    """
    hb = hb or {}
    at = _parse(hb.get("at"))
    age = (now - at).total_seconds() if at else None
    if holder is not None and not process_gone(holder):
        state = "alive"
        hb = hb if hb.get("pid") == holder.get("pid") else {**hb, **holder, "state": "running"}
    elif not hb:
        state = "never"
    elif hb.get("state") == "stopped":
        state = "stopped"
    else:
        state = "dead"
    return {
        "state": state,
        "alive": state == "alive",
        "pid": hb.get("pid"),
        "host": hb.get("host"),
        "version": hb.get("version"),
        "started_at": hb.get("started_at"),
        "heartbeat_at": hb.get("at"),
        "heartbeat_age": round(age, 1) if age is not None else None,
        "heartbeat_interval": float(hb.get("interval") or HEARTBEAT_INTERVAL),
        "running": list(hb.get("running") or []) if state == "alive" else [],
        "sites": list(hb.get("sites") or []),
        # who holds the store's lease (the one daemon that schedules), and where crawls run
        "lease": holder if state == "alive" else None,
        "executor": hb.get("executor") or "local",
        "nodes": dict(hb.get("nodes") or {}) if state == "alive" else {},
        "placed": dict(hb.get("placed") or {}) if state == "alive" else {},
        "standbys": [],
    }


def standby_state(beat: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """A daemon waiting for the lease, if one beat lately (it beats every HEARTBEAT_INTERVAL)."""
    if not beat or beat.get("state") != "standby" or process_gone(beat):
        return None
    at = _parse(beat.get("at"))
    if at is None or (now - at).total_seconds() > 3 * float(beat.get("interval") or 10):
        return None
    return {"pid": beat.get("pid"), "host": beat.get("host"), "since": beat.get("since")}


def _next_from_schedule(site: Site, now: datetime) -> str | None:
    try:
        nxt = cron_trigger(site.schedule, site.timezone).get_next_fire_time(None, now)
    except ValueError:
        return None
    return utc_iso(nxt) if nxt else None


def _summary(run: RunRecord) -> str:
    seconds = run.seconds()
    took = f" in {_span(seconds)}" if seconds is not None else ""
    if run.status == "running":
        return "running"
    counts = ", ".join(count_label(run.counts.get(k, 0), k) for k in _SHOWN_COUNTS)
    return f"{run.status}{took}: {counts}" if run.counts else f"{run.status}{took}"


def site_rows(
    store: ArchiveStore,
    sites: dict[str, Site],
    hb: dict[str, Any] | None,
    now: datetime,
    daemon: dict[str, Any],
) -> list[dict[str, Any]]:
    alive = daemon["alive"]
    jobs: dict[str, Any] = (hb or {}).get("jobs") or {}
    schedules: dict[str, str] = (hb or {}).get("schedules") or {}
    logs = Path((hb or {}).get("log_dir") or log_dir())
    rows = []
    for name in sorted(set(sites) | (set(daemon["sites"]) if alive else set())):
        site = sites.get(name)
        if alive and name in jobs:
            next_run, source = jobs[name], "daemon"
        elif alive:
            next_run, source = None, "not scheduled"  # e.g. the daemon runs with --only
        elif site is not None:
            next_run, source = _next_from_schedule(site, now), "schedule"
        else:
            next_run, source = None, None
        runs = store.runs(name, limit=20)
        last = runs[0] if runs else None
        drift = fill_drift(runs)
        last_info = None
        outside = False
        if last is not None and last.status == "running":
            if _run_is_dead(store, last):
                # Killed without a word (kill -9, power loss): the next crawl of the site
                # records it as abandoned; until then, say so rather than "running" forever.
                last.status, last.error = "abandoned", "its process is gone"
            else:
                # Alive, holding the site's lock: by hand, or a crawl its daemon left behind
                # (the daemon died and its crawl did not); running all the same.
                outside = name not in daemon["running"]
        if last is not None:
            last_info = last.as_dict()
            log = logs / name / f"{last.id}.log"
            try:
                last_info["log"] = str(log) if log.is_file() else None
            except OSError:  # a log folder this user may not enter
                last_info["log"] = None
        rows.append(
            {
                "site": name,
                "schedule": schedules.get(name)
                if alive and name in schedules
                else (f"{site.schedule} {site.timezone}" if site else None),
                "scheduled": bool(alive and name in jobs),
                "running": name in daemon["running"] or outside,
                "running_outside_daemon": outside,
                "next_run": next_run,
                "next_run_source": source,
                "last_run": last_info,
                "articles": store.count(name),
                "fill_drift": drift,
                "unmatched_links": _unmatched(store, name, last),
                "_last": last,
            }
        )
    return rows


def _unmatched(store: ArchiveStore, site: str, last: RunRecord | None) -> dict[str, Any] | None:
    """The last run's links on listings that matched no article_url: how many, a few of them."""
    n = last.counts.get("unmatched_links", 0) if last is not None else 0
    if not n or last is None:
        return None
    state = store.get_state(unmatched_key(site)) or {}
    examples = state.get("examples", []) if state.get("run") == last.id else []
    return {"count": n, "examples": examples}


DRIFT_FIELDS = ("title", "published_at", "text")  # the ones every article has
DRIFT_DROP = 0.3  # a fall of this much (a share of articles) against the site's history
DRIFT_MIN_ARTICLES = 5


def fill_drift(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """Fields whose fill rate in the latest run that extracted articles fell sharply against
    the runs before it (their median): the site's layout probably changed."""
    # Crawls only: a revisit re-reads a few old articles, not a sample of what the site publishes.
    rated = [
        r
        for r in runs
        if r.kind != "revisit" and r.counts.get("extracted", 0) >= DRIFT_MIN_ARTICLES
    ]
    if len(rated) < 2:
        return []
    latest, history = rated[0], rated[1:]
    out = []
    for name in DRIFT_FIELDS:
        now = latest.counts.get(f"filled_{name}", 0) / latest.counts["extracted"]
        before = sorted(r.counts.get(f"filled_{name}", 0) / r.counts["extracted"] for r in history)
        usual = before[len(before) // 2]
        if usual - now >= DRIFT_DROP:
            out.append({"field": name, "now": round(now, 2), "before": round(usual, 2),
                        "run": latest.id})  # fmt: skip
    return out


def _run_is_dead(store: ArchiveStore, run: RunRecord) -> bool:
    if store.lock_holder(lock_name(run.kind, run.site)) is None:
        return True  # whoever runs it holds this lock while it runs
    return process_gone({"pid": run.pid, "host": run.host})


def _header(daemon: dict[str, Any], now: datetime) -> str:
    lines = [_daemon_line(daemon, now)]
    if daemon["state"] == "alive" and daemon.get("executor") == "scrapyd":
        nodes = daemon.get("nodes") or {}
        lines.append(
            "crawls run on Scrapyd: " + ", ".join(f"{url} ({st})" for url, st in nodes.items())
        )
    for standby in daemon.get("standbys") or []:
        lines.append(
            f"standby: pid {standby['pid']} on {standby['host']} (waiting since"
            f" {_when(standby.get('since'), now)}; takes over when the daemon stops)"
        )
    return "\n".join(lines)


def _outside_line(rows: list[dict[str, Any]]) -> str | None:
    """The crawls running that the daemon did not start (or no longer knows): by hand, or left
    behind by a daemon that died."""
    outside = [r for r in rows if r.get("running_outside_daemon")]
    if not outside:
        return None
    who = ", ".join(f"{r['site']} (pid {r['_last'].pid} on {r['_last'].host})" for r in outside)
    return f"running outside the daemon: {who}"


def _daemon_line(daemon: dict[str, Any], now: datetime) -> str:
    who = f"pid {daemon.get('pid')} on {daemon.get('host')}"
    state = daemon["state"]
    if state == "never":
        return "daemon: not running (no daemon has used this store)"
    if state == "stopped":
        return (
            f"daemon: not running (stopped cleanly {_when(daemon['heartbeat_at'], now)}; was {who})"
        )
    if state == "dead":
        return (
            f"daemon: NOT RUNNING: last heartbeat {_when(daemon['heartbeat_at'], now)} "
            f"({who}); it did not stop cleanly"
        )
    running = daemon["running"]
    up = _parse(daemon.get("started_at"))
    uptime = f", up {_span((now - up).total_seconds())}" if up else ""
    age = daemon["heartbeat_age"]
    beat = f", heartbeat {age:.0f}s ago" if age is not None else ""
    placed = daemon.get("placed") or {}
    where = [f"{s} on {placed[s]}" if placed.get(s, "local") != "local" else s for s in running]
    if not running and daemon.get("running_outside"):
        doing = "no crawl of its own running"  # the next line names those running
    else:
        doing = f"running: {', '.join(where)}" if running else "no crawl running"
    return f"daemon: alive ({who}{uptime}{beat}; holds the store's lease); {doing}"


def _status(
    store: ArchiveStore, sites_dir: Path | None, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    hb = store.get_heartbeat(HEARTBEAT_NAME)
    daemon = daemon_state(hb, now, store.lock_holder(LOCK_NAME))
    beats = [standby_state(b, now) for b in store.heartbeats(STANDBY_NAME).values()]
    daemon["standbys"] = sorted((b for b in beats if b), key=lambda b: str(b.get("since")))
    rows = site_rows(store, load_sites_tolerant(sites_dir)[0], hb, now, daemon)
    daemon["running_outside"] = [r["site"] for r in rows if r["running_outside_daemon"]]
    return daemon, rows


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "_last"}


def status_doc(store: ArchiveStore, sites_dir: Path | None = None) -> dict[str, Any]:
    """What `uninews status --format json` prints: the daemon's state, and per site its
    schedule, next run, last run, articles and fill-rate drift."""
    daemon, rows = _status(store, sites_dir, datetime.now(UTC))
    return {"daemon": daemon, "sites": [_public(r) for r in rows]}


def print_status(
    store: ArchiveStore, sites_dir: Path | None, fmt: str = "table", out: TextIO | None = None
) -> int:
    """Print the daemon's liveness and each site's schedule, next run, last run and articles."""
    out = out or sys.stdout
    now = datetime.now(UTC)
    daemon, rows = _status(store, sites_dir, now)
    if fmt == "json":
        doc = {"daemon": daemon, "sites": [_public(r) for r in rows]}
        out.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
        return 0
    outside = _outside_line(rows)
    out.write(_header(daemon, now) + (f"\n{outside}" if outside else "") + "\n\n")
    shown = []
    for r in rows:
        last: RunRecord | None = r["_last"]
        nxt = _when(r["next_run"], now) if r["next_run"] else r["next_run_source"] or "-"
        shown.append(
            {
                "site": r["site"],
                "schedule": r["schedule"],
                "next": "running now" if r["running"] else nxt,
                "last": _when(last.started_at, now) if last else "never",
                "node": (last.node or "local").removeprefix("http://") if last else "",
                "result": ("layout changed? " if r["fill_drift"] else "")
                + (_summary(last) if last else ""),
                "articles": r["articles"],
            }
        )
    cols = [
        ("site", "SITE", 16),
        ("schedule", "SCHEDULE", 26),
        ("next", "NEXT RUN", 30),
        ("last", "LAST RUN", 30),
        ("articles", "ARTICLES", 8),
        ("result", "LAST RESULT", 50),
    ]
    if any(r["_last"] is not None and r["_last"].node for r in rows):
        cols.insert(4, ("node", "RAN ON", 22))  # a Scrapyd cluster: which node
    output.table(shown, cols, out)
    for r in rows:
        for d in r["fill_drift"]:
            out.write(
                f"\n{r['site']}: layout changed? {d['field']} found in {d['now']:.0%} of the"
                f" articles of the last run, {d['before']:.0%} before (uninews sites check"
                f" {r['site']})\n"
            )
    for r in rows:
        if r["unmatched_links"]:
            u = r["unmatched_links"]
            out.write(
                f"\n{r['site']}: {unmatched_line(u['count'], u['examples'])} (articles the site"
                f" file misses? uninews sites check {r['site']})\n"
            )
    # Why a last run went wrong, in full: the table has no room for it.
    for r in rows:
        last = r["_last"]
        if last is not None and last.status not in ("ok", "running") and last.error:
            out.write(f"\n{r['site']}: {last.status}: {last.error}\n")
            if r["last_run"]["log"]:
                out.write(f"  log: {r['last_run']['log']}\n")
    return 0
