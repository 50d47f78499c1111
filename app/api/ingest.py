"""The Segment-compatible tracking API: POST /v1/{track,identify,page,screen,alias,group,batch}.

Auth is the write key as HTTP Basic username (any scope). Limits follow Segment: 32 KB per
message (as compact JSON, the same rule for single calls and batches, checked at admission) and
500 KB per request (413 beyond, while the body streams in: app/api/limits.py; gzip bodies are
measured again after decompression).
A 200 is sent only once the messages are durable (fsynced in the journal, see
app/ingest_pipeline.py).

Single calls (/v1/track ...) carry one message; its type comes from the path. If the message is
rejected nothing is stored and the answer is 422 with the reason.
/v1/batch carries {"batch": [message, ...]} (each with its "type"; top-level "context" is merged
under each message's own). Good messages are stored even when others are bad; the answer is
200 {"success": true, "accepted": n, "rejected": [{"index": i, "reason": "..."}]} with 0-based
indexes into "batch". Re-sent messageIds are accepted and stored once.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.context import Ingest, PipelineDep
from app.api.limits import TRACKING_LIMIT, too_large
from engine.ingest.intake import Refusal
from kith_errors import BadRequest, IngestError

BATCH_LIMIT = TRACKING_LIMIT
MESSAGE_TYPES = ("track", "identify", "page", "screen", "alias", "group")

router = APIRouter(prefix="/v1", tags=["tracking (Segment spec)"], dependencies=[Ingest])


class Rejection(BaseModel):
    index: int = Field(description="0-based position of the message in the request's batch")
    reason: str


class IngestAnswer(BaseModel):
    success: bool = True
    accepted: int = Field(description="messages stored (or already stored: same messageId)")
    rejected: list[Rejection] = Field(default_factory=list)


_MESSAGE_BODY = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}
_BATCH_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["batch"],
                    "properties": {"batch": {"type": "array", "items": {"type": "object"}}},
                }
            }
        }
    }
}


# ---- reading bodies --------------------------------------------------------------------------


async def read_body(request: Request) -> bytes:
    """The request body (gunzipped), at most BATCH_LIMIT bytes: the raw body is capped while it
    streams in (app/api/limits.py), a gzip body again as it is decompressed."""
    body = await request.body()
    return _gunzip(body, BATCH_LIMIT) if _gzipped(request) else body


def parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except RecursionError as err:
        raise BadRequest("the request body nests too deeply to be read as JSON") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"the request body is not valid JSON: {err}") from err


def _gzipped(request: Request) -> bool:
    return request.headers.get("content-encoding", "").lower() == "gzip"


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as err:
        raise BadRequest(f"the gzip body cannot be decompressed: {err}") from err
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(len(out), limit)
    return out


# ---- routes ----------------------------------------------------------------------------------


def _single(kind: str) -> Callable[..., Awaitable[IngestAnswer]]:
    async def endpoint(request: Request, pipeline: PipelineDep) -> IngestAnswer:
        message = parse_json(await read_body(request))
        if not isinstance(message, dict):
            raise BadRequest(f"a /v1/{kind} body must be a JSON object")
        given = message.setdefault("type", kind)
        if not isinstance(given, str) or given.lower() != kind:  # any case, as in a batch
            raise BadRequest(f"this is /v1/{kind}, but the message says type {given!r}")
        refused = await pipeline.ingest([message])
        if refused:
            reason = refused[0].reason
            raise IngestError(f"{kind} message rejected: {reason}", details={"reason": reason})
        return IngestAnswer(accepted=1)

    endpoint.__name__ = f"ingest_{kind}"
    return endpoint


for _kind in MESSAGE_TYPES:
    router.add_api_route(
        f"/{_kind}",
        _single(_kind),
        methods=["POST"],
        summary=f"Send one {_kind} message",
        openapi_extra=_MESSAGE_BODY,
    )


@router.post("/batch", summary="Send many messages", openapi_extra=_BATCH_BODY)
async def ingest_batch(request: Request, pipeline: PipelineDep) -> IngestAnswer:
    body = parse_json(await read_body(request))
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise BadRequest('a /v1/batch body must be a JSON object with a "batch" list')
    messages, rejected = _screen(body["batch"], body.get("context"))
    positions = [i for i, _ in messages]
    if messages:
        refused = await pipeline.ingest([m for _, m in messages])
        rejected += [Refusal(positions[r.index], r.reason) for r in refused]
    rejected.sort(key=lambda r: r.index)
    answer = [Rejection(index=r.index, reason=r.reason) for r in rejected]
    return IngestAnswer(accepted=len(body["batch"]) - len(answer), rejected=answer)


def _screen(
    batch: list[Any], context: Any
) -> tuple[list[tuple[int, dict[str, Any]]], list[Refusal]]:
    """Split the batch into (position, message) pairs to admit and entries that are not
    messages at all; admission (engine/ingest/intake.py) judges the messages, one by one."""
    keep: list[tuple[int, dict[str, Any]]] = []
    refused: list[Refusal] = []
    for i, message in enumerate(batch):
        if isinstance(message, dict):
            keep.append((i, _with_context(message, context)))
        else:
            refused.append(Refusal(i, "a message must be a JSON object"))
    return keep, refused


def _with_context(message: dict[str, Any], context: Any) -> dict[str, Any]:
    """Batch-level context under the message's own (the message wins key by key)."""
    if not isinstance(context, dict) or not context:
        return message
    own = message.get("context")
    return {**message, "context": {**context, **(own if isinstance(own, dict) else {})}}
