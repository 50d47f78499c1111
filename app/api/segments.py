"""REST: evaluate and check segment expressions; save segments (a taken name only with
`replace`), their earlier versions and restoring one; a saved segment's members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import jsonable, records
from engine.access.acting import ActingWorkspace
from engine.models import MAX_OFFSET

router = APIRouter(prefix="/api/segments", tags=["segments"])
SegmentViewer = Annotated[ActingWorkspace, Depends(allowed("segments.view"))]
SegmentManager = Annotated[ActingWorkspace, Depends(allowed("segments.manage"))]


class Evaluate(BaseModel):
    expression: str = Field(description='a segment expression, e.g. country = "ES"')
    as_of: dt.datetime | None = Field(None, description="evaluate as of this moment (UTC)")
    limit: int = Field(100, ge=0, le=10000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Check(BaseModel):
    expression: str
    name: str | None = Field(None, description="the segment's own name, to catch self-references")


class Save(BaseModel):
    name: str = Field(description="1-100 letters, digits, spaces, '_' or '-'")
    kind: Literal["dynamic", "static", "compound"] = "dynamic"
    expression: str | None = Field(None, description="a dynamic segment's expression")
    op: Literal["union", "intersection", "difference"] | None = None
    of: list[str] | None = Field(None, description="the saved segments a compound combines")
    description: str | None = None
    replace: bool = Field(
        False, description="replace a segment of that name, keeping its definition as a version"
    )


class Restore(BaseModel):
    version: int = Field(ge=1, description="a number from GET /api/segments/{name}/versions")


@router.post("")
def save(body: Save, ws: SegmentManager) -> dict[str, Any]:
    """Save a segment and materialize its members; a taken name answers 409 unless `replace`."""
    fields = body.model_dump(exclude={"name"})
    return jsonable(ws.segments.save(body.name, **fields))


@router.get("/{name}/versions")
def versions(name: str, ws: SegmentViewer) -> dict[str, Any]:
    """The definitions the segment had before each replacement, newest first."""
    return {"segment": name, "versions": records(ws.segments.versions(name))}


@router.post("/{name}/restore")
def restore(name: str, body: Restore, ws: SegmentManager) -> dict[str, Any]:
    """Make an earlier version the definition again (the current one becomes a version)."""
    return jsonable(ws.segments.restore(name, body.version))


@router.post("/evaluate")
def evaluate(body: Evaluate, ws: SegmentViewer) -> dict[str, Any]:
    """How many profiles match now (or at `as_of`), and a page of them."""
    count = ws.segments.count(body.expression, as_of=body.as_of)
    members = ws.segments.members(
        body.expression, as_of=body.as_of, limit=body.limit, offset=body.offset
    )
    return {"count": count, "limit": body.limit, "offset": body.offset, "members": records(members)}


@router.post("/check")
def check(body: Check, ws: SegmentViewer) -> dict[str, Any]:
    """Valid expressions answer {"valid": true}; others 422 with line, column and suggestion."""
    ws.segments.check(body.expression, name=body.name)
    return {"valid": True}


@router.get("/{name}/members")
def members(
    name: str,
    ws: SegmentViewer,
    limit: Annotated[int, Query(ge=0, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    ws.segments.get(name)  # 404 for an unknown segment name
    frame = ws.segments.members(name, limit=limit, offset=offset)
    return {"segment": name, "limit": limit, "offset": offset, "members": records(frame)}
