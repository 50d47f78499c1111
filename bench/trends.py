"""Trends and retention benchmark on the benchmark workspace (1M profiles by default).

Run: .venv/bin/python -m bench.trends [--db PATH] [--repeat N]

Read-only. Targets (issue 18): a 90-day daily trend with a breakdown under 1 s; a 12-week
retention table under 2 s. The range ends where the data ends (the build record), so the
90 days cover every event of a workspace built with fewer days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from bench import workspace as bench_workspace
from bench.analytics import data_end, timed
from engine import Workspace
from engine.analytics.retention import RetentionSpec
from engine.analytics.retention import spec_from as retention_spec
from engine.analytics.trends import TrendSpec, spec_from

DAYS_90 = dt.timedelta(days=90)


def trend_cases(as_of: dt.datetime) -> dict[str, TrendSpec]:
    common = {"interval": "day", "start": as_of - DAYS_90, "as_of": as_of}
    return {
        "trend 90 days daily, page_view by country (top 5)": spec_from(
            series=["page_view"], breakdown="country", **common
        ),
        "trend 90 days daily, 3 purchase series by event.channel": spec_from(
            series=["purchase", "people of purchase", "sum amount of purchase"],
            breakdown="event.channel",
            **common,
        ),
        "trend 90 days daily, median amount per person, compared": spec_from(
            series=["median amount of purchase"], compare=True, **common
        ),
    }


def retention_cases(as_of: dt.datetime) -> dict[str, RetentionSpec]:
    common = {"interval": "week", "periods": 12, "as_of": as_of}
    return {
        "retention 12 weeks, page_view → page_view": retention_spec(
            start_event="page_view", **common
        ),
        "retention 12 weeks, signup → purchase, recurring": retention_spec(
            start_event="signup", return_event="purchase", cohort="recurring", **common
        ),
        "retention 12 weeks, page_view by country": retention_spec(
            start_event="page_view", breakdown="country", **common
        ),
    }


def rows(db: Path, repeat: int) -> list[dict[str, Any]]:
    found = []
    with Workspace.open(db, read_only=True) as ws:
        as_of = data_end(ws, db)
        for case, spec in trend_cases(as_of).items():
            seconds, cpu, trend = timed(partial(ws.trends.run, spec), repeat)
            found.append(_row(case, seconds, cpu, f"{len(trend.points):,} points"))
        for case, rspec in retention_cases(as_of).items():
            seconds, cpu, kept = timed(partial(ws.retention.run, rspec), repeat)
            cohorts = kept.triangle()["size"].sum()
            found.append(_row(case, seconds, cpu, f"{int(cohorts):,} people in cohorts"))
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    found.append({"case": "load average (1/5/15 min) after the run", "result": load})
    return found


def _row(case: str, seconds: float, cpu: float, result: str) -> dict[str, Any]:
    return {"case": case, "seconds": round(seconds, 3), "cpu s": round(cpu, 3), "result": result}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.trends", description=__doc__)
    parser.add_argument("--db", type=Path, default=bench_workspace.DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(pd.DataFrame(rows(args.db, args.repeat)).astype(object).fillna("").to_string(index=False))


if __name__ == "__main__":
    main()
