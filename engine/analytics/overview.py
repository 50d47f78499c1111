"""The Overview screen's aggregates: totals (and the same totals over the window before, for
the change), growth and activity over a window, channels, event types, recent activity,
consent coverage and the biggest segments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.clock import as_of_or_now
from kith_errors import ValidationError
from store import consent as consent_sql
from store import overview as sql
from store.db import Database

MAX_DAYS = 3650


@dataclass(frozen=True)
class Violations:
    """Messages sent to people whose consent on the channel was not granted at the time, over
    the `days` before `as_of` (measured by the server's clock, like the goals' rates)."""

    days: int
    count: int
    as_of: dt.datetime


@dataclass(frozen=True)
class OverviewReport:
    """Everything the Overview screen shows, for the window (start, end]."""

    start: dt.datetime
    end: dt.datetime
    totals: dict[str, int]
    new_by_day: pd.DataFrame  # day, profiles
    active_by_day: pd.DataFrame  # day, profiles, events
    events_by_channel: pd.DataFrame  # channel, events
    events_by_type: pd.DataFrame  # type, events
    recent: pd.DataFrame  # ts, type, channel, profile_id, name, email
    consent: pd.DataFrame  # channel, status, profiles
    top_segments: pd.DataFrame  # id, name, kind, size
    previous: dict[str, int]  # the totals of the window of the same length just before

    @property
    def is_empty(self) -> bool:
        return self.totals.get("profiles", 0) == 0 and self.totals.get("events", 0) == 0

    def change(self, key: str) -> int:
        """How much a total moved since the previous window."""
        return self.totals.get(key, 0) - self.previous.get(key, 0)


class Overview:
    def __init__(self, db: Database) -> None:
        self.db = db

    def report(self, days: int = 30, as_of: dt.datetime | str | None = None) -> OverviewReport:
        """The aggregates for the `days` days up to `as_of` (default now, UTC)."""
        if not 1 <= days <= MAX_DAYS:
            raise ValidationError(f"the window must be 1 to {MAX_DAYS} days, not {days}")
        end = as_of_or_now(as_of)
        start = end - dt.timedelta(days=days)
        db = self.db
        totals = sql.totals(db, start, end)
        return OverviewReport(
            start=start,
            end=end,
            totals=totals,
            new_by_day=sql.new_by_day(db, start, end),
            active_by_day=sql.active_by_day(db, start, end),
            events_by_channel=sql.events_by_channel(db, start, end),
            events_by_type=sql.events_by_type(db, start, end),
            recent=sql.recent_events(db, end),
            consent=sql.consent_coverage(db),
            top_segments=sql.top_segments(db),
            previous=_previous(db, start, end, totals),
        )

    def violations(self, days: int) -> Violations:
        """The consent violations of the `days` window as last measured (measured now, and
        kept, when they never were)."""
        found = sql.measured_violations(self.db, days)
        if found is None:
            return self._measure_violations(days, as_of_or_now(None))
        return Violations(days, *found)

    def measure_violations(self, windows: Sequence[int], *, as_of: Any = None) -> None:
        """Count and keep the consent violations of each window (days) ending at `as_of`."""
        moment = as_of_or_now(as_of)
        for days in windows:
            self._measure_violations(days, moment)

    def _measure_violations(self, days: int, as_of: dt.datetime) -> Violations:
        start = as_of - dt.timedelta(days=days)
        count = len(consent_sql.violations(self.db, start, as_of, "marketing"))
        sql.put_violations(self.db, days, count, as_of)
        return Violations(days, count, as_of)


def _previous(
    db: Database, start: dt.datetime, end: dt.datetime, totals: dict[str, int]
) -> dict[str, int]:
    """The totals of the window just before (start - length, start]. Profiles are counted as
    they stood at its end: everyone but those first seen in this window."""
    previous = sql.totals(db, start - (end - start), start)
    return previous | {"profiles": totals["profiles"] - totals["new_profiles"]}
