"""Static SQL for workspace statistics (`kith stats`): row counts and small breakdowns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.db import Database

TOTALS = """
SELECT
    (SELECT count(*) FROM profiles) AS profiles,
    (SELECT count(*) FROM identities) AS identities,
    (SELECT count(*) FROM events) AS events,
    (SELECT count(*) FROM sessions) AS sessions,
    (SELECT count(*) FROM segments) AS segments,
    (SELECT count(*) FROM rules) AS rules,
    (SELECT count(*) FROM goals) AS goals,
    (SELECT count(*) FROM labels) AS labels,
    (SELECT count(*) FROM consent_log) AS consent_changes,
    (SELECT count(*) FROM merges) AS merges,
    (SELECT count(*) FROM event_types WHERE NOT builtin) AS custom_event_types,
    (SELECT count(*) FROM property_schema) AS custom_properties
"""

SPAN = "SELECT min(ts) AS first_event, max(ts) AS last_event FROM events"

BREAKDOWNS = {
    "events_by_type": (
        "SELECT type AS key, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC, key"
    ),
    "events_by_channel": (
        "SELECT coalesce(channel, '(none)') AS key, count(*) AS n FROM events "
        "GROUP BY ALL ORDER BY n DESC, key"
    ),
    "identities_by_type": (
        "SELECT type AS key, count(*) AS n FROM identities GROUP BY ALL ORDER BY n DESC, key"
    ),
    "profiles_by_lifecycle": (
        "SELECT coalesce(lifecycle, '(none)') AS key, count(*) AS n FROM profiles "
        "GROUP BY ALL ORDER BY n DESC, key"
    ),
    "labels_by_name": (
        "SELECT label AS key, count(*) AS n FROM labels GROUP BY ALL ORDER BY n DESC, key"
    ),
    "consent_by_status": (
        "SELECT channel || ':' || status AS key, count(*) AS n FROM consents "
        "GROUP BY ALL ORDER BY key"
    ),
    "segment_sizes": (
        "SELECT s.name AS key, count(m.profile_id) AS n FROM segments s "
        "LEFT JOIN segment_members m ON m.segment_id = s.id GROUP BY ALL ORDER BY key"
    ),
}


def totals(db: Database) -> dict[str, int]:
    return {k: int(v) for k, v in db.dicts(TOTALS)[0].items()}


@dataclass(frozen=True, slots=True)
class EventSpan:
    """The first and last event time (None when no event is stored)."""

    first_event: dt.datetime | None
    last_event: dt.datetime | None


def span(db: Database) -> EventSpan:
    return EventSpan(**db.dicts(SPAN)[0])


def breakdown(db: Database, name: str) -> dict[str, int]:
    """One of BREAKDOWNS as {key: count}, largest first."""
    return {str(k): int(n) for k, n in db.rows(BREAKDOWNS[name])}


HAS_DATA = """
SELECT EXISTS (SELECT 1 FROM profiles) OR EXISTS (SELECT 1 FROM events)
    OR EXISTS (SELECT 1 FROM event_types) OR EXISTS (SELECT 1 FROM property_schema)
"""


def has_data(db: Database) -> bool:
    """Whether any profile, event, custom event type or custom property is stored."""
    return bool(db.scalar(HAS_DATA))
