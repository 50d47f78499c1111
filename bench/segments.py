"""Segments benchmark: parse+check+compile time per expression, and the count of ten typical
segments through Kith, against the same ten hand-written as DuckDB SQL and as pandas code,
timed in the same run on the same workspace.

Run: .venv/bin/python -m bench.segments --db PATH [--repeat 3] [--no-pandas]

PATH is a demo workspace (`kith demo --profiles 1000000`, or bench/data/bench-1m.duckdb from
`python -m bench.workspace`). When PATH does not exist, a synthetic workspace with the same
tables is generated there first, set-based in DuckDB (--profiles, --events), which takes about a
minute for 1M profiles and 10M events instead of the demo's much longer realistic build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

import dsl
from engine import Workspace
from engine.compiler import Context, compile_query

AS_OF = dt.datetime(2026, 3, 1)  # the synthetic data's end
Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Case:
    name: str
    dsl: str
    sql: str  # hand-written DuckDB; $as_of and $dN (as_of - N days) are bound
    pandas: Callable[[Frames, dt.datetime], int]


def _ago(as_of: dt.datetime, days: int) -> dt.datetime:
    return as_of - dt.timedelta(days=days)


def _events(f: Frames, kind: str | None, as_of: dt.datetime, days: int | None) -> pd.DataFrame:
    e = f["events"]
    mask = e["ts"] <= as_of
    if kind is not None:
        mask &= e["type"] == kind
    if days is not None:
        mask &= e["ts"] > _ago(as_of, days)
    return e[mask]


def _purchases(f: Frames, as_of: dt.datetime, days: int | None) -> pd.DataFrame:
    p = f["purchases"]
    mask = p["ts"] <= as_of
    return p[mask & (p["ts"] > _ago(as_of, days))] if days is not None else p[mask]


def pd_property(f: Frames, as_of: dt.datetime) -> int:
    p = f["profiles"]
    return int(((p["country"] == "ID") & (p["lifetime_value"] >= 500)).sum())


def pd_recency(f: Frames, as_of: dt.datetime) -> int:
    return _events(f, "page_view", as_of, 7)["profile_id"].nunique()


def pd_frequency(f: Frames, as_of: dt.datetime) -> int:
    p = _purchases(f, as_of, 30)
    counts = p[p["amount"] > 100].groupby("profile_id").size()
    return int((counts >= 2).sum())


def _high_value(f: Frames, as_of: dt.datetime) -> pd.Index:
    sums = _purchases(f, as_of, 90).groupby("profile_id")["amount"].sum()
    return sums.index[sums > 300]


def pd_aggregate(f: Frames, as_of: dt.datetime) -> int:
    return len(_high_value(f, as_of))


def pd_sequence(f: Frames, as_of: dt.datetime) -> int:
    signup = _events(f, "signup", as_of, None)[["profile_id", "ts"]]
    bought = _purchases(f, as_of, None)[["profile_id", "ts"]]
    pairs = signup.merge(bought, on="profile_id", suffixes=("_s", "_p"))
    gap = pairs["ts_p"] - pairs["ts_s"]
    ok = (gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=7))
    return pairs.loc[ok, "profile_id"].nunique()


def pd_nested(f: Frames, as_of: dt.datetime) -> int:
    p = f["profiles"]
    seen = _events(f, "page_view", as_of, 14)["profile_id"].unique()
    keep = p["plan"].isin(["pro", "team"]) & ~p["id"].isin(seen) & ~(p["country"] == "US")
    return int(keep.sum())


def pd_segment_of_segment(f: Frames, as_of: dt.datetime) -> int:
    p = f["profiles"]
    inside = p["id"].isin(_high_value(f, as_of)) & (p["lifecycle"] != "churned")
    return int((inside & p["lifecycle"].notna()).sum())


def pd_did_not(f: Frames, as_of: dt.datetime) -> int:
    active = _events(f, None, as_of, 30)["profile_id"].unique()
    return int((~f["profiles"]["id"].isin(active)).sum())


def pd_consent(f: Frames, as_of: dt.datetime) -> int:
    log = f["consent"]
    log = log[(log["channel"] == "whatsapp") & (log["changed_at"] <= as_of)]
    latest = log.sort_values(["changed_at", "id"]).groupby("profile_id").tail(1)
    return int((latest["status"] == "granted").sum())


def pd_label_and_channel(f: Frames, as_of: dt.datetime) -> int:
    p = f["profiles"]
    vip = p["id"].isin(f["labels"]["profile_id"])
    ids = f["whatsapp"]
    seen = _events(f, None, as_of, None)
    seen = seen[seen["channel"] == "whatsapp"]["profile_id"].unique()
    reach = p["id"].isin(ids.loc[ids["created_at"] <= as_of, "profile_id"]) | p["id"].isin(seen)
    return int((vip & reach & p["email"].str.endswith("@gmail.com").fillna(False)).sum())


CASES = [
    Case(
        "property only",
        'country = "ID" and lifetime_value >= 500',
        "SELECT count(*) FROM profiles WHERE country = 'ID' AND lifetime_value >= 500",
        pd_property,
    ),
    Case(
        "event recency",
        "did page_view in last 7 days",
        "SELECT count(DISTINCT profile_id) FROM events "
        "WHERE type = 'page_view' AND ts > $d7 AND ts <= $as_of",
        pd_recency,
    ),
    Case(
        "frequency + filter",
        "did purchase where amount > 100 at least 2 times in last 30 days",
        "SELECT count(*) FROM (SELECT profile_id FROM events WHERE type = 'purchase' "
        "AND ts > $d30 AND ts <= $as_of AND (properties->>'amount')::DOUBLE > 100 "
        "GROUP BY profile_id HAVING count(*) >= 2)",
        pd_frequency,
    ),
    Case(
        "aggregate",
        "total amount of purchase in last 90 days > 300",
        "SELECT count(*) FROM (SELECT profile_id FROM events WHERE type = 'purchase' "
        "AND ts > $d90 AND ts <= $as_of GROUP BY profile_id "
        "HAVING sum((properties->>'amount')::DECIMAL(38, 9)) > 300)",
        pd_aggregate,
    ),
    Case(
        "sequence",
        "did signup then purchase within 7 days",
        "SELECT count(DISTINCT s.profile_id) FROM events s JOIN events b "
        "ON b.profile_id = s.profile_id AND b.ts >= s.ts AND b.ts <= s.ts + INTERVAL 7 DAY "
        "WHERE s.type = 'signup' AND b.type = 'purchase' AND s.ts <= $as_of AND b.ts <= $as_of",
        pd_sequence,
    ),
    Case(
        "nested and/or/not",
        'plan in ["pro", "team"] and not (did page_view in last 14 days) and not (country = "US")',
        "SELECT count(*) FROM profiles p WHERE plan IN ('pro', 'team') "
        "AND country IS DISTINCT FROM 'US' AND NOT EXISTS (SELECT 1 FROM events e "
        "WHERE e.profile_id = p.id AND e.type = 'page_view' AND e.ts > $d14 AND e.ts <= $as_of)",
        pd_nested,
    ),
    Case(
        "segment of segment",
        'in segment "high_value" and lifecycle != "churned"',
        "SELECT count(*) FROM profiles WHERE lifecycle <> 'churned' AND id IN "
        "(SELECT profile_id FROM events WHERE type = 'purchase' AND ts > $d90 AND ts <= $as_of "
        "GROUP BY profile_id HAVING sum((properties->>'amount')::DECIMAL(38, 9)) > 300)",
        pd_segment_of_segment,
    ),
    Case(
        "did not (anti-join)",
        "did not any event in last 30 days",
        "SELECT count(*) FROM profiles WHERE id NOT IN "
        "(SELECT profile_id FROM events WHERE ts > $d30 AND ts <= $as_of)",
        pd_did_not,
    ),
    Case(
        "consent",
        "consent whatsapp is granted",
        "SELECT count(*) FROM (SELECT profile_id FROM consent_log WHERE channel = 'whatsapp' "
        "AND purpose = 'marketing' AND changed_at <= $as_of GROUP BY profile_id "
        "HAVING arg_max(status, (changed_at, id)) = 'granted')",
        pd_consent,
    ),
    Case(
        "label + identity + string",
        'has label "vip" and has channel whatsapp and email ends with "@gmail.com"',
        "SELECT count(*) FROM profiles WHERE email LIKE '%@gmail.com' "
        "AND id IN (SELECT profile_id FROM labels WHERE label = 'vip') "
        "AND (id IN (SELECT profile_id FROM identities WHERE type = 'whatsapp' "
        "AND created_at <= $as_of) OR id IN (SELECT profile_id FROM events "
        "WHERE channel = 'whatsapp' AND ts <= $as_of))",
        pd_label_and_channel,
    ),
]


# ---- a synthetic workspace (when PATH does not exist) ------------------------------------------

_TYPES = (  # (type, share in permille, channel)
    ("page_view", 450, "web"),
    ("session_started", 100, "web"),
    ("message_sent", 120, "whatsapp"),
    ("message_delivered", 100, "whatsapp"),
    ("message_read", 60, "email"),
    ("link_clicked", 40, "email"),
    ("form_submitted", 30, "web"),
    ("signup", 30, "web"),
    ("purchase", 50, "web"),
    ("subscription_renewed", 20, "web"),
)
GENERATE = (
    # h(i, salt, n): a deterministic pseudo-random integer in [0, n)
    "CREATE OR REPLACE TEMP MACRO h(i, salt, n) AS CAST(hash(i, salt) % n AS BIGINT)",
    "INSERT INTO profiles (id, created_at, updated_at, first_seen, last_seen, name, email, "
    "country, lifecycle, plan, lifetime_value) SELECT i, $as_of - to_days(CAST(h(i, 1, 400) "
    "AS INTEGER)), $as_of, NULL, $as_of - to_hours(h(i, 2, 2400)), "
    "'Person ' || i, 'p' || i || (['@gmail.com', '@acme.com', '@mail.co'])[1 + h(i, 3, 3)], "
    "(['ID', 'US', 'SG', 'MY', 'TH', 'IN', NULL])[1 + h(i, 4, 7)], "
    "(['subscriber', 'lead', 'qualified', 'customer', 'churned', NULL])[1 + h(i, 5, 6)], "
    "(['free', 'free', 'pro', 'team', NULL])[1 + h(i, 6, 5)], "
    "CASE WHEN h(i, 7, 3) = 0 THEN NULL ELSE (h(i, 8, 200000)) / 100.0 END "
    "FROM range(1, $profiles + 1) t(i)",
    "INSERT INTO events (id, message_id, profile_id, type, ts, received_at, channel, source, "
    "properties) SELECT i, 'm' || i, 1 + h(i, 11, $profiles), k.type, ts, ts, k.channel, "
    "'bench', CASE k.type WHEN 'purchase' THEN json_object('amount', h(i, 12, 40000) / 100.0) "
    "WHEN 'page_view' THEN json_object('path', (['/', '/pricing', '/docs', '/blog'])"
    "[1 + h(i, 13, 4)]) ELSE NULL END FROM (SELECT i, $as_of - to_seconds(CAST(hash(i, 14) "
    "% (90 * 86400) AS BIGINT)) AS ts, h(i, 15, 1000) AS slot FROM range(1, $events + 1) "
    "t(i)) e JOIN _bench_types k ON e.slot >= k.low AND e.slot < k.high",
    "INSERT INTO identities SELECT i, 'user_id', 'u' || i, $as_of - INTERVAL 400 DAY, 'bench' "
    "FROM range(1, $profiles + 1) t(i)",
    "INSERT INTO identities SELECT i, 'whatsapp', '+62' || i, $as_of - to_days(CAST(hash(i, 21) "
    "% 120 AS INTEGER)), 'bench' FROM range(1, $profiles + 1) t(i) WHERE h(i, 22, 10) < 4",
    "INSERT INTO labels SELECT i, 'vip', $as_of - INTERVAL 30 DAY, 'bench' "
    "FROM range(1, $profiles + 1) t(i) WHERE h(i, 31, 100) < 3",
    "INSERT INTO consent_log (id, profile_id, channel, purpose, status, changed_at, source) "
    "SELECT j, 1 + h(j, 41, $profiles), 'whatsapp', 'marketing', "
    "(['granted', 'granted', 'denied', 'revoked'])[1 + h(j, 42, 4)], "
    "$as_of - to_hours(h(j, 43, 2400)), 'bench' "
    "FROM range(1, $profiles // 2 + 1) t(j)",
)


def generate(path: Path, profiles: int, events: int) -> None:
    """Write a synthetic workspace: the real schema, custom properties through the catalog,
    rows set-based in DuckDB, the "high_value" segment saved through the service."""
    started = time.perf_counter()
    with Workspace.open(path) as ws:
        ws.catalog.define_property("plan", "string")
        ws.catalog.define_property("lifetime_value", "number")
        ws.catalog.register_event_type("subscription_renewed", properties={"amount": "number"})
        ws.db.register("_bench_types", _type_ranges())
        args = {"as_of": AS_OF, "profiles": profiles, "events": events}
        with ws.db.transaction():
            for statement in GENERATE:
                names = [k for k in args if f"${k}" in statement]
                ws.db.execute(statement, {k: args[k] for k in names})
        ws.db.allocate_ids("profiles", profiles)
        ws.db.allocate_ids("events", events)
        ws.segments.save("high_value", expression="total amount of purchase in last 90 days > 300")
        ws.db.checkpoint()
    seconds = time.perf_counter() - started
    print(f"generated {profiles:,} profiles, {events:,} events in {seconds:.0f} s")


def _type_ranges() -> pd.DataFrame:
    rows, low = [], 0
    for kind, share, channel in _TYPES:
        rows.append({"type": kind, "channel": channel, "low": low, "high": low + share})
        low += share
    return pd.DataFrame(rows)


# ---- measuring ---------------------------------------------------------------------------------

PANDAS_LOADS = {
    "profiles": "SELECT id, country, plan, lifetime_value, lifecycle, email FROM profiles",
    "events": "SELECT profile_id, type, ts, channel FROM events",
    "purchases": "SELECT profile_id, ts, (properties->>'amount')::DOUBLE AS amount FROM events "
    "WHERE type = 'purchase'",
    "consent": "SELECT id, profile_id, channel, status, changed_at FROM consent_log "
    "WHERE purpose = 'marketing'",
    "labels": "SELECT profile_id FROM labels WHERE label = 'vip'",
    "whatsapp": "SELECT profile_id, created_at FROM identities WHERE type = 'whatsapp'",
}


def load_frames(ws: Workspace) -> Frames:
    """The columns the pandas versions read, in memory (categoricals, as an analyst would);
    the JSON amount is extracted by DuckDB while loading. Not timed."""
    frames = {name: ws.db.df(sql) for name, sql in PANDAS_LOADS.items()}
    for column in ("type", "channel"):
        frames["events"][column] = frames["events"][column].astype("category")
    return frames


def best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of `repeat` runs (wall seconds) and the last result."""
    wall, _, result = best_cpu(run, repeat)
    return wall, result


