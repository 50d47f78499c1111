"""Static SQL for the dashboard's Overview: totals and small aggregates over a time window.

Every query takes `start` and `end` (naive UTC) as bound parameters: start < ts <= end.
A profile is active in the window when it has an event there. `last_seen` is the time of a
profile's latest event, so those last seen inside the window are active without looking at
events; only profiles last seen after the window's end (an `as_of` in the past) need the events
scan. On 20M events that turns a one-second count(DISTINCT) into a few milliseconds.
A profile is "new" when it was first seen in the window (imports create profiles long after
people first showed up, so `created_at` alone would put them all on the import day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from store.db import Database

TOTALS = """
SELECT
    (SELECT count(*) FROM profiles) AS profiles,
    (SELECT count(*) FROM profiles
     WHERE coalesce(first_seen, created_at) > $start AND coalesce(first_seen, created_at) <= $end)
        AS new_profiles,
    (SELECT count(*) FROM profiles WHERE last_seen > $start AND last_seen <= $end)
    + (SELECT count(DISTINCT profile_id) FROM events
       WHERE ts > $start AND ts <= $end
         AND profile_id IN (SELECT id FROM profiles WHERE last_seen > $end))
        AS active_profiles,
    (SELECT count(*) FROM events WHERE ts > $start AND ts <= $end) AS events,
    (SELECT count(*) FROM sessions WHERE started_at > $start AND started_at <= $end) AS sessions,
    (SELECT count(*) FROM identities) AS identities,
    (SELECT count(*) FROM segments) AS segments
"""

NEW_BY_DAY = """
SELECT date_trunc('day', coalesce(first_seen, created_at)) AS day, count(*) AS profiles
FROM profiles
WHERE coalesce(first_seen, created_at) > $start AND coalesce(first_seen, created_at) <= $end
GROUP BY ALL ORDER BY day
"""

# Per-day distinct counts use HyperLogLog: a trend line does not need the last profile, and on
# 20M events it is ten times faster than an exact count(DISTINCT) per day.
ACTIVE_BY_DAY = """
SELECT date_trunc('day', ts) AS day, approx_count_distinct(profile_id) AS profiles,
       count(*) AS events
FROM events WHERE ts > $start AND ts <= $end
GROUP BY ALL ORDER BY day
"""

EVENTS_BY_CHANNEL = """
SELECT coalesce(channel, '(none)') AS channel, count(*) AS events
FROM events WHERE ts > $start AND ts <= $end
GROUP BY ALL ORDER BY events DESC, channel
"""

EVENTS_BY_TYPE = """
SELECT type, count(*) AS events
FROM events WHERE ts > $start AND ts <= $end
GROUP BY ALL ORDER BY events DESC, type LIMIT $limit
"""

RECENT = """
SELECT e.ts, e.type, e.channel, e.profile_id, p.name, p.email
FROM (SELECT id, ts, type, channel, profile_id FROM events WHERE ts <= $end
      ORDER BY ts DESC, id DESC LIMIT $limit) AS e
LEFT JOIN profiles AS p ON p.id = e.profile_id
ORDER BY e.ts DESC, e.id DESC
"""

CONSENT_COVERAGE = """
SELECT channel, status, count(*) AS profiles
FROM consents GROUP BY ALL ORDER BY channel, status
"""

TOP_SEGMENTS = """
SELECT s.id, s.name, s.kind, count(m.profile_id) AS size
FROM segments AS s LEFT JOIN segment_members AS m ON m.segment_id = s.id
GROUP BY ALL ORDER BY size DESC, s.name LIMIT $limit
"""


def _window(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {"start": start, "end": end}


def totals(db: Database, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    return {k: int(v or 0) for k, v in db.dicts(TOTALS, _window(start, end))[0].items()}


def new_by_day(db: Database, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    return db.df(NEW_BY_DAY, _window(start, end))


def active_by_day(db: Database, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    return db.df(ACTIVE_BY_DAY, _window(start, end))


def events_by_channel(db: Database, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    return db.df(EVENTS_BY_CHANNEL, _window(start, end))


def events_by_type(
    db: Database, start: dt.datetime, end: dt.datetime, limit: int = 12
) -> pd.DataFrame:
    return db.df(EVENTS_BY_TYPE, {**_window(start, end), "limit": limit})


def recent_events(db: Database, end: dt.datetime, limit: int = 15) -> pd.DataFrame:
    return db.df(RECENT, {"end": end, "limit": limit})


def consent_coverage(db: Database) -> pd.DataFrame:
    return db.df(CONSENT_COVERAGE)


def top_segments(db: Database, limit: int = 8) -> pd.DataFrame:
    return db.df(TOP_SEGMENTS, {"limit": limit})


def measured_violations(db: Database, days: int) -> tuple[int, dt.datetime] | None:
    """The violation count last measured over `days`, and when (None: never)."""
    rows = db.rows(
        "SELECT violations, as_of FROM overview_violations WHERE days = $days", {"days": days}
    )
    return (int(rows[0][0]), rows[0][1]) if rows else None


def put_violations(db: Database, days: int, violations: int, as_of: dt.datetime) -> None:
    db.execute(
        "INSERT OR REPLACE INTO overview_violations (days, violations, as_of) "
        "VALUES ($days, $violations, $as_of)",
        {"days": days, "violations": violations, "as_of": as_of},
    )
