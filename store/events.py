"""Event queries: the static SQL over `events`. Optional filters are bound parameters that
are NULL when not given, so one statement serves every combination."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from store.db import Database


@dataclass(frozen=True, slots=True)
class EventFilters:
    """Which events: of these types, in [start, end), of one profile, on one channel; None
    leaves a filter out."""

    types: list[str] | None
    start: dt.datetime | None
    end: dt.datetime | None
    profile_id: int | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """One stored event; `properties` and `context` are its JSON text (None when absent)."""

    id: int
    message_id: str
    profile_id: int
    session_id: str | None
    type: str
    ts: dt.datetime
    received_at: dt.datetime
    channel: str | None
    source: str | None
    properties: str | None
    context: str | None
    registered: bool
    orphaned: bool
    batch_id: int | None


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


_EVENT = (
    "SELECT id, message_id, profile_id, session_id, type, ts, received_at, channel, source, "
    "properties, context, registered, orphaned, batch_id FROM events "
)


def page(db: Database, filters: EventFilters, limit: int, offset: int) -> pd.DataFrame:
    """Newest first."""
    return db.df(
        "SELECT " + _LIST_COLUMNS + " FROM events WHERE " + _FILTER + " "
        "ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset",
        {**asdict(filters), "limit": limit, "offset": offset},
    )


def total(db: Database, filters: EventFilters) -> int:
    return int(db.scalar("SELECT count(*) FROM events WHERE " + _FILTER, asdict(filters)))


def by_id(db: Database, event_id: int) -> EventRow | None:
    rows = db.dicts(_EVENT + "WHERE id = $id", {"id": event_id})
    return EventRow(**rows[0]) if rows else None


def type_counts(db: Database, filters: EventFilters) -> pd.DataFrame:
    return db.df(
        "SELECT type, count(*) AS count FROM events WHERE " + _FILTER + " "
        "GROUP BY type ORDER BY count DESC, type",
        asdict(filters),
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
