"""Funnels: how many profiles went through a sequence of steps, computed in one SQL query.

Semantics (docs/analytics.md, pinned by tests/analytics/): every step-1 event in the date range
begins an attempt; each later step takes the earliest matching event (ties: lowest event id) at or
after the previous step, within `within` of the attempt's step-1 event, never an event the attempt
already used. A profile counts at its best attempt (most steps; ties: the earliest). Exclusions
void a whole attempt. Strict mode forbids any other event of the profile strictly between two
consecutive steps: it takes ordered mode's events and stops at the first such gap. Unordered
mode anchors an attempt at any step event and counts the steps done within the window in any
order; one event fills one step even when step filters overlap (`page_view` and `page_view where
url contains "/pricing"`), and step k is done when k steps can be given distinct events. Times
are in seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

from dsl import check_property, check_segment, suggest
from dsl.ast import Did, EventMatch
from dsl.schema import Schema
from engine.analytics import periods, plain
from engine.analytics.funnel_query import (
    OTHER,
    Breakdown,
    Compiled,
    QueryContext,
    best_attempts,
    by_period,
    drilldown,
    summary,
)
from engine.analytics.funnel_spec import EventPoint, FunnelSpec, FunnelStep, pointing_into
from engine.clock import as_of_or_now, to_utc
from engine.compiler import Context, compile_where
from engine.compiler.events import event_field
from kith_errors import DslNameError, ValidationError
from store import analytics as analytics_repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.scaleout.runner import Runner
    from engine.segments.service import Segments
    from store.db import Database

JSON_PREFIX = "properties."  # the language's path into a profile's unregistered data


@dataclass(frozen=True)
class FunnelResult:
    """`steps`: one row per step (and per breakdown value when there is a breakdown)."""

    spec: FunnelSpec
    steps: pd.DataFrame

    @property
    def entered(self) -> int:
        first = self.steps[self.steps["step"] == 1]
        return int(first["profiles"].sum())

    @property
    def breakdown_values(self) -> list[str]:
        """The breakdown values shown, in the rows' order ("(other)" among them; no value
        left out); empty without a breakdown."""
        if "breakdown" not in self.steps:
            return []
        return [str(v) for v in self.steps["breakdown"].dropna().unique()]

    def as_dict(self) -> dict[str, Any]:
        """Plain values (a missing time or breakdown value as None): what `POST
        /api/funnels/run` answers and `kith funnel --json` prints."""
        return {"entered": self.entered, "steps": plain.records(self.steps)}


class Funnels:
    def __init__(self, db: Database, catalog: Catalog, segments: Segments) -> None:
        self.db, self.catalog, self.segments = db, catalog, segments

    def run(self, spec: FunnelSpec, *, runner: Runner | None = None) -> FunnelResult:
        """The funnel's counts, run on the workspace or on `runner` (e.g. Spark)."""
        reader = runner or self.db
        query, params = self.attempts(spec)
        totals = reader.df(summary(query, len(spec.steps)), params)
        keep = _top_values(totals, spec.top)
        if keep is not None:  # again, with the values past the top grouped as "(other)"
            query, params = self.attempts(spec, keep=keep)
            totals = reader.df(summary(query, len(spec.steps)), params)
        return FunnelResult(spec=spec, steps=_step_rows(spec, totals, keep))

    def _kept_values(self, spec: FunnelSpec, runner: Runner | None) -> tuple[str, ...] | None:
        """The breakdown values a run shows by name (None: all of them)."""
        if spec.breakdown is None or spec.top is None:
            return None
        query, params = self.attempts(spec)
        totals = (runner or self.db).df(summary(query, len(spec.steps)), params)
        return _top_values(totals, spec.top)

    def profiles(
        self,
        spec: FunnelSpec,
        step: int,
        *,
        dropped: bool = False,
        breakdown_value: str | None = None,
        runner: Runner | None = None,
    ) -> list[int]:
        """The profiles that reached `step` (1-based); with `dropped`, those that reached the
        step before it but not this one."""
        if not 1 <= step <= len(spec.steps) or (dropped and step == 1):
            raise ValidationError(f"step {step} is not a step of this funnel{_drop_hint(dropped)}")
        if breakdown_value is None:  # across every breakdown value: one best attempt per profile
            spec = spec.model_copy(update={"breakdown": None})
        query, params = self.attempts(spec, keep=self._kept_values(spec, runner))
        select = drilldown(query, step, dropped, breakdown_value is not None)
        if breakdown_value is not None:
            params = {**params, "fn_bd_value": breakdown_value}
        return [int(row[0]) for row in (runner or self.db).rows(select, params)]

    def over_time(self, spec: FunnelSpec, interval: str = "day") -> pd.DataFrame:
        """Conversion per period of step 1 (does conversion improve?): period, entered,
        converted (reached the last step), rate, partial (the range covers only part of the
        period). A profile counts once, in the period of its best attempt's step 1."""
        unit = periods.checked_interval(interval)
        spec = spec.model_copy(update={"breakdown": None})
        query, params = self.attempts(spec)
        counts = self.db.df(by_period(query, len(spec.steps), unit), params)
        span = self._span(spec, counts)
        if span is None:
            return pd.DataFrame(columns=["period", "entered", "converted", "rate", "partial"])
        return _conversion_series(counts, span, unit)

    def _span(self, spec: FunnelSpec, counts: pd.DataFrame) -> periods.Range | None:
        """The funnel's date range, or from its first entry up to as_of."""
        as_of = as_of_or_now(spec.as_of)
        first = spec.start if spec.start is not None else _first_period(counts)
        if first is None:
            return None
        return periods.range_of(first, spec.end, as_of)

    def attempts(
        self, spec: FunnelSpec, *, keep: tuple[str, ...] | None = None
    ) -> tuple[exp.Select, dict[str, object]]:
        """The best-attempt query (profile_id, bd, n = steps reached, t1..tN per profile and
        breakdown value; with `keep`, other values are "(other)") and its parameters; goals
        build on it."""
        schema = self.catalog.dsl_schema()
        check_steps(spec, schema)
        check_breakdown(spec, schema)
        ctx = QueryContext(
            as_of=as_of_or_now(spec.as_of),
            start=_bound(spec.start, end=False),
            end=_bound(spec.end, end=True),
            within=spec.within,
            event_filter=EventFilters(schema),
            audience=self._audience(spec),
            breakdown=breakdown_of(self.db, spec.breakdown, keep),
        )
        return best_attempts(spec, ctx), ctx.params.values

    def _audience(self, spec: FunnelSpec) -> Compiled | None:
        if spec.audience is None:
            return None
        as_of = as_of_or_now(spec.as_of)
        query = self.segments.compile(spec.audience, as_of=as_of)
        return query.expression, dict(query.params)


