"""Analytics benchmark: funnels and a goal report on the 1M-profile workspace, the same funnel in
pandas, and the cost of rules during ingestion.

Run: .venv/bin/python -m bench.analytics [--db PATH] [--repeat N] [--events N] [--batches N]
     [--skip-rules | --only-rules]

The funnel and goal run read-only against the benchmark workspace (bench/workspace.py builds
it); the rule overhead ingests the same generated events into two fresh temporary workspaces,
one without rules and one with 20 enabled event rules, and compares throughput.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import ingest as ingest_bench
from bench import workspace as bench_workspace
from engine import Workspace
from engine.analytics.funnel_spec import FunnelSpec, FunnelStep
from engine.models import PropertyType
from store import analytics as analytics_repo

CAMPAIGN = ("message_sent", "message_delivered", "message_read", "link_clicked")
WEEK = dt.timedelta(days=7)
GOAL = (
    'goal "Pricing to signup": start page_view where url contains "/pricing" '
    "target signup within 7 days"
)
RULES = [
    *(f'when purchase where amount > {k} then add label "spent-{k}"' for k in (100, 200, 300)),
    'when purchase if country = "US" then notify "US purchase"',
    "when purchase then increment purchases",
    "when purchase then set last_amount = event.amount",
    "when page_view then increment page_views",
    'when page_view where channel = "instagram" then add label "social"',
    "when screen then increment screens",
    "when message_read then set last_channel = event.channel",
    'when message_read where channel = "whatsapp" then add label "reader"',
    "when link_clicked then increment clicks",
    'when link_clicked where channel = "email" then notify "hot lead"',
    'when form_submitted then set lifecycle = "lead"',
    'when form_submitted if lifecycle = "lead" then increment forms',
    'when signup then add label "signed-up"',
    'when signup then notify "new signup"',
    'when order_completed then add label "customer"',
    'when order_completed where amount > 250 then set tier = "gold"',
    "when session_started then increment visits",
]
PROPERTIES: dict[str, PropertyType] = {
    "purchases": "number",
    "last_amount": "number",
    "page_views": "number",
    "screens": "number",
    "last_channel": "string",
    "clicks": "number",
    "forms": "number",
    "tier": "string",
    "visits": "number",
}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall seconds and median process CPU seconds (DuckDB's threads included) over
    `repeat` runs, and the last result. CPU time tells a loaded machine from a slow query."""
    seconds, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(seconds), statistics.median(cpu), result


def campaign_spec(as_of: dt.datetime, **extra: Any) -> FunnelSpec:
    steps = [FunnelStep(event=e) for e in CAMPAIGN]
    return FunnelSpec(steps=steps, within=WEEK, as_of=as_of, **extra)


# ---- the same ordered funnel in pandas ---------------------------------------------------------


def pandas_events(ws: Workspace, as_of: dt.datetime) -> pd.DataFrame:
    """The four campaign event types as a DataFrame (what a pandas user would start from)."""
    return analytics_repo.events_of_types(ws.db, list(CAMPAIGN), as_of)


def pandas_funnel(events: pd.DataFrame, within: dt.timedelta) -> list[int]:
    """Ordered funnel: each step-1 event begins an attempt; each later step is the earliest
    event at or after the previous step (merge_asof), within the window of step 1."""
    frames = {t: f.sort_values("ts") for t, f in events.groupby("type")}
    attempts = frames[CAMPAIGN[0]][["profile_id", "ts"]].rename(columns={"ts": "t1"})
    attempts["prev"], attempts["n"] = attempts["t1"], 1
    for k, step in enumerate(CAMPAIGN[1:], start=2):
        live = attempts[attempts["n"] == k - 1].sort_values("prev")
        nxt = frames[step][["profile_id", "ts"]].rename(columns={"ts": f"t{k}"})
        joined = pd.merge_asof(
            live, nxt, left_on="prev", right_on=f"t{k}", by="profile_id", direction="forward"
        )
        ok = joined[f"t{k}"].notna() & (joined[f"t{k}"] <= joined["t1"] + within)
        joined.loc[ok, "n"] = k
        joined.loc[ok, "prev"] = joined.loc[ok, f"t{k}"]
        attempts = pd.concat([attempts[attempts["n"] != k - 1], joined[attempts.columns]])
    best = attempts.groupby("profile_id")["n"].max()
    return [int((best >= k).sum()) for k in range(1, len(CAMPAIGN) + 1)]


# ---- rule overhead -----------------------------------------------------------------------------


