"""REST: destinations, segment syncs and broadcasts (engine/activation/, docs/activation.md).

Secrets are never shown back in full: a destination's `secret` is masked in every answer; a
webhook's generated signing secret is returned once, by the request that created it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.api.context import allowed
from app.api.convert import jsonable, records
from engine.access.acting import ActingWorkspace

router = APIRouter(prefix="/api", tags=["activation"])
Viewer = Annotated[ActingWorkspace, Depends(allowed("activation.view"))]
Sender = Annotated[ActingWorkspace, Depends(allowed("activation.send"))]
Manager = Annotated[ActingWorkspace, Depends(allowed("activation.manage"))]


class NewDestination(BaseModel):
    name: str
    kind: str = Field(description="webhook, segment, file or messaging")
    channel: str | None = Field(None, description="the channel it reaches (consent checked)")
    secret: str | None = Field(
        None, description="webhook signing secret (generated when absent), write key, or token"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="url, batch_size, rate_per_second, interval_seconds, directory, format, "
        "headers, body (docs/activation.md)",
    )


class NewSync(BaseModel):
    destination: str
    segment: str = Field(description="a saved segment or static list")


class NewBroadcast(BaseModel):
    name: str
    audience: str = Field(description="a saved segment or static list")
    destination: str = Field(description="a messaging destination")
    message: str
    send_at: dt.datetime | None = Field(None, description="when to send (UTC); now if absent")


class Preview(BaseModel):
    audience: str
    destination: str


# ---- destinations ----------------------------------------------------------------------------


@router.get("/destinations")
def list_destinations(ws: Viewer) -> dict[str, Any]:
    return {
        "destinations": jsonable(ws.activation.destinations()),
        "health": records(ws.activation.health()),
    }


@router.post("/destinations", status_code=201)
def create_destination(body: NewDestination, ws: Manager) -> Any:
    created = ws.activation.create_destination(
        body.name, body.kind, body.options, channel=body.channel, secret=body.secret
    )
    return jsonable(created)


@router.get("/destinations/{name}")
def get_destination(name: str, ws: Viewer) -> Any:
    return jsonable(ws.activation.destination(name))


@router.delete("/destinations/{name}")
def delete_destination(name: str, ws: Manager) -> dict[str, Any]:
    ws.activation.delete_destination(name)
    return {"deleted": name}


@router.post("/destinations/{name}/test")
def test_destination(name: str, ws: Manager) -> dict[str, Any]:
    return ws.activation.test_destination(name)


@router.get("/destinations/{name}/deliveries")
def deliveries(
    name: str,
    ws: Viewer,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 200,
) -> dict[str, Any]:
    frame = ws.activation.deliveries(name, status=status, limit=limit)
    return {"destination": name, "deliveries": records(frame)}


@router.post("/destinations/{name}/retry")
def retry_dead(name: str, ws: Manager) -> dict[str, Any]:
    return {"requeued": ws.activation.retry_dead(name)}


# ---- syncs -----------------------------------------------------------------------------------


@router.get("/syncs")
def list_syncs(ws: Viewer) -> dict[str, Any]:
    return {"syncs": jsonable(ws.activation.syncs())}


@router.post("/syncs", status_code=201)
def attach(body: NewSync, ws: Sender) -> Any:
    return jsonable(ws.activation.attach(body.destination, body.segment))


@router.delete("/syncs/{destination}/{segment}")
def detach(destination: str, segment: str, ws: Sender) -> dict[str, Any]:
    ws.activation.detach(destination, segment)
    return {"detached": {"destination": destination, "segment": segment}}


# ---- broadcasts ------------------------------------------------------------------------------


@router.post("/broadcasts/preview")
def preview(body: Preview, ws: Viewer) -> dict[str, Any]:
    """Who the broadcast would reach now: each person's outcome (send/skip) and reason."""
    frame = ws.activation.preview(body.audience, body.destination)
    counts = frame.groupby("outcome").size().to_dict()
    reasons = frame["reason"].dropna().value_counts().to_dict()
    return {
        "send": int(counts.get("send", 0)),
        "skip": int(counts.get("skip", 0)),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
        "people": records(frame),
    }


@router.get("/broadcasts")
def list_broadcasts(ws: Viewer) -> dict[str, Any]:
    return {"broadcasts": records(ws.activation.broadcasts())}


@router.post("/broadcasts", status_code=201)
def broadcast(body: NewBroadcast, ws: Sender) -> Any:
    created = ws.activation.broadcast(
        body.name, body.audience, body.destination, body.message, send_at=_naive(body.send_at)
    )
    return jsonable(created)


@router.get("/broadcasts/{broadcast_id}/sends")
def send_log(broadcast_id: int, ws: Viewer) -> dict[str, Any]:
    return {"broadcast": broadcast_id, "sends": records(ws.activation.send_log(broadcast_id))}


@router.post("/broadcasts/{broadcast_id}/cancel")
def cancel(broadcast_id: int, ws: Sender) -> dict[str, Any]:
    ws.activation.cancel_broadcast(broadcast_id)
    return {"cancelled": broadcast_id}


def _naive(at: dt.datetime | None) -> dt.datetime | None:
    """A moment as the engine keeps it: naive UTC."""
    if at is None or at.tzinfo is None:
        return at
    return at.astimezone(dt.UTC).replace(tzinfo=None)
