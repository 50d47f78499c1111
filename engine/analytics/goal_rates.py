"""The goals at a glance: every goal's completion rate over each of the Overview's windows,
measured once after the data changes (the server's clock, job `at_a_glance`) and stored, so the
Overview reads the goals panel instead of running one funnel per goal whenever it is first
drawn. A goal defined or replaced since is measured when first read, over the same window as
the others; each rate is the goal report's for the window ending at its `as_of`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from engine.clock import as_of_or_now
from store import analytics as goals_repo
from store import goal_rates as repo
from store.goal_rates import GoalRate

if TYPE_CHECKING:
    from store.db import Database

WINDOWS = (7, 30, 90, 365)  # days: the Overview's windows


class Measured(Protocol):
    """What a goal report gives a rate: `Goals.report`'s answer."""

    @property
    def name(self) -> str: ...
    @property
    def starts(self) -> int: ...
    @property
    def completions(self) -> int: ...
    @property
    def rate(self) -> float: ...


# `Goals.report(name, start=..., end=..., as_of=...)`
Report = Callable[..., Measured]


@dataclass(frozen=True)
class GoalRates:
    """The goals' rates over the `days` before `as_of` (None: no goal yet)."""

    days: int
    as_of: dt.datetime | None
    table: pd.DataFrame  # name, starts, completions, rate, target, progress


def measure(report: Report, db: Database, windows: Sequence[int], as_of: Any) -> None:
    """Measure every goal over each window ending at `as_of` and store the rates."""
    moment = as_of_or_now(as_of)
    defined = goals_repo.all_goals(db)
    for days in windows:
        rows = [_measured(report, row, days, moment) for row in defined.to_dict("records")]
        repo.put(db, days, rows)
    repo.keep_only(db, defined["name"].tolist())


def read(report: Report, db: Database, days: int) -> GoalRates:
    """The stored rates over `days`; a goal not measured in its current form is measured now,
    over the window the others were measured over."""
    defined = goals_repo.all_goals(db)
    stored = repo.for_window(db, days).rename(columns={"goal": "name"})
    current = defined.merge(stored, on=["name", "source"], how="left")
    as_of = _oldest(current["as_of"])
    missing = current[current["rate"].isna()]
    if not missing.empty:
        rows = [_measured(report, row, days, as_of) for row in missing.to_dict("records")]
        repo.put(db, days, rows)
        stored = repo.for_window(db, days).rename(columns={"goal": "name"})
        current = defined.merge(stored, on=["name", "source"], how="left")
    return GoalRates(days, as_of if len(defined) else None, _table(current))


def _measured(report: Report, row: dict[str, Any], days: int, as_of: dt.datetime) -> GoalRate:
    """`row`: the goal's row of `all_goals` (a DataFrame's record)."""
    start = as_of - dt.timedelta(days=days)
    measured = report(str(row["name"]), start=start, end=as_of, as_of=as_of)
    return GoalRate(
        goal=measured.name,
        source=str(row["source"]),
        starts=measured.starts,
        completions=measured.completions,
        rate=measured.rate,
        as_of=as_of,
    )


def _oldest(moments: pd.Series) -> dt.datetime:
    """When the oldest stored rate was measured (now when none is)."""
    known = moments.dropna()
    return as_of_or_now(None) if known.empty else pd.Timestamp(known.min()).to_pydatetime()


def _table(current: pd.DataFrame) -> pd.DataFrame:
    target = pd.to_numeric(current["target_rate"], errors="coerce")
    return pd.DataFrame(
        {
            "name": current["name"],
            "starts": current["starts"].astype("Int64"),
            "completions": current["completions"].astype("Int64"),
            "rate": current["rate"],
            "target": target,
            "progress": current["rate"] / target,
        }
    ).reset_index(drop=True)
