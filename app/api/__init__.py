"""The HTTP API: the Segment-compatible tracking API under /v1 and the REST API under /api.

`create_api(lifespan)` builds the FastAPI app; `app/server.py` gives it the lifespan that opens
the workspace and starts the ingest queue, and mounts the Streamlit dashboard at /.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI

from app.api import analytics, errors, events, ingest, profiles, segments
from app.api.context import ClockDep, Fresh, PipelineDep

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

DESCRIPTION = """Kith's HTTP API.

* **/v1** — tracking API compatible with Segment's HTTP spec (any key scope).
* **/api** — REST API over profiles, segments, events, consent, funnels and goals
  (a `read_write` key is required; `ingest` keys get 403).

Authenticate with the API key as the HTTP Basic username and an empty password
(`kith keys create NAME --scope ingest|read_write`). Errors are
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
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    errors.install(app)
    app.include_router(ingest.router)
    for module in (profiles, segments, events, analytics):
        app.include_router(module.router, dependencies=[Fresh])
    app.add_api_route("/api/health", health, methods=["GET"], tags=["server"])
    return app


def health(pipeline: PipelineDep, clock: ClockDep) -> dict[str, Any]:
    """Liveness (no key needed), what the ingest pipeline has done since start (`lag` is the
    number of acknowledged messages not yet loaded into the workspace) and the server's clock:
    per job its runs, failures, last error, last and next run."""
    stats = asdict(pipeline.stats)
    for timing in ("load_seconds", "journal_seconds"):
        stats[timing] = round(stats[timing], 3)
    return {"status": "ok", "ingest": {"lag": pipeline.lag, **stats}, "clock": clock.health()}
