"""Trends: how often something happens per hour, day, week or month, in one SQL query.

A series is an event type (optionally filtered) and a measure: `count` (events), `people`
(unique people), `sum` of a number property over the events, or `avg` / `median` per person
(each person's total of the property in the period, averaged or taking the median across the
people whose events carry it). Several series share one chart. A breakdown (a profile property,
or `event.<prop>`) splits every series by value: the `top` values with the most events in the
range, the rest together as "(other)", and events without a value as a row of their own (None).
An audience (segment language) keeps only people in it, evaluated as of `as_of`. To compare,
the range of the same length just before is measured too, period by period. Periods are UTC,
weeks start on Monday; a period the range covers only in part is marked partial.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.analytics import periods, plain
from engine.analytics.funnel_spec import EventPoint, FunnelStep, spec_error
from engine.analytics.funnels import EventFilters, breakdown_of, check_point
from engine.analytics.trend_query import OTHER, SeriesQuery, TrendQuery, trend_query
from engine.clock import as_of_or_now
from kith_errors import ValidationError

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.segments.service import Segments
    from store.db import Database

__all__ = ["OTHER", "TrendResult", "TrendSeries", "TrendSpec", "Trends", "spec_from"]

Measure = Literal["count", "people", "sum", "avg", "median"]
_PROPERTY_MEASURES = ("sum", "avg", "median")
_COLUMN = {
    "count": "events",
    "people": "people",
    "sum": "total",
    "avg": "per_person_avg",
    "median": "per_person_median",
}
_SERIES_TEXT = re.compile(
    r"^\s*(?:(count|people)\s+of\s+|(sum|avg|median)\s+([A-Za-z_][\w.]*)\s+of\s+)?(.+)$", re.S
)
_DEFAULT_SPAN = dt.timedelta(days=30)


class TrendSeries(EventPoint):
    """What one line counts: `measure` of `event` events (matching `where`, parsed once when
    the series is made)."""

    measure: Measure = "count"
    property: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_]\w*)*$")

    @model_validator(mode="after")
    def _property_fits(self) -> TrendSeries:
        needs = self.measure in _PROPERTY_MEASURES
        if needs and self.property is None:
            raise ValueError(f"{self.measure} needs a property, like: {self.measure} amount of …")
        if not needs and self.property is not None:
            raise ValueError(f"{self.measure} takes no property (sum, avg and median do)")
        return self

    def label(self) -> str:
        step = self.event if self.where is None else f"{self.event} where {self.where}"
        if self.measure == "count":
            return step
        measured = self.measure if self.property is None else f"{self.measure} {self.property}"
        return f"{measured} of {step}"

    @classmethod
    def parse(cls, text: str) -> TrendSeries:
        """`purchase`, `people of page_view`, `sum amount of purchase where channel = "web"`."""
        match = _SERIES_TEXT.match(text)
        if match is None:
            raise ValidationError(f"series {text!r}: write EVENT, or like: sum amount of purchase")
        measure = match.group(1) or match.group(2) or "count"
        step = FunnelStep.parse(match.group(4))
        fields = {"event": step.event, "where": step.where, "measure": measure}
        try:
            return cls(**fields, property=match.group(3))  # type: ignore[arg-type]
        except ValueError as err:
            raise ValidationError(f"series {text!r}: {spec_error(err)}") from err


class TrendSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    series: list[TrendSeries] = Field(min_length=1, max_length=10)
    interval: periods.Interval = "day"
    start: periods.Bound | None = Field(None, description="default: 30 days before end")
    end: periods.Bound | None = Field(None, description="default: as_of; a date: its day")
    breakdown: str | None = Field(None, description="a profile property or event.<property>")
    top: int = Field(5, ge=1, le=50, description="breakdown values shown; the rest is (other)")
    audience: str | None = Field(None, description="only people in this segment expression")
    compare: bool = Field(False, description="also the range of the same length before")
    as_of: dt.datetime | None = None


def spec_from(**fields: Any) -> TrendSpec:
    """A TrendSpec from loose input (each series as text, a dict or a TrendSeries), with
    pydantic's complaints turned into our error."""
    series = [_series_from(one) for one in fields.pop("series", [])]
    try:
        return TrendSpec(**fields, series=series)
    except ValueError as err:
        raise ValidationError(f"trend: {spec_error(err)}") from err


def _series_from(one: Any) -> TrendSeries:
    if isinstance(one, str):
        return TrendSeries.parse(one)
    if isinstance(one, TrendSeries):
        return one
    try:
        return TrendSeries(**one)
    except (TypeError, ValueError) as err:
        detail = spec_error(err) if isinstance(err, ValueError) else "not a series"
        raise ValidationError(f"series {one!r}: {detail}") from err


@dataclass(frozen=True)
class TrendResult:
    """`points`: series, label, [breakdown], period, value, partial [, previous_period,
    previous_value]; one row per series (and breakdown value) and period of the range."""

    spec: TrendSpec
    range: periods.Range
    points: pd.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """Plain values: what `POST /api/trends/run` answers and `kith trend --json` prints."""
        frame = self.points.assign(period=self.points["period"].map(plain.iso))
        if "previous_period" in frame:
            frame = frame.assign(previous_period=frame["previous_period"].map(plain.iso))
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        bounds = {"start": plain.iso(self.range.start), "end": plain.iso(self.range.end)}
        return {"interval": self.spec.interval, **bounds, "points": rows}


