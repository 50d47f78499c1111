"""The goals' measured completion rates per Overview window (migration 160): the static SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from store.db import Database


@dataclass(frozen=True, slots=True)
class GoalRate:
    """One goal's rate as measured at `as_of` (over a window the caller names), with the
    source it was measured in."""

    goal: str
    source: str
    starts: int
    completions: int
    rate: float
    as_of: dt.datetime


def for_window(db: Database, days: int) -> pd.DataFrame:
    """goal, source, starts, completions, rate, as_of of every goal measured over `days`."""
    return db.df(
        "SELECT goal, source, starts, completions, rate, as_of FROM goal_rates "
        "WHERE days = $days ORDER BY goal",
        {"days": days},
    )


def put(db: Database, days: int, rows: list[GoalRate]) -> None:
    """Store these goals' rates over `days`, replacing what was measured for them before."""
    with db.transaction():
        for row in rows:
            db.execute(
                "INSERT OR REPLACE INTO goal_rates "
                "(goal, days, source, starts, completions, rate, as_of) "
                "VALUES ($goal, $days, $source, $starts, $completions, $rate, $as_of)",
                {**asdict(row), "days": days},
            )


def keep_only(db: Database, goals: list[str]) -> None:
    """Forget the rates of goals that no longer exist."""
    if not goals:
        db.execute("DELETE FROM goal_rates")
        return
    db.execute(
        "DELETE FROM goal_rates WHERE NOT list_contains($goals::VARCHAR[], goal)",
        {"goals": goals},
    )
