"""Time in Kith: naive datetimes that hold UTC. "Now" is always a parameter (`as_of`)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def to_utc(value: dt.datetime | dt.date | str) -> dt.datetime:
    """A naive UTC datetime from an aware/naive datetime, a date or an ISO 8601 string."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def as_of_or_now(as_of: dt.datetime | dt.date | str | None) -> dt.datetime:
    return utcnow() if as_of is None else to_utc(as_of)
