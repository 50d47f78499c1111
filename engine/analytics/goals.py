"""Goals: did profiles get from a start to a target, how many, how fast, and when.

A goal (dsl.md) names a target (an event match, or `segment (...)` for a segment expression), an
optional start of the same form and an optional window. With event points the report reuses the
funnel query (a two-step funnel: start, target; without a start, the one-step funnel of the
target over every profile in scope), so a completion is a target at or after a start, within the
window. A segment point has no moment: it is evaluated as of `as_of`, and its completions land in
the bucket of `as_of`. Times are in seconds.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from sqlglot import exp

import dsl
from dsl.ast import And, EventMatch, Expr, Goal, InSegment
from engine.analytics import goal_rates
from engine.analytics.funnel_spec import FunnelSpec, FunnelStep
from engine.analytics.funnels import Funnels
from engine.analytics.goal_rates import GoalRates
from engine.clock import as_of_or_now, utcnow
from kith_errors import Conflict, NotFound, ValidationError
from store import analytics as repo
from store.analytics import GoalRow

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.scaleout.runner import Runner
    from engine.segments.service import Segments
    from store.db import Database

Bucket = Literal["day", "week", "month"]
_BUCKETS = ("day", "week", "month")
_FOREVER = dt.timedelta(days=36500)  # a goal without a window: any later target counts


@dataclass(frozen=True)
class GoalReport:
    name: str
    starts: int
    completions: int
    rate: float
    median_time_to_complete: float | None
    series: pd.DataFrame  # bucket, starts, completions, rate
    target: float | None = None  # the goal's target completion rate, if it has one

    @property
    def progress(self) -> float | None:
        """The rate as a share of the target (1.0: the target is met); None without one."""
        return self.rate / self.target if self.target else None

    def as_dict(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in ("name", "starts", "completions", "rate")}
        head |= {"target": self.target, "progress": self.progress}
        series = self.series.assign(bucket=self.series["bucket"].astype(str))
        median = self.median_time_to_complete
        return {**head, "median_time_to_complete": median, "series": series.to_dict("records")}


class Goals:
    def __init__(
        self, db: Database, catalog: Catalog, funnels: Funnels, segments: Segments
    ) -> None:
        self.db, self.catalog, self.funnels, self.segments = db, catalog, funnels, segments

    def parse(self, source: str) -> Goal:
        goal = dsl.parse_goal(source)
        dsl.check_goal(goal, self.catalog.dsl_schema(), source)
        return goal

    def define(self, source: str, *, replace: bool = False) -> Goal:
        """Store a goal under the name written in its source."""
        goal = self.parse(source)
        db = self.db
        with db.transaction():
            if repo.get_goal(db, goal.name) is not None:
                if not replace:
                    raise Conflict(f"there is already a goal named {goal.name!r}")
                repo.replace_goal(db, goal.name, source)
            else:
                new_id = db.allocate_ids("goals", 1)
                repo.insert_goal(db, repo.NewGoal(new_id, goal.name, source, utcnow()))
        return goal

    def get(self, name: str) -> Goal:
        return dsl.parse_goal(self._row(name).source)

    def _row(self, name: str) -> GoalRow:
        found = repo.get_goal(self.db, name)
        if found is None:
            names = repo.all_goals(self.db)["name"].tolist()
            hint = dsl.suggest(name, names)
            tip = f" (did you mean {hint!r}?)" if hint else ""
            raise NotFound(f"there is no goal named {name!r}{tip}", details={"name": name})
        return found

    def set_target(self, name: str, target: float | None) -> None:
        """Give a goal a target completion rate (a share: 0.25 for 25%), or None for none."""
        self._row(name)
        number = isinstance(target, int | float) and not isinstance(target, bool)
        if target is not None and not (number and 0 < target <= 1):
            raise ValidationError(
                f"a goal's target is a completion rate above 0 and at most 1 (0.25 for 25%), "
                f"not {target!r}",
                details={"name": name, "target": target},
            )
        repo.set_goal_target(self.db, name, None if target is None else float(target))

    def delete(self, name: str) -> None:
        self.get(name)
        repo.delete_goal(self.db, name)

    def list(self, *, start: Any = None, end: Any = None, as_of: Any = None) -> pd.DataFrame:
        """name, source, completion_rate (as of now; of those who started between `start`
        and `end` when given), target (None without one)."""
        goals = repo.all_goals(self.db)
        options = {"start": start, "end": end, "as_of": as_of}
        rates = [self.report(name, **options).rate for name in goals["name"]]
        targets = goals["target_rate"].astype(object).where(goals["target_rate"].notna(), None)
        return goals[["name", "source"]].assign(completion_rate=rates, target=targets)

    def rates(self, days: int) -> GoalRates:
        """Every goal's completion rate over the `days` before they were last measured (the
        Overview's goals panel; `measure_rates` keeps them current), with targets and progress."""
        return goal_rates.read(self.report, self.db, days)

    def measure_rates(
        self, windows: Sequence[int] = goal_rates.WINDOWS, *, as_of: Any = None
    ) -> None:
        """Measure and store every goal's rate over each window (days) ending at `as_of`."""
        goal_rates.measure(self.report, self.db, windows, as_of)

    def compare(
        self,
        name: str,
        segments: builtins.list[str],
        *,
        saved: bool = False,
        everyone: bool = False,
        start: Any = None,
        end: Any = None,
        as_of: Any = None,
    ) -> pd.DataFrame:
        """The goal in each segment side by side: one row each (segment, starts, completions,
        rate, median_time_to_complete). Each is an expression's text or a saved segment's
        name; with `saved`, they are saved segments' names (an unknown one is a NotFound
        with a suggestion, never read as an expression). With `everyone`, a first row
        (no segment: missing) is the goal over everyone."""
        audiences: builtins.list[tuple[str | None, str | Expr | None]] = []
        if everyone:
            audiences.append((None, None))
        for segment in segments:
            audiences.append((segment, self._saved(segment) if saved else segment))
        goal = self.get(name)
        options = {"start": start, "end": end, "as_of": as_of}
        rows = []
        for label, audience in audiences:
            report = self.evaluate(goal, segment=audience, **options)
            rows.append(
                {
                    "segment": label,
                    "starts": report.starts,
                    "completions": report.completions,
                    "rate": report.rate,
                    "median_time_to_complete": report.median_time_to_complete,
                }
            )
        return pd.DataFrame(rows)

    def _saved(self, segment: str) -> Expr:
        self.segments.stored(segment)  # a NotFound with a suggestion for an unknown name
        return InSegment(segment)

    def report(
        self,
        name: str,
        *,
        bucket: Bucket = "day",
        start: Any = None,
        end: Any = None,
        segment: str | None = None,
        as_of: Any = None,
        runner: Runner | None = None,
    ) -> GoalReport:
        """The stored goal's completions, rate, median time and series, run on the workspace
        or on `runner` (e.g. Spark)."""
        options = {"start": start, "end": end, "segment": segment, "as_of": as_of}
        row = self._row(name)
        report = self.evaluate(dsl.parse_goal(row.source), bucket=bucket, runner=runner, **options)
        target = row.target_rate
        return replace(report, target=None if target is None else float(target))

    def evaluate(
        self,
        goal: Goal,
        *,
        bucket: Bucket = "day",
        start: Any = None,
        end: Any = None,
        segment: str | Expr | None = None,
        as_of: Any = None,
        runner: Runner | None = None,
    ) -> GoalReport:
        """A report for a goal that need not be stored (previews, benchmarks). `segment`
        limits it to a saved segment (by name), the people an expression's text matches, or
        an expression parsed already (`InSegment(name)`)."""
        if bucket not in _BUCKETS:
            raise ValidationError(f"bucket must be one of {', '.join(_BUCKETS)}, not {bucket!r}")
        moment = as_of_or_now(as_of)
        audience = _both(goal.audience, self._audience(segment))
        if isinstance(goal.target, EventMatch) and not _is_segment(goal.start):
            spec = _spec(goal, audience, start, end, moment)
            return self._event_report(goal, spec, bucket, runner or self.db)
        reader = runner or self.db
        return self._segment_report(goal, audience, bucket, start, end, moment, reader)

    def _audience(self, segment: str | Expr | None) -> Expr | None:
        """A saved segment's name stands for `in segment "name"`; other text is parsed."""
        if not segment:
            return None
        return self.segments.target(segment) if isinstance(segment, str) else segment

    # ---- event goals: the funnel query -------------------------------------------------------

    def _event_report(
        self, goal: Goal, spec: FunnelSpec, bucket: str, runner: Runner
    ) -> GoalReport:
        query, params = self.funnels.attempts(spec)
        with_start = goal.start is not None
        rows = runner.df(_series(query, bucket, with_start), params)
        total = rows[rows["bucket"].isna()]
        series = rows[rows["bucket"].notna()].reset_index(drop=True)
        completions = int(total["completions"].sum())
        starts = int(total["starts"].sum())
        if not with_start:  # no start: the rate is over every profile in scope
            starts = self._scope_size(spec.audience, spec.as_of, runner)
            series = series.assign(starts=starts)
        median = total["median"].iloc[0] if len(total) and with_start else None
        return GoalReport(
            goal.name,
            starts,
            completions,
            _rate(completions, starts),
            None if median is None or pd.isna(median) else float(median),
            _with_rate(series),
        )

    def _scope_size(
        self, audience: str | Expr | None, as_of: dt.datetime | None, runner: Runner
    ) -> int:
        if audience is None:
            return repo.profile_count(self.db, as_of_or_now(as_of))
        return self.segments.count(audience, as_of=as_of, runner=runner)

    # ---- segment points: evaluated as of `as_of` ---------------------------------------------

    def _segment_report(
        self,
        goal: Goal,
        audience: Expr | None,
        bucket: str,
        start: Any,
        end: Any,
        moment: dt.datetime,
        runner: Runner,
    ) -> GoalReport:
        starters = self._starters(goal, audience, start, end, moment, runner)
        target: Expr = goal.target  # type: ignore[assignment]  # a segment point here
        reached = set(self.segments.ids(target, as_of=moment, runner=runner)) & starters
        series = pd.DataFrame(
            {
                "bucket": [pd.Timestamp(moment).to_period(bucket[0].upper()).start_time],
                "starts": [len(starters)],
                "completions": [len(reached)],
            }
        )
        rate = _rate(len(reached), len(starters))
        return GoalReport(goal.name, len(starters), len(reached), rate, None, _with_rate(series))

    def _starters(
        self,
        goal: Goal,
        audience: Expr | None,
        start: Any,
        end: Any,
        moment: dt.datetime,
        runner: Runner,
    ) -> set[int]:
        if isinstance(goal.start, EventMatch):
            step = FunnelStep.matching(goal.start)
            spec = FunnelSpec(steps=[step], start=start, end=end, audience=audience, as_of=moment)
            return set(self.funnels.profiles(spec, 1, runner=runner))
        scope = _both(goal.start, audience)
        if scope is None:
            return set(repo.profile_ids(self.db, moment))
        return set(self.segments.ids(scope, as_of=moment, runner=runner))


