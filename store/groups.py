"""Groups (static lists seen from the People screen): the static SQL the segments repository
does not already have: the list of groups with their sizes, renaming, describing, and which
rules name a segment."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from store.db import Database


def overview(db: Database) -> pd.DataFrame:
    """name, description, size, created_at, updated_at of every static list, by name."""
    return db.df(
        "SELECT s.name, s.description, count(l.profile_id) AS size, s.created_at, s.updated_at "
        "FROM segments s LEFT JOIN list_members l ON l.segment_id = s.id "
        "WHERE s.kind = 'static' GROUP BY ALL ORDER BY s.name"
    )


def rename(db: Database, segment_id: int, name: str, at: dt.datetime) -> None:
    db.execute(
        "UPDATE segments SET name = $name, updated_at = $at WHERE id = $id",
        {"id": segment_id, "name": name, "at": at},
    )


def describe(db: Database, segment_id: int, description: str | None, at: dt.datetime) -> None:
    db.execute(
        "UPDATE segments SET description = $d, updated_at = $at WHERE id = $id",
        {"id": segment_id, "d": description, "at": at},
    )


def rules_naming(db: Database, name: str) -> list[str]:
    """Rules whose source mentions `name` (they may refer to the segment by it)."""
    rows = db.rows(
        "SELECT name FROM rules WHERE contains(source, $name) ORDER BY name", {"name": name}
    )
    return [str(r[0]) for r in rows]
