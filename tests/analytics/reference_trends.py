"""Pure-Python trends and retention, written straight from the module docstrings of
engine/analytics/trends.py and retention.py, to check the SQL against.

Slow and obvious on purpose: every event is looked at for every period."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.analytics.reference_funnel import Ev, Step

OTHER = "(other)"


def floor(ts: dt.datetime, interval: str) -> dt.datetime:
    """UTC calendar periods; weeks start on Monday."""
    day = dt.datetime(ts.year, ts.month, ts.day)
    if interval == "hour":
        return day + dt.timedelta(hours=ts.hour)
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=ts.isoweekday() - 1)
    return dt.datetime(ts.year, ts.month, 1)


def later(period: dt.datetime, interval: str, k: int) -> dt.datetime:
    if interval == "month":
        month = period.month - 1 + k
        return dt.datetime(period.year + month // 12, month % 12 + 1, 1)
    hours = {"hour": 1, "day": 24, "week": 24 * 7}[interval]
    return period + dt.timedelta(hours=hours * k)


def top_groups(values: list[Any], top: int) -> dict[Any, Any]:
    """value -> its group: the `top` most frequent (ties: by value) keep their name."""
    counts = Counter(v for v in values if v is not None)
    kept = sorted(counts, key=lambda v: (-counts[v], v))[:top]
    return {v: (v if v in kept else OTHER) for v in counts}


# ---- trends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    step: Step
    measure: str  # count | people | sum | avg | median (of the property `v`)


def trend(
    events: list[Ev],
    series: list[Series],
    interval: str,
    window: tuple[dt.datetime, dt.datetime],
    as_of: dt.datetime,
    country: dict[int, str | None] | None = None,
    top: int = 5,
) -> dict[tuple[int, Any, dt.datetime], Any]:
    """(series, breakdown group, period) -> value, for every group and period with events."""
    start, end = window
    seen = [e for e in events if start <= e.ts < end and e.ts <= as_of]
    matched = [[e for e in seen if s.step.matches(e)] for s in series]
    value_of = (lambda e: country.get(e.profile)) if country is not None else (lambda e: None)
    groups = top_groups([value_of(e) for found in matched for e in found], top)
    answer = {}
    for i, (one, found) in enumerate(zip(series, matched, strict=True)):
        cells: dict[tuple[Any, dt.datetime], list[Ev]] = {}
        for e in found:
            key = (groups.get(value_of(e)), floor(e.ts, interval))
            cells.setdefault(key, []).append(e)
        for (group, period), cell in cells.items():
            answer[(i, group, period)] = _measure(one.measure, cell)
    return answer


def _measure(measure: str, cell: list[Ev]) -> Any:
    if measure == "count":
        return len(cell)
    if measure == "people":
        return len({e.profile for e in cell})
    values = [e.props["v"] for e in cell if e.props.get("v") is not None]
    if measure == "sum":
        return float(sum(values))
    per_person: dict[int, float] = {}
    for e in cell:
        if e.props.get("v") is not None:
            per_person[e.profile] = per_person.get(e.profile, 0) + e.props["v"]
    if not per_person:
        return None
    totals = list(per_person.values())
    return float(statistics.mean(totals) if measure == "avg" else statistics.median(totals))


# ---- retention ------------------------------------------------------------------------------


def retention(
    events: list[Ev],
    start: Step,
    back: Step,
    interval: str,
    window: tuple[dt.datetime, dt.datetime],
    as_of: dt.datetime,
    cohort: str,
    periods: int,
    country: dict[int, str | None] | None = None,
    top: int = 5,
) -> dict[tuple[dt.datetime, Any], dict[str, Any]]:
    """(cohort, group) -> {"size": n, "retained": [people at k = 0, 1, ...]} for every k whose
    period has begun by as_of."""
    visible = [e for e in events if e.ts <= as_of]
    low, high = floor(window[0], interval), window[1]
    pairs = _cohort_pairs(visible, start, interval, low, high, cohort)
    value_of = (lambda p: country.get(p)) if country is not None else (lambda p: None)
    groups = top_groups([value_of(person) for person, _ in pairs], top)
    returns = {(e.profile, floor(e.ts, interval)) for e in visible if back.matches(e)}
    answer: dict[tuple[dt.datetime, Any], dict[str, Any]] = {}
    for person, period in sorted(pairs):
        cell = answer.setdefault((period, groups.get(value_of(person))), {"people": []})
        cell["people"].append(person)
    for (period, _), cell in answer.items():
        ks = [k for k in range(periods + 1) if later(period, interval, k) <= as_of]
        cell["size"] = len(cell["people"])
        cell["retained"] = [
            sum((p, later(period, interval, k)) in returns for p in cell["people"]) for k in ks
        ]
        del cell["people"]
    return answer


def _cohort_pairs(
    events: list[Ev], start: Step, interval: str, low: dt.datetime, high: dt.datetime, cohort: str
) -> set[tuple[int, dt.datetime]]:
    starts = [e for e in events if start.matches(e)]
    if cohort == "recurring":
        return {(e.profile, floor(e.ts, interval)) for e in starts if low <= e.ts < high}
    first: dict[int, dt.datetime] = {}
    for e in starts:
        period = floor(e.ts, interval)
        first[e.profile] = min(first.get(e.profile, period), period)
    return {(p, period) for p, period in first.items() if low <= period < high}