def _is_segment(point: object) -> bool:
    return point is not None and not isinstance(point, EventMatch)


def _spec(
    goal: Goal, audience: Expr | None, start: Any, end: Any, as_of: dt.datetime
) -> FunnelSpec:
    points = [p for p in (goal.start, goal.target) if p is not None]
    steps = [FunnelStep.matching(p) for p in points]  # type: ignore[arg-type]
    within = _FOREVER if goal.within is None else _duration(goal.within.amount, goal.within.unit)
    return FunnelSpec(
        steps=steps, within=within, start=start, end=end, audience=audience, as_of=as_of
    )


def _duration(amount: int, unit: str) -> dt.timedelta:
    if unit == "months":
        return dt.timedelta(days=30 * amount)
    return dt.timedelta(**{unit: amount})


def _both(first: Expr | None, second: Expr | None) -> Expr | None:
    """Both conditions (either alone when the other is missing)."""
    if first is None or second is None:
        return first if second is None else second
    return And((first, second))


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _with_rate(series: pd.DataFrame) -> pd.DataFrame:
    series = series.astype({"starts": "int64", "completions": "int64"})
    starts = series["starts"].astype("float64")
    rate = (series["completions"] / starts.where(starts > 0)).fillna(0.0)
    return series.assign(rate=rate)[["bucket", "starts", "completions", "rate"]]


