"""The HTTP API: the Segment-compatible tracking API under /v1 and the REST API under /api.

`create_api(lifespan)` builds the FastAPI app; `app/server.py` gives it the lifespan that opens
the workspace and starts the ingest queue, and mounts the Streamlit dashboard at /.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api import (
    activation,
    analytics,
    catalog,
    docs_page,
    errors,
    events,
    ingest,
    local,
    people,
    profiles,
    segments,
)
from app.api.context import ClockDep, Fresh, PipelineDep, route_permission
from app.api.limits import BodyLimit
from kith_errors import NotFound

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

DESCRIPTION = """Kith's HTTP API.

* **/v1** — tracking API compatible with Segment's HTTP spec (any key scope).
* **/api** — REST API over profiles, segments, events, consent, funnels, goals, destinations,
  syncs and broadcasts. It acts for
  a person: the user a `read_write` key belongs to, or the logged-in user of the dashboard's
  session cookie. Each operation names the permission it needs; the user's role decides
  (docs/security.md). `ingest` keys get 403.

Authenticate with the API key as the HTTP Basic username and an empty password
(`kith keys create NAME --scope ingest`, or `--scope read_write --user USERNAME`). Errors are
`{"error": {"code", "message", "details"}}`: 400 unreadable body, 401 bad key, 403 wrong scope,
404 not found, 409 conflict, 413 too large, 422 invalid input (DSL errors carry line, column
and a suggestion), 429/503 retry later.

Tracking: a 200 means the messages are in the server's fsynced journal (they survive a crash)
and are loaded into the workspace within moments; REST reads wait until every message
acknowledged before them is loaded, so a client reads its own writes.
Limits: 32 KB per message, 500 KB per request (gzip allowed; measured after decompression).
`/v1/batch` stores the good messages of a batch and answers
`{"success": true, "accepted": n, "rejected": [{"index": i, "reason": "..."}]}` (0-based
indexes into `batch`); a single call (`/v1/track` ...) with a bad message answers 422 and
stores nothing. A re-sent `messageId` is accepted and stored once. A message without
`messageId` is identified by its content when it has a `timestamp` (a retry is stored once), and
is given a fresh id when it has neither (each send is a new event).
"""


def create_api(lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(
        title="Kith",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    errors.install(app)
    app.add_middleware(BodyLimit)  # bodies are capped before anything else reads them
    app.include_router(ingest.router)
    app.include_router(local.router)
    for module in (people, profiles, segments, events, analytics, catalog, activation):
        _name_permissions(module.router.routes)
        app.include_router(module.router, dependencies=[Fresh])
    app.add_api_route("/api/health", health, methods=["GET"], tags=["server"])
    app.add_api_route("/api/docs", docs, methods=["GET"], include_in_schema=False)
    # last: a path under /api or /v1 that no route took is a JSON 404, not the dashboard
    for prefix in ("/api", "/v1"):
        app.add_api_route(
            prefix + "/{rest:path}", unknown, methods=_ALL_METHODS, include_in_schema=False
        )
    return app


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _name_permissions(routes: list[BaseRoute]) -> None:
    """Each operation's permission in the OpenAPI document (`x-permission`)."""
    for route in routes:
        if isinstance(route, APIRoute) and (permission := route_permission(route)):
            route.openapi_extra = {**(route.openapi_extra or {}), "x-permission": permission}


def docs(request: Request) -> HTMLResponse:
    """The API's documentation, rendered here from the OpenAPI document (works offline)."""
    return HTMLResponse(docs_page.render(request.app.openapi()))


def unknown(rest: str, request: Request) -> None:
    raise NotFound(
        f"no such API path: {request.method} {request.url.path}",
        details={"path": request.url.path},
    )


def health(pipeline: PipelineDep, clock: ClockDep) -> JSONResponse:
    """Liveness (no key needed), what the ingest pipeline has done since start (`lag` is the
    number of acknowledged messages not yet loaded into the workspace) and the server's clock:
    per job its runs, failures, last error, last and next run. `status` is "ok", "degraded" (a
    background ingest thread failed and went on; `errors` says how) or "failed" (one stopped;
    answered with 503)."""
    stats = asdict(pipeline.stats)
    for timing in ("load_seconds", "journal_seconds"):
        stats[timing] = round(stats[timing], 3)
    state = pipeline.health()
    body = {
        "status": state.status,
        "errors": [asdict(e) for e in state.errors],
        "ingest": {"lag": pipeline.lag, **stats},
        "clock": clock.health(),
    }
    return JSONResponse(body, status_code=503 if state.status == "failed" else 200)