def ingest_seconds(frame: pd.DataFrame, batches: int, rules: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, Workspace.open(Path(tmp) / "bench.duckdb") as ws:
        if rules:
            ws.catalog.register_event_type("order_completed", properties={"amount": "number"})
            for name, kind in PROPERTIES.items():
                ws.catalog.define_property(name, kind)
            for i, source in enumerate(RULES):
                ws.rules.add(f"rule-{i:02d}", source)
        start, cpu = time.perf_counter(), time.process_time()
        for part in np.array_split(np.arange(len(frame)), batches):
            ws.ingest.table(frame.iloc[part], source="import")
        return time.perf_counter() - start, time.process_time() - cpu


def rule_overhead(events: int, batches: int, repeat: int = 1) -> list[dict[str, Any]]:
    """Median wall and CPU seconds over `repeat` fresh workspaces per case (with and without
    rules, alternating so that a change of machine load hits both alike)."""
    frame = ingest_bench.events(events, max(events // 10, 1))
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(max(repeat, 1)):
        for rules in (False, True):
            runs[rules].append(ingest_seconds(frame, batches, rules))
    rows = []
    for rules in (False, True):
        seconds = statistics.median(s for s, _ in runs[rules])
        cpu = statistics.median(c for _, c in runs[rules])
        case = f"ingest {events:,} events in {batches} batches, {len(RULES) if rules else 0} rules"
        rows.append(_row(case, seconds, cpu, f"{int(events / seconds):,} events/s"))
    wall = rows[0]["seconds"] / rows[1]["seconds"]
    cpu = rows[0]["cpu s"] / rows[1]["cpu s"]
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    ratio = f"{wall:.0%} (by CPU: {cpu:.0%}); load average {load}"
    rows.append({"case": "throughput with rules / without", "result": ratio})
    return rows


# ---- main --------------------------------------------------------------------------------------


def data_end(ws: Workspace, db: Path) -> dt.datetime:
    """Where the benchmark data ends: the build record, else the latest event."""
    recorded = bench_workspace.info(db)
    if recorded is not None:
        return dt.datetime.fromisoformat(recorded["end"])
    latest = analytics_repo.latest_event_time(ws.db)
    if latest is None:
        raise SystemExit(f"{db} has no events: build it with python -m bench.workspace")
    return latest


def analytics_rows(db: Path, repeat: int, goal_source: str = GOAL) -> list[dict[str, Any]]:
    rows = []
    with Workspace.open(db, read_only=True) as ws:
        as_of = data_end(ws, db)
        cases = {
            "funnel 4 steps, 7d (ordered)": campaign_spec(as_of),
            "funnel 4 steps, 7d, by event.campaign": campaign_spec(
                as_of, breakdown="event.campaign"
            ),
            "funnel 4 steps, 7d, strict": campaign_spec(as_of, order="strict"),
            "funnel 4 steps, 7d, unordered": campaign_spec(as_of, order="unordered"),
        }
        for case, spec in cases.items():
            seconds, cpu, result = timed(partial(ws.funnels.run, spec), repeat)
            first = result.steps[result.steps["step"] == 1]["profiles"].sum()
            rows.append(_row(case, seconds, cpu, f"{first:,} in"))
        sql_counts = ws.funnels.run(cases["funnel 4 steps, 7d (ordered)"]).steps["profiles"]
        load, load_cpu, events = timed(lambda: pandas_events(ws, as_of), 1)
        seconds, cpu, counts = timed(lambda: pandas_funnel(events, WEEK), repeat)
        same = "same counts" if counts == sql_counts.tolist() else f"DIFFERENT {counts}"
        rows.append(_row("pandas: load the 4 event types", load, load_cpu, f"{len(events):,}"))
        rows.append(_row("pandas: the ordered funnel", seconds, cpu, same))
        goal = ws.goals.parse(goal_source)
        seconds, cpu, report = timed(lambda: ws.goals.evaluate(goal, as_of=as_of), repeat)
        done = f"{report.completions:,}/{report.starts:,}"
        rows.append(_row("goal report (day buckets)", seconds, cpu, done))
    return rows


def _row(case: str, seconds: float, cpu: float, result: str) -> dict[str, Any]:
    return {"case": case, "seconds": round(seconds, 3), "cpu s": round(cpu, 3), "result": result}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.analytics", description=__doc__)
    parser.add_argument("--db", type=Path, default=bench_workspace.DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=10)
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--skip-rules", action="store_true", help="only funnels and goals")
    parts.add_argument("--only-rules", action="store_true", help="only the rule overhead")
    parser.add_argument(
        "--goal",
        default=GOAL,
        help="the goal to report on (the synthetic workspace of "
        "bench/segments.py has page_view `path`, not `url`)",
    )
    args = parser.parse_args(argv)
    rows = [] if args.only_rules else analytics_rows(args.db, args.repeat, args.goal)
    if not args.skip_rules:
        rows += rule_overhead(args.events, args.batches, args.repeat)
    print(pd.DataFrame(rows).astype(object).fillna("").to_string(index=False))


if __name__ == "__main__":
    main()