def _done(with_start: bool) -> exp.Expr:
    steps = 2 if with_start else 1
    return exp.GTE(this=exp.column("n"), expression=exp.Literal.number(steps))


def _series(query: exp.Select, bucket: str, with_start: bool) -> exp.Select:
    """Starts by the start's bucket, completions (with their time from the start) by the
    target's bucket; ROLLUP adds the totals row (bucket NULL). `b` is read twice: materialize it."""
    unit = exp.Literal.string(bucket)
    target = exp.column("t2" if with_start else "t1")
    gap = exp.Sub(
        this=exp.TimeToUnix(this=target), expression=exp.TimeToUnix(this=exp.column("t1"))
    )
    starts = exp.select(
        exp.alias_(exp.DateTrunc(unit=unit, this=exp.column("t1")), "bucket"),
        exp.alias_(exp.Literal.number(1), "s"),
        exp.alias_(exp.Literal.number(0), "c"),
        exp.alias_(exp.Null(), "gap"),
    ).from_(exp.to_table("b"))
    completions = (
        exp.select(
            exp.alias_(exp.DateTrunc(unit=unit, this=target), "bucket"),
            exp.alias_(exp.Literal.number(0), "s"),
            exp.alias_(exp.Literal.number(1), "c"),
            exp.alias_(gap, "gap"),
        )
        .from_(exp.to_table("b"))
        .where(_done(with_start))
    )
    both = exp.union(starts, completions, distinct=False, copy=False).subquery("x", copy=False)
    cols = [
        exp.column("bucket"),
        exp.alias_(exp.Sum(this=exp.column("s")), "starts"),
        exp.alias_(exp.Sum(this=exp.column("c")), "completions"),
        exp.alias_(exp.func("median", exp.column("gap")), "median"),
    ]
    rollup = exp.Group(rollup=[exp.Rollup(expressions=[exp.column("bucket")])])
    select = exp.select(*cols).from_(both).with_("b", as_=query, materialized=True)
    select.set("group", rollup)
    return select.order_by("bucket")
