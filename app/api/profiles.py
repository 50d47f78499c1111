"""REST: profiles, merges, erase, timeline and consent, as the caller's role allows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import jsonable, records, with_json
from engine.access.acting import ActingWorkspace
from engine.models import MAX_OFFSET
from engine.profiles.service import ProfileFilter
from kith_errors import NotFound

router = APIRouter(prefix="/api", tags=["profiles"])
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Viewer = Annotated[ActingWorkspace, Depends(allowed("people.view"))]


class NewProfile(BaseModel):
    identities: dict[str, str | list[str]] = Field(
        description='identity keys, e.g. {"email": "ana@example.com", "whatsapp": "+34..."}'
    )
    properties: dict[str, Any] = Field(default_factory=dict)


class ProfileChanges(BaseModel):
    changes: dict[str, Any] = Field(description="field -> new value (null clears it)")


class MergePreviewRequest(BaseModel):
    other_id: int = Field(description="the profile that would be folded into this one")


class MergeRequest(BaseModel):
    primary_id: int
    secondary_id: int
    choices: dict[str, Literal["primary", "secondary"]] = Field(default_factory=dict)
    override: bool = Field(
        default=False, description="merge even past the identity limits (recorded in the audit)"
    )


class ConsentChange(BaseModel):
    channel: str
    status: Literal["granted", "denied", "revoked"]
    purpose: str = "marketing"
    source: str = "api"


# ---- profiles --------------------------------------------------------------------------------


@router.get("/profiles")
def list_profiles(
    ws: Viewer, search: str | None = None, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """Profiles, most recently seen first; `search` matches name, email, phone or any identity."""
    page = ws.profiles.list(ProfileFilter(text=search), limit=limit, offset=offset)
    return {"total": page.total, "limit": limit, "offset": offset, "profiles": records(page.rows)}


@router.post("/profiles", status_code=201)
def create_profile(
    body: NewProfile, ws: Annotated[ActingWorkspace, Depends(allowed("people.edit"))]
) -> dict[str, Any]:
    return jsonable(ws.profiles.create(body.identities, body.properties))


@router.get("/profiles/by-identity/{identity_type}/{value}")
def profile_by_identity(identity_type: str, value: str, ws: Viewer) -> Any:
    profile_id = ws.profiles.find(identity_type, value)
    if profile_id is None:
        raise NotFound(
            f"no profile has the identity {identity_type}={value!r}",
            details={"type": identity_type, "value": value},
        )
    return jsonable(ws.profiles.get(profile_id))


@router.get("/profiles/{ref}")
def get_profile(ref: str, ws: Viewer) -> Any:
    """`ref`: the profile's id, any identity value it holds, or TYPE:VALUE (`email:ana@x.com`)."""
    return jsonable(ws.profiles.get(ws.profiles.resolve(ref)))


@router.patch("/profiles/{profile_id}")
def edit_profile(
    profile_id: int,
    body: ProfileChanges,
    ws: Annotated[ActingWorkspace, Depends(allowed("people.edit"))],
) -> Any:
    return jsonable(ws.profiles.update(profile_id, body.changes))


@router.delete("/profiles/{profile_id}")
def erase_profile(
    profile_id: int,
    ws: Annotated[ActingWorkspace, Depends(allowed("people.erase"))],
) -> Any:
    """Erase the person (GDPR): the profile and everything held about it, including the
    tracking journal's copies of the messages already loaded (the server's `after_erase`)."""
    removed = ws.privacy.erase(profile_id)
    return {"erased": profile_id, "removed": jsonable(removed)}


@router.get("/profiles/{profile_id}/timeline")
def timeline(
    profile_id: int,
    ws: Viewer,
    type: Annotated[list[str] | None, Query()] = None,
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    limit: Limit = 500,
) -> dict[str, Any]:
    frame = ws.profiles.timeline(profile_id, types=type, start=start, end=end, limit=limit)
    return {"profile_id": profile_id, "events": records(with_json(frame))}


# ---- merges ----------------------------------------------------------------------------------


@router.post("/profiles/{profile_id}/merge-preview")
def merge_preview(profile_id: int, body: MergePreviewRequest, ws: Viewer) -> Any:
    return jsonable(ws.merges.preview(profile_id, body.other_id))


@router.post("/merges", status_code=201)
def merge(
    body: MergeRequest, ws: Annotated[ActingWorkspace, Depends(allowed("people.merge"))]
) -> dict[str, Any]:
    merge_id = ws.merges.merge(
        body.primary_id, body.secondary_id, choices=body.choices or None, override=body.override
    )
    return {"merge_id": merge_id, "profile": jsonable(ws.profiles.get(body.primary_id))}


@router.post("/merges/{merge_id}/undo")
def undo_merge(
    merge_id: int, ws: Annotated[ActingWorkspace, Depends(allowed("people.merge"))]
) -> dict[str, Any]:
    ws.merges.unmerge(merge_id)
    return {"undone": merge_id}


# ---- consent ---------------------------------------------------------------------------------


@router.get("/profiles/{profile_id}/consent", tags=["consent"])
def consent_of(profile_id: int, ws: Viewer) -> dict[str, Any]:
    ws.profiles.get(profile_id)
    return {"profile_id": profile_id, "consent": records(ws.consent.of(profile_id))}


@router.put("/profiles/{profile_id}/consent", tags=["consent"])
def set_consent(
    profile_id: int,
    body: ConsentChange,
    ws: Annotated[ActingWorkspace, Depends(allowed("people.consent"))],
) -> dict[str, Any]:
    ws.consent.set(
        profile_id,
        body.channel,
        body.status,
        purpose=body.purpose,
        source=body.source,
    )
    return {"profile_id": profile_id, "consent": records(ws.consent.of(profile_id))}
