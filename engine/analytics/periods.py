"""Calendar periods for time series (trends, retention, funnels over time): UTC, weeks start on
Monday, months on the 1st. A period that the range covers only in part is marked partial."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from engine.clock import to_utc
from kith_errors import ValidationError

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")
_TICK = dt.timedelta(microseconds=1)  # timestamps' resolution: `< as_of + tick` is `<= as_of`
MAX_PERIODS = 5000  # a series longer than this is a mistake in the range, not a chart


def _day_text(value: Any) -> Any:
    """`2026-03-01` is a day (a whole day, as an end), not the moment it begins."""
    if isinstance(value, str) and len(value.strip()) == len("2026-03-01"):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


# A range bound in a request: a day, or a moment
Bound = Annotated[dt.datetime | dt.date, BeforeValidator(_day_text)]


def checked_interval(value: str) -> Interval:
    for interval in INTERVALS:
        if value == interval:
            return interval
    raise ValidationError(f"interval must be one of {', '.join(INTERVALS)}, not {value!r}")


def floor(moment: dt.datetime, interval: Interval) -> dt.datetime:
    """The start of the period holding `moment`."""
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def shift(start: dt.datetime, interval: Interval, count: int = 1) -> dt.datetime:
    """The start of the period `count` periods after the one beginning at `start`."""
    if interval == "hour":
        return start + dt.timedelta(hours=count)
    if interval == "day":
        return start + dt.timedelta(days=count)
    if interval == "week":
        return start + dt.timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return start.replace(year=months // 12, month=months % 12 + 1)


@dataclass(frozen=True)
class Range:
    """[start, end): a half-open range of UTC moments."""

    start: dt.datetime
    end: dt.datetime

    def periods(self, interval: Interval) -> list[dt.datetime]:
        """The starts of every period that overlaps the range, in order."""
        found, current = [], floor(self.start, interval)
        while current < self.end:
            found.append(current)
            if len(found) > MAX_PERIODS:
                raise ValidationError(
                    f"the range holds more than {MAX_PERIODS} {interval}s: "
                    "choose a longer interval or a shorter range"
                )
            current = shift(current, interval)
        return found

    def partial(self, period: dt.datetime, interval: Interval) -> bool:
        """Whether the range covers only part of the period beginning at `period`."""
        return period < self.start or shift(period, interval) > self.end

    def previous(self) -> Range:
        """The range of the same length just before this one."""
        return Range(self.start - (self.end - self.start), self.start)


def range_of(
    start: dt.datetime | dt.date, end: dt.datetime | dt.date | None, as_of: dt.datetime
) -> Range:
    """A range from loose bounds: a date covers the whole day (an end date includes its day);
    nothing is counted after `as_of`, so the range ends there at the latest (and, without an
    end, there: `as_of` itself included)."""
    low, high = bound(start, end=False), end_of(end, as_of)
    if high <= low:
        raise ValidationError(f"the range {low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M} is empty")
    return Range(low, high)


def end_of(end: dt.datetime | dt.date | None, as_of: dt.datetime) -> dt.datetime:
    """The exclusive end of a range that stops at `end`, or includes `as_of`."""
    visible = as_of + _TICK
    return visible if end is None else min(bound(end, end=True), visible)


def bound(value: dt.datetime | dt.date, *, end: bool) -> dt.datetime:
    """A moment from a loose bound: a date is the start of its day, or as an end, of the next."""
    if isinstance(value, dt.datetime):
        return to_utc(value)
    return to_utc(value) + (dt.timedelta(days=1) if end else dt.timedelta(0))