class Trends:
    def __init__(self, db: Database, catalog: Catalog, segments: Segments) -> None:
        self.db, self.catalog, self.segments = db, catalog, segments

    def run(self, spec: TrendSpec) -> TrendResult:
        as_of = as_of_or_now(spec.as_of)
        span = self._range(spec, as_of)
        query, params = trend_query(self._query(spec, span, as_of))
        found = self.db.df(query, params)
        return TrendResult(spec, span, _points(spec, span, found))

    def _range(self, spec: TrendSpec, as_of: dt.datetime) -> periods.Range:
        """The spec's range; without a start, the 30 days before its end."""
        end = periods.end_of(spec.end, as_of)
        start = spec.start if spec.start is not None else end - _DEFAULT_SPAN
        return periods.range_of(start, end, as_of)

    def _query(self, spec: TrendSpec, span: periods.Range, as_of: dt.datetime) -> TrendQuery:
        schema = self.catalog.dsl_schema()
        filters = EventFilters(schema)
        series = []
        for one in spec.series:
            check_point(one, schema)
            _check_property(one, schema.event_types.get(one.event, {}))
            series.append(SeriesQuery(one.event, filters("e", one.match), one.property))
        low = span.previous().start if spec.compare else span.start
        audience = None
        if spec.audience is not None:
            compiled = self.segments.compile(spec.audience, as_of=as_of)
            audience = (compiled.expression, dict(compiled.params))
        breakdown = breakdown_of(self.db, spec.breakdown)
        return TrendQuery(
            series, spec.interval, low, span.start, span.end, as_of, audience, breakdown, spec.top
        )


def _check_property(series: TrendSeries, properties: Mapping[str, str]) -> None:
    """A measured property is a number property of the series' event type."""
    if series.property is None:
        return
    kind = properties.get(series.property)
    if kind != "number":
        numbers = sorted(name for name, k in properties.items() if k == "number")
        known = ", ".join(numbers) if numbers else "none"
        what = "an unknown" if kind is None else f"a {kind}"
        raise ValidationError(
            f"{series.label()}: {series.property!r} is {what} property of {series.event} events, "
            f"not a number (its number properties: {known})"
        )


# ---- shaping the answer --------------------------------------------------------------------


def _points(spec: TrendSpec, span: periods.Range, found: pd.DataFrame) -> pd.DataFrame:
    """Every series × breakdown value × period of the range, a quiet period as 0 (or None for
    per-person averages and medians), with the compared range's value beside it."""
    starts = span.periods(spec.interval)
    before = span.previous().periods(spec.interval) if spec.compare else []
    frames = [
        _series_points(spec, i, starts, before, found[found["s"] == i])
        for i in range(len(spec.series))
    ]
    points = pd.concat(frames, ignore_index=True)
    points["period"] = pd.to_datetime(points["period"])
    if spec.compare:
        points["previous_period"] = pd.to_datetime(points["previous_period"])
    points["partial"] = [span.partial(p.to_pydatetime(), spec.interval) for p in points["period"]]
    columns = ["series", "label", "breakdown", "period", "value", "partial"]
    columns += ["previous_period", "previous_value"] if spec.compare else []
    return points[[c for c in columns if c != "breakdown" or spec.breakdown is not None]]


def _series_points(
    spec: TrendSpec,
    i: int,
    starts: list[dt.datetime],
    before: list[dt.datetime],
    found: pd.DataFrame,
) -> pd.DataFrame:
    series = spec.series[i]
    column = _COLUMN[series.measure]
    values = _breakdown_values(found)
    rows = []
    current = _lookup(found[found["cur"]], column)
    previous = _lookup(found[~found["cur"]], column)
    for value in values:
        for k, start in enumerate(starts):
            row = {"series": i, "label": series.label(), "breakdown": value}
            row |= {"period": pd.Timestamp(start), "value": _get(current, start, value, series)}
            if spec.compare:
                earlier = before[k] if k < len(before) else None
                row["previous_period"] = None if earlier is None else pd.Timestamp(earlier)
                row["previous_value"] = (
                    None if earlier is None else _get(previous, earlier, value, series)
                )
            rows.append(row)
    return pd.DataFrame(rows, dtype=object)  # counts stay ints beside None averages


def _breakdown_values(found: pd.DataFrame) -> list[Any]:
    """Top values by events in the range (ties: by value), then (other), then no value."""
    current = found[found["cur"]]
    totals = current.groupby("grp", dropna=False)["events"].sum()
    named = [v for v in totals.index if isinstance(v, str) and v != OTHER]
    named.sort(key=lambda v: (-int(totals[v]), v))
    seen = set(found["grp"].dropna())
    tail = [OTHER] if OTHER in seen else []
    missing = found["grp"].isna().any() or found.empty
    return named + tail + ([None] if missing else [])


def _lookup(found: pd.DataFrame, column: str) -> dict[tuple[dt.datetime, Any], Any]:
    """(period, breakdown value) -> the measure (built row by row: Series.map turns None back
    into NaN, which never equals itself as a key)."""
    rows = zip(found["period"], found["grp"], found[column], strict=True)
    return {(plain.moment(p), plain.none_if_missing(g)): v for p, g, v in rows}


def _get(
    table: dict[tuple[dt.datetime, Any], Any], start: dt.datetime, value: Any, series: TrendSeries
) -> Any:
    found = table.get((start, value))
    if found is None or pd.isna(found):
        return None if series.measure in ("avg", "median") else 0
    return int(found) if series.measure in ("count", "people") else float(found)
