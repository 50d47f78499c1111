"""The Segment-compatible tracking API: POST /v1/{track,identify,page,screen,alias,group,batch}.

Auth is the write key as HTTP Basic username (any scope). Limits follow Segment: 32 KB per
message and 500 KB per request (413 beyond; gzip bodies are measured after decompression).
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

import pydantic_core
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.context import Ingest, PipelineDep
from engine.ingest.intake import Refusal
from kith_errors import BadRequest, IngestError, PayloadTooLarge

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


async def read_body(request: Request, limit: int) -> bytes:
    """The request body (gunzipped), refusing bodies over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and not _gzipped(request):
        raise _too_large("request", int(declared), limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit and not _gzipped(request):
            raise _too_large("request", len(body), limit)
    return _gunzip(bytes(body), limit) if _gzipped(request) else bytes(body)


def parse_json(data: bytes) -> Any:
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
    async def endpoint(request: Request, pipeline: PipelineDep) -> IngestAnswer:
        data = await read_body(request, MESSAGE_LIMIT)
        message = parse_json(data)
        if not isinstance(message, dict):
            raise BadRequest(f"a /v1/{kind} body must be a JSON object")
        if _has_surrogate_escapes(data) and not _valid_unicode(message):
            raise IngestError(f"{kind} message rejected: {_BAD_UNICODE}")
        if message.setdefault("type", kind) != kind:
            raise BadRequest(f"this is /v1/{kind}, but the message says type {message['type']!r}")
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
    data = await read_body(request, BATCH_LIMIT)
    body = parse_json(data)
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise BadRequest('a /v1/batch body must be a JSON object with a "batch" list')
    checks = {"big": _big(request), "escapes": _has_surrogate_escapes(data)}
    messages, rejected = _screen(body["batch"], body.get("context"), **checks)
    positions = [i for i, _ in messages]
    if messages:
        refused = await pipeline.ingest([m for _, m in messages])
        rejected += [Refusal(positions[r.index], r.reason) for r in refused]
    rejected.sort(key=lambda r: r.index)
    answer = [Rejection(index=r.index, reason=r.reason) for r in rejected]
    return IngestAnswer(accepted=len(body["batch"]) - len(answer), rejected=answer)


def _big(request: Request) -> bool:
    """Whether any message could exceed the per-message limit (the body is bigger than it)."""
    declared = request.headers.get("content-length", "")
    return _gzipped(request) or not declared.isdigit() or int(declared) > MESSAGE_LIMIT


def _screen(
    batch: list[Any], context: Any, *, big: bool, escapes: bool
) -> tuple[list[tuple[int, dict[str, Any]]], list[Refusal]]:
    """Split the batch into (position, message) pairs to ingest and refused entries."""
    keep: list[tuple[int, dict[str, Any]]] = []
    refused: list[Refusal] = []
    for i, message in enumerate(batch):
        reason = _refusal(message, big, escapes)
        if reason:
            refused.append(Refusal(i, reason))
        else:
            keep.append((i, _with_context(message, context)))
    return keep, refused


def _refusal(message: Any, big: bool, escapes: bool) -> str | None:
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if escapes and not _valid_unicode(message):
        return _BAD_UNICODE
    # the size as compact UTF-8 JSON, measured by pydantic's serializer (3x json.dumps' speed)
    if big and (size := len(pydantic_core.to_json(message))) > MESSAGE_LIMIT:
        return f"the message is {size} bytes; the limit is {MESSAGE_LIMIT // 1024} KB"
    return None


_BAD_UNICODE = "the message holds a lone surrogate escape (such as \\ud800), which is not text"


def _has_surrogate_escapes(body: bytes) -> bool:
    """Whether the JSON may decode to lone surrogates (checked per message only then)."""
    return b"\\ud" in body.lower()


def _valid_unicode(message: Any) -> bool:
    try:
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _with_context(message: dict[str, Any], context: Any) -> dict[str, Any]:
    """Batch-level context under the message's own (the message wins key by key)."""
    if not isinstance(context, dict) or not context:
        return message
    own = message.get("context")
    return {**message, "context": {**context, **(own if isinstance(own, dict) else {})}}
