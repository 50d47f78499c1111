"""The goals' measured completion rates per Overview window (migration 160): the static SQL."""

from __future__ import annotations

from typing import Any

import pandas as pd

from store.db import Database


def for_window(db: Database, days: int) -> pd.DataFrame:
    """goal, source, starts, completions, rate, as_of of every goal measured over `days`."""
    return db.df(
        "SELECT goal, source, starts, completions, rate, as_of FROM goal_rates "
        "WHERE days = $days ORDER BY goal",
        {"days": days},
    )


def put(db: Database, days: int, rows: list[dict[str, Any]]) -> None:
    """Store these goals' rates over `days`, replacing what was measured for them before."""
    with db.transaction():
        for row in rows:
            db.execute(
                "INSERT OR REPLACE INTO goal_rates "
                "(goal, days, source, starts, completions, rate, as_of) "
                "VALUES ($goal, $days, $source, $starts, $completions, $rate, $as_of)",
                {**row, "days": days},
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
