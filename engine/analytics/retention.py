"""Retention: of the people who started in a period, what share came back in each later one.

A cohort is the people who did the starting event (optionally filtered), or entered a saved
segment, in one period (day, week or month; UTC, weeks start on Monday). `first_time`: a
person belongs only to the cohort of their first start ever (people whose first start is before
the range are left out); `recurring`: to the cohort of every period they started in. Period k
of a cohort is the k-th period after its own (k = 0 is the cohort's period itself); a person
is retained at k when they did the returning event in that period. Periods that have not begun
by `as_of` are not shown (the triangle); a period still running at `as_of` is marked partial.
The curve is the share retained at each k over every cohort that has reached k. A breakdown (a
profile property) splits the cohorts by value: the `top` values with the most people, the rest
together as "(other)".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.analytics import periods, plain
from engine.analytics.funnel_spec import FunnelStep, spec_error
from engine.analytics.funnels import EventFilters, breakdown_of, check_point
from engine.analytics.periods import Bound
from engine.analytics.retention_query import Point, RetentionQuery, retention_query
from engine.clock import as_of_or_now
from kith_errors import ValidationError

if TYPE_CHECKING:
    from dsl.schema import Schema
    from engine.catalog.service import Catalog
    from engine.segments.service import Segments
    from store.db import Database

Interval = Literal["day", "week", "month"]


class RetentionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    start_event: str | None = Field(None, description='"EVENT" or "EVENT where FILTER"')
    start_segment: str | None = Field(None, description="a saved segment: entering it starts")
    return_event: str | None = Field(None, description="default: the starting event")
    interval: Interval = "week"
    periods: int = Field(8, ge=1, le=60, description="later periods shown per cohort")
    start: Bound | None = Field(None, description="first cohort on or after")
    end: Bound | None = Field(None, description="last cohort before (a date: its day)")
    cohort: Literal["first_time", "recurring"] = "first_time"
    breakdown: str | None = Field(None, description="a profile property")
    top: int = Field(5, ge=1, le=50)
    audience: str | None = Field(None, description="only people in this segment expression")
    as_of: dt.datetime | None = None

    @model_validator(mode="after")
    def _one_start(self) -> RetentionSpec:
        if (self.start_event is None) == (self.start_segment is None):
            raise ValueError("give a starting event or a segment to enter, not both")
        if self.start_segment is not None and self.return_event is None:
            raise ValueError("a cohort that enters a segment needs a returning event")
        if self.breakdown is not None and self.breakdown.startswith("event."):
            raise ValueError("retention breaks down by a profile property, not an event's")
        return self


def spec_from(**fields: Any) -> RetentionSpec:
    """A RetentionSpec from loose input, with pydantic's complaints turned into our error."""
    try:
        return RetentionSpec(**fields)
    except ValueError as err:
        raise ValidationError(f"retention: {spec_error(err)}") from err


@dataclass(frozen=True)
class RetentionResult:
    """`table`: cohort, [breakdown], cohort_partial, size, k, retained, share, partial — one row
    per cohort and period k that has begun. `curve`: [breakdown], k, size, retained, share,
    partial."""

    spec: RetentionSpec
    range: periods.Range
    table: pd.DataFrame
    curve: pd.DataFrame

    def triangle(self) -> pd.DataFrame:
        """The classic table: one row per cohort (and breakdown value), its size, and the share
        retained in each period k (blank where k has not begun)."""
        keys = ["cohort", "breakdown"] if "breakdown" in self.table else ["cohort"]
        if self.table.empty:
            return pd.DataFrame(columns=[*keys, "size"])
        wide = self.table.pivot_table(index=[*keys, "size"], columns="k", values="share")
        wide.columns = [f"period {k}" for k in wide.columns]
        return wide.reset_index()

    def as_dict(self) -> dict[str, Any]:
        """Plain values: what `POST /api/retention/run` answers and `kith retention --json`
        prints."""
        bounds = {"start": self.range.start.isoformat(), "end": self.range.end.isoformat()}
        table = self.table.assign(cohort=self.table["cohort"].map(plain.iso))
        return {
            "interval": self.spec.interval,
            **bounds,
            "table": plain.records(table),
            "curve": plain.records(self.curve),
        }