def best_cpu(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """The fastest of `repeat` runs in wall seconds and in process CPU seconds (all threads;
    steadier than wall time on a busy machine), and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def compile_ms(ws: Workspace, text: str, as_of: dt.datetime, repeat: int = 20) -> float:
    """parse + check + compile, median over `repeat` runs, with the schema read once."""
    schema = ws.segments.schema()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        expr = dsl.parse_segment(text)
        dsl.check_segment(expr, schema, text)
        compile_query(Context(schema, as_of, ws.segments.saved), expr)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def hand_params(sql: str, as_of: dt.datetime) -> dict[str, Any]:
    params: dict[str, Any] = {"as_of": as_of}
    params |= {f"d{n}": _ago(as_of, n) for n in (7, 14, 30, 90)}
    return {k: v for k, v in params.items() if f"${k}" in sql}


def measure(
    ws: Workspace, case: Case, as_of: dt.datetime, frames: Frames | None, repeat: int
) -> dict[str, Any]:
    """One row of the table: Kith end to end and its query alone, the hand-written SQL, pandas."""
    total_s, kith_n = best(lambda: ws.segments.count(case.dsl, as_of=as_of), repeat)
    compiled = ws.segments.compile(case.dsl, as_of=as_of)
    counted = exp.select(exp.Count(this=exp.Star())).from_(compiled.expression.subquery("m"))
    eval_s, eval_cpu, _ = best_cpu(lambda: ws.db.scalar(counted, compiled.params), repeat)
    params = hand_params(case.sql, as_of)
    sql_s, sql_cpu, sql_n = best_cpu(lambda: int(ws.db.scalar(case.sql, params)), repeat)
    row = {
        "segment": case.name,
        "compile_ms": round(compile_ms(ws, case.dsl, as_of), 2),
        "kith_total_s": round(total_s, 3),
        "kith_eval_s": round(eval_s, 3),
        "sql_s": round(sql_s, 3),
        "eval/sql": round(eval_s / sql_s, 2) if sql_s else None,
        "cpu eval/sql": round(eval_cpu / sql_cpu, 2) if sql_cpu else None,
        "count": kith_n,
        "same": kith_n == sql_n,
    }
    if frames is not None:
        pd_s, pd_n = best(lambda: case.pandas(frames, as_of), repeat)
        row |= {"pandas_s": round(pd_s, 3), "eval/pandas": round(eval_s / pd_s, 2)}
        row["same"] = row["same"] and pd_n == kith_n
    return row


def as_of_for(ws: Workspace, path: Path) -> dt.datetime:
    from bench import workspace as shared

    recorded = shared.info(path)
    if recorded is not None:
        return dt.datetime.fromisoformat(recorded["end"])
    return ws.db.scalar("SELECT max(ts) FROM events") or AS_OF


def row_groups(path: Path) -> pd.DataFrame:
    """Per segment, how many of the `events` row groups its hand-written SQL reads (DuckDB's
    EXPLAIN ANALYZE): a figure of the stored layout that machine load does not change. Opens
    the file read-only, so an older file is measured as it is (no migration runs)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        as_of = con.execute("SELECT max(ts) FROM events").fetchall()[0][0] or AS_OF
        total = con.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('events')"
        ).fetchall()[0][0]
        rows = []
        for case in CASES:
            plan = con.execute("EXPLAIN ANALYZE " + case.sql, hand_params(case.sql, as_of))
            text = "\n".join(str(row[1]) for row in plan.fetchall())
            read = [int(m[1]) for m in _SCANNED.finditer(text) if int(m[2]) == total]
            rows.append({"segment": case.name, "events row groups read": f"{sum(read)} / {total}"})
    finally:
        con.close()
    return pd.DataFrame(rows)


_SCANNED = re.compile(r"Row Groups Scanned: (\d+) / (\d+)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.segments", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("bench/data/bench-segments.duckdb"))
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument(
        "--row-groups", action="store_true", help="only the events row groups each segment reads"
    )
    args = parser.parse_args(argv)
    if args.row_groups:
        print(row_groups(args.db).to_string(index=False))
        return 0
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        generate(args.db, args.profiles, args.events)
    with Workspace.open(args.db) as ws:
        as_of = as_of_for(ws, args.db)
        frames = None if args.no_pandas else load_frames(ws)
        rows = [measure(ws, case, as_of, frames, args.repeat) for case in CASES]
        sizes = ws.db.rows("SELECT (SELECT count(*) FROM profiles), (SELECT count(*) FROM events)")
    people, events = sizes[0]
    print(f"{args.db}: {people:,} profiles, {events:,} events, as_of {as_of:%Y-%m-%d %H:%M}")
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