class EventFilters:
    """Compiles points' parsed `where` filters to conditions over an events row (already
    checked)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def __call__(self, alias: str, match: EventMatch) -> Compiled | None:
        if match.where is None:
            return None
        ctx = Context(self.schema, as_of_or_now(None))
        condition = compile_where(ctx, match.where, event_field(ctx, match.event or "", alias))
        return condition, dict(ctx.params)


def breakdown_of(
    db: Database, breakdown: str | None, keep: tuple[str, ...] | None = None
) -> Breakdown | None:
    """`event.<prop>`: a property of the event; `properties.<key>`: a key of the profile's
    unregistered data; anything else: a profile property (a column, or a path into the
    profile's JSON properties). `keep`: the values shown by name, the rest grouped."""
    if breakdown is None:
        return None
    if breakdown.startswith("event."):
        return Breakdown("event", _checked_name(breakdown[len("event.") :]), keep)
    if breakdown.startswith(JSON_PREFIX):
        return Breakdown("json", _checked_name(breakdown[len(JSON_PREFIX) :]), keep)
    columns = analytics_repo.profile_columns(db)
    name = _checked_name(breakdown)
    return Breakdown("column" if name in columns else "json", name, keep)


def check_steps(spec: FunnelSpec, schema: Schema) -> None:
    """Every step and exclusion names a known event type and, in its filter, known properties
    of it with values of their types: a misspelt name is a DslError, never an empty funnel."""
    for point in [*spec.steps, *spec.exclusions]:
        check_point(point, schema)


def check_breakdown(spec: FunnelSpec, schema: Schema) -> None:
    """A breakdown names a profile property, or (`event.<prop>`) a property of step 1's event
    type: a misspelt one is a DslNameError with a suggestion, never a column of blanks."""
    breakdown = spec.breakdown
    if breakdown is None:
        return
    _checked_name(breakdown)
    if breakdown.startswith("event."):
        prop = breakdown[len("event.") :]
        check_property(prop, schema, event=spec.steps[0].event, source=breakdown)
    else:
        check_property(breakdown, schema)


def check_point(point: EventPoint, schema: Schema) -> None:
    if point.event not in schema.event_types:
        hint = schema.unlisted(point.event, None) if schema.unlisted else None
        raise DslNameError(
            f"unknown event type '{point.event}'" + (f": {hint}" if hint else ""),
            source=point.event,
            expected="a registered event type",
            suggestion=suggest(point.event, schema.event_types),
        )
    if point.match.where is not None:
        prefix, where = point.source()
        with pointing_into(where, prefix):
            check_segment(Did(point.match), schema, prefix + where)


def _checked_name(name: str) -> str:
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", name):
        raise ValidationError(f"breakdown {name!r} is not a property name")
    return name


def _first_period(counts: pd.DataFrame) -> dt.datetime | None:
    return None if counts.empty else pd.Timestamp(counts["period"].min()).to_pydatetime()


def _conversion_series(
    counts: pd.DataFrame, span: periods.Range, unit: periods.Interval
) -> pd.DataFrame:
    """Every period of the span, an empty one with zeros."""
    starts = span.periods(unit)
    frame = pd.DataFrame({"period": pd.to_datetime(starts)})
    found = counts.assign(period=pd.to_datetime(counts["period"]))
    frame = frame.merge(found, on="period", how="left").fillna({"entered": 0, "converted": 0})
    frame = frame.astype({"entered": "int64", "converted": "int64"})
    entered = frame["entered"].astype("float64")
    rate = (frame["converted"] / entered.where(entered > 0)).fillna(0.0)
    partial = [span.partial(start, unit) for start in starts]
    return frame.assign(rate=rate, partial=partial)


def _drop_hint(dropped: bool) -> str:
    return " (drop-off starts at step 2)" if dropped else ""


def _bound(value: dt.datetime | dt.date | None, *, end: bool) -> dt.datetime | None:
    """Dates cover whole days: an end date includes that day."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return to_utc(value)
    return to_utc(value) + (dt.timedelta(days=1) if end else dt.timedelta(0))


_COLUMNS = [
    "step",
    "event",
    "profiles",
    "conversion_from_first",
    "conversion_from_previous",
    "drop_off",
    "avg_time_to_convert",
    "median_time_to_convert",
]


def _top_values(totals: pd.DataFrame, top: int | None) -> tuple[str, ...] | None:
    """The `top` breakdown values by people who entered (ties: by value), or None when there
    are no more values than that."""
    named = totals[totals["bd"].notna()]
    if top is None or len(named) <= top:
        return None
    ranked = named.assign(entered=named["p1"].fillna(0), value=named["bd"].astype(str))
    ranked = ranked.sort_values(["entered", "value"], ascending=[False, True], kind="stable")
    return tuple(ranked["value"].head(top))


def _step_rows(
    spec: FunnelSpec, totals: pd.DataFrame, keep: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Long format: one row per (breakdown value, step) from the wide per-breakdown totals
    (a handful of rows: one per breakdown value). With `keep` (top values), those values in
    their order, then "(other)", then no value."""
    if keep is not None:
        order = {value: i for i, value in enumerate([*keep, OTHER])}
        rank = totals["bd"].map(lambda v: order.get(v, len(order)))
        totals = totals.assign(_rank=rank).sort_values("_rank", kind="stable")
    records = totals.to_dict("records")
    if not records and spec.breakdown is None:  # nobody entered: still one row per step
        records = [{}]
    rows = [row for rec in records for row in _breakdown_rows(spec, rec)]
    columns = (["breakdown"] if spec.breakdown is not None else []) + _COLUMNS
    frame = pd.DataFrame(rows, columns=columns)
    if keep is not None:  # already in the order shown
        return frame
    keys = ["breakdown", "step"] if spec.breakdown is not None else ["step"]
    return frame.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def _breakdown_rows(spec: FunnelSpec, totals: dict[str, Any]) -> list[list[Any]]:
    counts = [_count(totals.get(f"p{k}")) for k in range(1, len(spec.steps) + 1)]
    rows = []
    for k, step in enumerate(spec.steps, start=1):
        here, previous = counts[k - 1], counts[max(k - 2, 0)]
        times = [_seconds(totals.get(f"{m}{k}")) for m in ("avg", "med")]
        row = [k, _label(step), here, _ratio(here, counts[0]), _ratio(here, previous)]
        rows.append([*row, previous - here, *times])
        if spec.breakdown is not None:
            rows[-1].insert(0, totals.get("bd"))
    return rows


def _count(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _seconds(value: Any) -> float:
    return float("nan") if value is None or pd.isna(value) else float(value)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _label(step: FunnelStep) -> str:
    return step.event if step.where is None else f"{step.event} where {step.where}"
