"""The Segment-compatible tracking API: POST /v1/{track,identify,page,screen,alias,group,batch}.

Auth is the write key as HTTP Basic username (any scope). Limits follow Segment: 32 KB per
message and 500 KB per request (413 beyond; gzip bodies are measured after decompression).
A 200 is sent only once the messages are committed (see app/ingest_queue.py).

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

from app.api.context import Ingest, QueueDep
from app.api.errors import BadRequest, PayloadTooLarge
from app.ingest_queue import Rejected
from kith_errors import IngestError

MESSAGE_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
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


async def read_json(request: Request, limit: int) -> Any:
    """The request body parsed as JSON, refusing bodies over `limit` bytes (after gunzip)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and not _gzipped(request):
        raise _too_large("request", int(declared), limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit and not _gzipped(request):
            raise _too_large("request", len(body), limit)
    data = _gunzip(bytes(body), limit) if _gzipped(request) else bytes(body)
    try:
        return json.loads(data)
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
        raise _too_large("request", len(out), limit)
    return out


def _too_large(what: str, size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the {what} is {size} bytes; the limit is {limit // 1024} KB",
        details={"size": size, "limit": limit},
    )


# ---- routes ----------------------------------------------------------------------------------


def _single(kind: str) -> Callable[..., Awaitable[IngestAnswer]]:
    async def endpoint(request: Request, queue: QueueDep) -> IngestAnswer:
        message = await read_json(request, MESSAGE_LIMIT)
        if not isinstance(message, dict):
            raise BadRequest(f"a /v1/{kind} body must be a JSON object")
        if message.setdefault("type", kind) != kind:
            raise BadRequest(f"this is /v1/{kind}, but the message says type {message['type']!r}")
        outcome = await queue.ingest([message])
        if outcome.rejected:
            reason = outcome.rejected[0].reason
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
async def ingest_batch(request: Request, queue: QueueDep) -> IngestAnswer:
    body = await read_json(request, BATCH_LIMIT)
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise BadRequest('a /v1/batch body must be a JSON object with a "batch" list')
    messages, rejected = _screen(body["batch"], body.get("context"), big=_big(request))
    positions = [i for i, _ in messages]
    if messages:
        outcome = await queue.ingest([m for _, m in messages])
        rejected += [Rejected(positions[r.index], r.reason) for r in outcome.rejected]
    rejected.sort(key=lambda r: r.index)
    answer = [Rejection(index=r.index, reason=r.reason) for r in rejected]
    return IngestAnswer(accepted=len(body["batch"]) - len(answer), rejected=answer)


def _big(request: Request) -> bool:
    """Whether any message could exceed the per-message limit (the body is bigger than it)."""
    declared = request.headers.get("content-length", "")
    return _gzipped(request) or not declared.isdigit() or int(declared) > MESSAGE_LIMIT


def _screen(
    batch: list[Any], context: Any, *, big: bool
) -> tuple[list[tuple[int, dict[str, Any]]], list[Rejected]]:
    """Split the batch into (position, message) pairs to ingest and refused entries."""
    keep: list[tuple[int, dict[str, Any]]] = []
    refused: list[Rejected] = []
    for i, message in enumerate(batch):
        reason = _refusal(message, big)
        if reason:
            refused.append(Rejected(i, reason))
        else:
            keep.append((i, _with_context(message, context)))
    return keep, refused


def _refusal(message: Any, big: bool) -> str | None:
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if big and (size := len(json.dumps(message).encode("utf-8"))) > MESSAGE_LIMIT:
        return f"the message is {size} bytes; the limit is {MESSAGE_LIMIT // 1024} KB"
    return None


def _with_context(message: dict[str, Any], context: Any) -> dict[str, Any]:
    """Batch-level context under the message's own (the message wins key by key)."""
    if not isinstance(context, dict) or not context:
        return message
    own = message.get("context")
    return {**message, "context": {**context, **(own if isinstance(own, dict) else {})}}
