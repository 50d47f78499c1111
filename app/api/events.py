"""REST: the event stream, filtered by type, time and profile; tracking messages that could
not be loaded."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.context import allowed
from app.api.convert import records, with_json
from engine.access.acting import ActingWorkspace
from engine.models import MAX_OFFSET

router = APIRouter(prefix="/api", tags=["events"])
Analyst = Annotated[ActingWorkspace, Depends(allowed("analytics.view"))]


@router.get("/events")
def list_events(
    ws: Analyst,
    type: Annotated[list[str] | None, Query(description="event types (repeatable)")] = None,
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    profile_id: int | None = None,
    channel: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """Events newest first; `from` inclusive, `to` exclusive, both UTC."""
    frame, total = ws.events.list(
        types=type,
        start=start,
        end=end,
        profile_id=profile_id,
        channel=channel,
        limit=limit,
        offset=offset,
    )
    events = records(with_json(frame))
    return {"total": total, "limit": limit, "offset": offset, "events": events}


@router.get("/ingest/failures")
def ingest_failures(
    ws: Analyst, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Tracking messages that were acknowledged but refused when loaded (the catalog or the
    blocked values changed in between), newest first, with the reason and the message."""
    failures = [asdict(f) | {"message": json.loads(f.message)} for f in ws.intake.failures(limit)]
    return {"total": ws.intake.failure_count(), "failures": failures}