class Retention:
    def __init__(self, db: Database, catalog: Catalog, segments: Segments) -> None:
        self.db, self.catalog, self.segments = db, catalog, segments

    def run(self, spec: RetentionSpec) -> RetentionResult:
        as_of = as_of_or_now(spec.as_of)
        span = _range(spec, as_of)
        query, params = retention_query(self._query(spec, span, as_of))
        found = self.db.df(query, params)
        table = _table(spec, span, as_of, found)
        return RetentionResult(spec, span, table, _curve(spec, table))

    def _query(
        self, spec: RetentionSpec, span: periods.Range, as_of: dt.datetime
    ) -> RetentionQuery:
        schema = self.catalog.dsl_schema()
        start = self._start(spec, schema)
        back = _point(spec.return_event or spec.start_event or "", schema)
        audience = None
        if spec.audience is not None:
            compiled = self.segments.compile(spec.audience, as_of=as_of)
            audience = (compiled.expression, dict(compiled.params))
        low = periods.floor(span.start, spec.interval)
        return RetentionQuery(
            start=start,
            back=back,
            interval=spec.interval,
            low=low,
            high=span.end,
            as_of=as_of,
            cohort=spec.cohort,
            audience=audience,
            breakdown=breakdown_of(self.db, spec.breakdown),
            top=spec.top,
        )

    def _start(self, spec: RetentionSpec, schema: Schema) -> Point:
        if spec.start_segment is not None:
            return Point(None, segment_id=self.segments.stored(spec.start_segment).id)
        return _point(spec.start_event or "", schema)


def _point(text: str, schema: Schema) -> Point:
    step = FunnelStep.parse(text)
    check_point(step, schema)
    return Point(step.event, EventFilters(schema)("e", step.match))


def _range(spec: RetentionSpec, as_of: dt.datetime) -> periods.Range:
    """The cohorts' range; without a start, the last `periods` periods before its end's."""
    end = periods.end_of(spec.end, as_of)
    if spec.start is not None:
        return periods.range_of(spec.start, end, as_of)
    last = periods.floor(end - dt.timedelta(microseconds=1), spec.interval)
    return periods.range_of(periods.shift(last, spec.interval, -spec.periods), end, as_of)


# ---- shaping the answer --------------------------------------------------------------------


def _table(
    spec: RetentionSpec, span: periods.Range, as_of: dt.datetime, found: pd.DataFrame
) -> pd.DataFrame:
    sizes = found[found["k"].isna()]
    back = {
        (plain.moment(r.cohort), plain.none_if_missing(r.grp), int(r.k)): int(r.people)
        for r in found.dropna(subset=["k"]).itertuples()
    }
    rows = []
    for r in sizes.sort_values(["cohort"], kind="stable").itertuples():
        cohort, grp, size = plain.moment(r.cohort), plain.none_if_missing(r.grp), int(r.people)
        for k in range(spec.periods + 1):
            begins = periods.shift(cohort, spec.interval, k)
            if begins > as_of:
                break
            retained = back.get((cohort, grp, k), 0)
            rows.append(
                {
                    "cohort": pd.Timestamp(cohort),
                    "breakdown": grp,
                    "cohort_partial": span.partial(cohort, spec.interval),
                    "size": size,
                    "k": k,
                    "retained": retained,
                    "share": retained / size,
                    "partial": periods.shift(begins, spec.interval) > as_of,
                }
            )
    columns = ["cohort", "breakdown", "cohort_partial", "size", "k", "retained", "share", "partial"]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["cohort", "breakdown", "k"], na_position="last", kind="stable")
    table = table.reset_index(drop=True)
    table["breakdown"] = plain.records_column(table["breakdown"])
    return table if spec.breakdown is not None else table.drop(columns=["breakdown"])


def _curve(spec: RetentionSpec, table: pd.DataFrame) -> pd.DataFrame:
    """The share retained at each k over the cohorts whose period k is over; where none is
    yet, over those still running, marked partial."""
    keys = ["breakdown", "k"] if spec.breakdown is not None else ["k"]
    columns = [*keys, "size", "retained", "share", "partial"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    some_over = table.groupby(keys, dropna=False)["partial"].transform(lambda p: not p.all())
    counted = table[~table["partial"] | ~some_over]
    grouped = counted.groupby(keys, dropna=False, sort=True)
    curve = grouped.agg(
        size=("size", "sum"), retained=("retained", "sum"), partial=("partial", "all")
    ).reset_index()
    curve["share"] = curve["retained"] / curve["size"]
    return curve[columns]
