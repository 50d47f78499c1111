"""Event queries: the static SQL over `events`. Optional filters are bound parameters that
are NULL when not given, so one statement serves every combination."""

from __future__ import annotations

from typing import Any

import pandas as pd

from store.db import Database

_FILTER = (
    "($types IS NULL OR list_contains($types, type)) "
    "AND ($start IS NULL OR ts >= $start) AND ($end IS NULL OR ts < $end) "
    "AND ($profile_id IS NULL OR profile_id = $profile_id) "
    "AND ($channel IS NULL OR channel = $channel)"
)
_LIST_COLUMNS = (
    "id, ts, type, profile_id, channel, source, session_id, message_id, received_at, "
    "registered, orphaned, properties"
)


def page(db: Database, filters: dict[str, Any], limit: int, offset: int) -> pd.DataFrame:
    """Newest first."""
    return db.df(
        "SELECT " + _LIST_COLUMNS + " FROM events WHERE " + _FILTER + " "
        "ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset",
        {**filters, "limit": limit, "offset": offset},
    )


def total(db: Database, filters: dict[str, Any]) -> int:
    return int(db.scalar("SELECT count(*) FROM events WHERE " + _FILTER, filters))


def by_id(db: Database, event_id: int) -> dict[str, Any] | None:
    rows = db.dicts("SELECT * FROM events WHERE id = $id", {"id": event_id})
    return rows[0] if rows else None


def type_counts(db: Database, filters: dict[str, Any]) -> pd.DataFrame:
    return db.df(
        "SELECT type, count(*) AS count FROM events WHERE " + _FILTER + " "
        "GROUP BY type ORDER BY count DESC, type",
        filters,
    )


def types_seen(db: Database, standard: list[str]) -> pd.DataFrame:
    """Every type stored, with its count and whether it is standard or registered."""
    return db.df(
        "SELECT e.type, count(*) AS count, "
        "(list_contains($standard, e.type) OR any_value(t.name) IS NOT NULL) AS registered "
        "FROM events e LEFT JOIN event_types t ON t.name = e.type "
        "GROUP BY e.type ORDER BY count DESC, e.type",
        {"standard": standard},
    )
