"""What a route needs from the running server: the workspace, the ingest pipeline, the clock and
the caller's API key (HTTP Basic with the key as username and an empty password, as Segment's
clients send it; `Authorization: Bearer <key>` works too)."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from app.ingest_pipeline import IngestPipeline
from app.scheduler import Scheduler
from engine import Workspace
from engine.admin.keys import ApiKey, Scope
from kith_errors import AuthError

READ_WAIT = 30.0


# The dependencies are `async def` so FastAPI calls them on the event loop: a plain `def` would
# be sent to a worker thread on every request, and those hand-offs cost more than the work.


async def workspace(request: Request) -> Workspace:
    return request.app.state.ws


async def ingest_pipeline(request: Request) -> IngestPipeline:
    return request.app.state.pipeline


async def clock(request: Request) -> Scheduler:
    return request.app.state.clock


async def fresh(request: Request) -> None:
    """Read your writes: wait (up to READ_WAIT seconds) until every tracking message
    acknowledged before this request is loaded into the workspace."""
    pipeline: IngestPipeline = request.app.state.pipeline
    if pipeline.lag:
        await asyncio.to_thread(pipeline.wait_loaded, READ_WAIT)


def presented_key(request: Request) -> str:
    """The key from the Authorization header; AuthError when there is none."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as err:
            raise AuthError("the Basic credentials are not valid base64") from err
        username = decoded.partition(":")[0]
        if username:
            return username
    raise AuthError("send your API key as the HTTP Basic username (password empty)")


def _authenticate(request: Request, scope: Scope) -> ApiKey:
    ws: Workspace = request.app.state.ws
    return ws.keys.authenticate(presented_key(request), scope)  # known keys are cached


async def ingest_key(request: Request) -> ApiKey:
    return _authenticate(request, "ingest")


async def read_write_key(request: Request) -> ApiKey:
    return _authenticate(request, "read_write")


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
PipelineDep = Annotated[IngestPipeline, Depends(ingest_pipeline)]
ClockDep = Annotated[Scheduler, Depends(clock)]
Fresh = Depends(fresh)
ReadWrite = Depends(read_write_key)
Ingest = Depends(ingest_key)
