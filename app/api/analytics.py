"""REST: funnels and goal reports."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import records
from engine.access.acting import ActingWorkspace
from engine.analytics import trends
from engine.analytics.funnel_spec import Exclusion, FunnelSpec, FunnelStep, parse_within, spec_from
from engine.analytics.periods import Bound
from engine.analytics.retention import RetentionSpec
from engine.analytics.trends import TrendSpec

router = APIRouter(prefix="/api", tags=["analytics"])
Analyst = Annotated[ActingWorkspace, Depends(allowed("analytics.view"))]
GoalManager = Annotated[ActingWorkspace, Depends(allowed("goals.manage"))]


class FunnelRequest(BaseModel):
    steps: list[str | FunnelStep] = Field(
        min_length=1, description='event types, optionally filtered: "purchase where amount > 100"'
    )
    within: str = Field("14d", description="conversion window from step 1: 10s, 30m, 12h, 7d, 2w")
    start: Bound | None = Field(None, description="step 1 on or after (UTC)")
    end: Bound | None = Field(None, description="step 1 before (UTC); a date: to its end")
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    exclusions: list[str | Exclusion] = Field(
        default_factory=list,
        description='objects, or text like "cancel:1" or "refund where amount > 10:2-4"',
    )
    audience: str | None = Field(None, description="only profiles matching this segment")
    breakdown: str | None = Field(None, description="a profile property or event.<property>")
    top: int | None = Field(
        None, ge=1, le=50, description='breakdown values shown by name; the rest as "(other)"'
    )
    as_of: dt.datetime | None = None

    def spec(self) -> FunnelSpec:
        steps = [FunnelStep.parse(s) if isinstance(s, str) else s for s in self.steps]
        exclusions = [Exclusion.parse(x) if isinstance(x, str) else x for x in self.exclusions]
        fields = self.model_dump(exclude={"steps", "within", "exclusions", "interval"})
        within = parse_within(self.within)
        return spec_from(**fields, steps=steps, within=within, exclusions=exclusions)


class FunnelOverTimeRequest(FunnelRequest):
    interval: Literal["day", "week", "month"] = "day"


@router.post("/funnels/run")
def run_funnel(body: FunnelRequest, ws: Analyst) -> dict[str, Any]:
    """Profiles reaching each step, conversion and time to convert, per breakdown value."""
    return ws.funnels.run(body.spec()).as_dict()


@router.post("/funnels/over-time")
def funnel_over_time(body: FunnelOverTimeRequest, ws: Analyst) -> dict[str, Any]:
    """Conversion (entered, converted, rate) per period of step 1; `partial` marks a period
    the range covers only in part."""
    series = ws.funnels.over_time(body.spec(), body.interval)
    return {"interval": body.interval, "series": records(series)}


class TrendRequest(TrendSpec):
    series: list[str | dict[str, Any]] = Field(  # type: ignore[assignment]
        min_length=1,
        max_length=10,
        description='"purchase", "people of page_view", "sum amount of purchase where ...", '
        "or objects {event, where, measure, property} (checked by the engine, so a mistake "
        "is explained in its words)",
    )


@router.post("/trends/run")
def run_trend(body: TrendRequest, ws: Analyst) -> dict[str, Any]:
    """Events, unique people or a property's sum / per-person average / median per period,
    for several series, with an optional breakdown (top N and "(other)") and the range before
    it to compare."""
    spec = trends.spec_from(**body.model_dump(exclude={"series"}), series=body.series)
    return ws.trends.run(spec).as_dict()


@router.post("/retention/run")
def run_retention(body: RetentionSpec, ws: Analyst) -> dict[str, Any]:
    """Cohorts by the period people started in (an event, or entering a saved segment), and
    the share who came back in each later period: the triangle as rows, and the curve."""
    return ws.retention.run(body).as_dict()


class GoalTarget(BaseModel):
    target: float | None = Field(
        description="a completion rate above 0 and at most 1 (0.25 for 25%), or null for none"
    )


@router.put("/goals/{name}/target")
def set_goal_target(name: str, body: GoalTarget, ws: GoalManager) -> dict[str, Any]:
    """Set or clear the goal's target completion rate; reports show progress against it."""
    ws.goals.set_target(name, body.target)
    return {"goal": name, "target": body.target}


@router.get("/goals/{name}/report")
def goal_report(
    name: str,
    ws: Analyst,
    bucket: Literal["day", "week", "month"] = "day",
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    segment: str | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """Starts, completions, completion rate and median time to complete, over time."""
    report = ws.goals.report(
        name, bucket=bucket, start=start, end=end, segment=segment, as_of=as_of
    )
    median = report.median_time_to_complete
    return {
        **report.as_dict(),
        "median_time_to_complete": None if median is None or math.isnan(median) else median,
        "series": records(report.series),
    }
