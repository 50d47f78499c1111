"""What a route needs from the running server: the workspace, the ingest pipeline, the clock and
who is calling. /v1 takes an API key of any scope (HTTP Basic with the key as username and an
empty password, as Segment's clients send it; `Authorization: Bearer <key>` works too). /api acts
for a person: the user a read_write key belongs to, or the user of the session cookie, through
`ws.acting_as` so the engine checks every action against the permission matrix."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from app.ingest_pipeline import IngestPipeline
from app.scheduler import Scheduler
from engine import Workspace
from engine.access.acting import ActingWorkspace
from engine.access.logins import COOKIE
from engine.access.policy import Actor
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
    acknowledged before this request is loaded into the workspace. The caller (key or session
    cookie) is checked first: a request without one is answered at once, never after the
    loader."""
    caller(request)  # known keys are cached: a second check costs nothing
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


def caller(request: Request) -> Actor:
    """The person behind a REST request: the owner of its read_write key, or else the user of
    its session cookie. AuthError when neither is valid or the user is disabled."""
    ws: Workspace = request.app.state.ws
    if request.headers.get("authorization"):
        key = _authenticate(request, "read_write")
        if key.user_id is None:
            raise AuthError(
                f"the API key {key.prefix}… belongs to no user; create a read_write key for a "
                "user (kith keys create NAME --scope read_write --user USERNAME)"
            )
        user = ws.users.get(key.user_id)
        if user.active:
            return Actor.of(user, via=f"key {key.name}")
        raise AuthError(f"the API key {key.prefix}… belongs to a disabled user")
    session_user = ws.logins.user(request.cookies.get(COOKIE))
    if session_user is None:
        raise AuthError("log in, or send an API key as the HTTP Basic username")
    return Actor.of(session_user)


def allowed(permission: str) -> Callable[[Request], Awaitable[ActingWorkspace]]:
    """A dependency: the workspace acting for the caller, who must hold `permission` (403
    otherwise). The engine checks every action again; this answers early and documents the
    route (`.permission`, read by app/security_doc.py)."""

    async def acting(request: Request) -> ActingWorkspace:
        actor = await asyncio.to_thread(caller, request)
        ws: Workspace = request.app.state.ws
        ws.access.check(actor, permission, f"{request.method} {request.url.path}")
        return ws.acting_as(actor)

    acting.permission = permission  # type: ignore[attr-defined]
    return acting


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
PipelineDep = Annotated[IngestPipeline, Depends(ingest_pipeline)]
ClockDep = Annotated[Scheduler, Depends(clock)]
Fresh = Depends(fresh)
Ingest = Depends(ingest_key)


def route_permission(route: APIRoute) -> str | None:
    """The permission a REST route asks of its caller (None for routes that need none)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        found = getattr(dependency.call, "permission", None)
        if found is not None:
            return str(found)
        pending.extend(dependency.dependencies)
    return None
