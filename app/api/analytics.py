"""REST: funnels and goal reports."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.context import ActingAs
from app.api.convert import records
from engine.analytics.funnels import Exclusion, FunnelStep, parse_within, spec_from

router = APIRouter(prefix="/api", tags=["analytics"])
Analyst = ActingAs("analytics.view")


class FunnelRequest(BaseModel):
    steps: list[str | FunnelStep] = Field(
        min_length=1, description='event types, optionally filtered: "purchase where amount > 100"'
    )
    within: str = Field("14d", description="conversion window from step 1: 30m, 12h, 7d, 2w")
    start: dt.datetime | dt.date | None = Field(None, description="step 1 on or after (UTC)")
    end: dt.datetime | dt.date | None = Field(None, description="step 1 before (UTC)")
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    exclusions: list[Exclusion] = Field(default_factory=list)
    audience: str | None = Field(None, description="only profiles matching this segment")
    breakdown: str | None = Field(None, description="a profile property or event.<property>")
    as_of: dt.datetime | None = None


@router.post("/funnels/run")
def run_funnel(body: FunnelRequest, ws: Analyst) -> dict[str, Any]:
    """Profiles reaching each step, conversion and time to convert, per breakdown value."""
    steps = [FunnelStep.parse(s) if isinstance(s, str) else s for s in body.steps]
    fields = body.model_dump(exclude={"steps", "within", "exclusions"})
    spec = spec_from(
        **fields, steps=steps, within=parse_within(body.within), exclusions=body.exclusions
    )
    result = ws.funnels.run(spec)
    return {"entered": result.entered, "steps": records(result.steps)}


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
