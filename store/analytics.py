"""Goals and the shared lookups analytics needs: the static SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from store.db import Database


@dataclass(frozen=True, slots=True)
class GoalRow:
    """A stored goal: its source text (the language's `goal ...`) and its target rate."""

    id: int
    name: str
    source: str
    created_at: dt.datetime
    target_rate: float | None


@dataclass(frozen=True, slots=True)
class NewGoal:
    id: int
    name: str
    source: str
    created_at: dt.datetime


def profile_columns(db: Database) -> dict[str, str]:
    """Column name -> SQL type of the profiles table (registered properties are columns)."""
    rows = db.rows(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = 'profiles' AND schema_name = current_schema()"
    )
    return {str(name): str(kind) for name, kind in rows}


def insert_goal(db: Database, row: NewGoal) -> None:
    db.execute(
        "INSERT INTO goals (id, name, source, created_at) "
        "VALUES ($id, $name, $source, $created_at)",
        asdict(row),
    )


def get_goal(db: Database, name: str) -> GoalRow | None:
    found = db.dicts(
        "SELECT id, name, source, created_at, target_rate FROM goals WHERE name = $name",
        {"name": name},
    )
    return GoalRow(**found[0]) if found else None


def all_goals(db: Database) -> pd.DataFrame:
    return db.df("SELECT id, name, source, created_at, target_rate FROM goals ORDER BY name")


def set_goal_target(db: Database, name: str, target: float | None) -> None:
    db.execute(
        "UPDATE goals SET target_rate = $target WHERE name = $name",
        {"target": target, "name": name},
    )


def replace_goal(db: Database, name: str, source: str) -> None:
    db.execute(
        "UPDATE goals SET source = $source WHERE name = $name", {"source": source, "name": name}
    )


def delete_goal(db: Database, name: str) -> None:
    db.execute("DELETE FROM goals WHERE name = $name", {"name": name})


def profile_count(db: Database, before: dt.datetime) -> int:
    return int(db.scalar("SELECT count(*) FROM profiles WHERE created_at <= $t", {"t": before}))


def profile_ids(db: Database, before: dt.datetime) -> list[int]:
    rows = db.rows("SELECT id FROM profiles WHERE created_at <= $t", {"t": before})
    return [int(r[0]) for r in rows]


def events_of_types(db: Database, types: list[str], as_of: dt.datetime) -> pd.DataFrame:
    """profile_id, type, ts of the given event types up to `as_of` (benchmarks' pandas side)."""
    return db.df(
        "SELECT profile_id, type, ts FROM events WHERE list_contains($types, type) "
        "AND ts <= $as_of",
        {"types": types, "as_of": as_of},
    )


def latest_event_time(db: Database) -> dt.datetime | None:
    return db.scalar("SELECT max(ts) FROM events")
