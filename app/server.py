"""`kith serve`: ONE uvicorn process serving the HTTP API and the Streamlit dashboard.

FastAPI is the root app: /v1 (tracking), /api (REST, docs at /api/docs), and Streamlit's
`st.App` mounted at / with its runtime started by our lifespan. The lifespan opens the one
Workspace of the process and installs it in `app.state` so the dashboard pages use the same
DuckDB connection, then starts the ingest pipeline (app/ingest_pipeline.py: journal, then
load), which first loads what a crash left in the journal, and the server's clock
(app/scheduler.py: schedule rules, the time-based segment refresh, webhook deliveries). On
SIGTERM/SIGINT uvicorn stops taking requests, lets the running ones finish, and the lifespan's
exit stops the clock, then loads everything that was accepted before the workspace is closed.

In front of everything sits the gate (app/access/gate.py): the dashboard and its websocket and
static files answer only to a logged-in session. Behind it, the dashboard's HTML page names the
server's root for the frontend (app/shell.py), so a direct link to a page probes nothing.
While the workspace has no user, `serve` prints a one-time link that creates the first admin.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI
from streamlit.starlette import App

from app import local_access, state
from app.access.gate import Gate, SetupLink
from app.api import create_api
from app.ingest_pipeline import IngestPipeline
from app.journal import Journal, journal_dir
from app.scheduler import Scheduler, server_jobs
from app.shell import BackendAtRoot
from engine import Workspace

MAIN_SCRIPT = Path(__file__).resolve().parent / "main.py"
log = logging.getLogger("kith.server")
_FAILED = threading.Event()  # a background thread stopped: the process exits 1


def create_app(
    db_path: str | Path, *, script: Path = MAIN_SCRIPT, url: str | None = None
) -> FastAPI:
    """The ASGI app for a workspace file: API routes plus the dashboard at /. The file is
    opened here, before serving, so a locked or unreadable workspace fails the command. With
    `url` (where it serves), the CLI on this machine may run commands through it
    (app/local_access.py) while it runs."""
    ws = Workspace.open(db_path)
    journal = Journal(journal_dir(db_path))
    ui = App(str(script))
    ui_lifespan = ui.lifespan()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.set_workspace(ws)
        app.state.ws = ws
        app.state.pipeline = IngestPipeline(ws, journal, on_fatal=_stop_loudly).start()
        ws.privacy.after_erase.append(app.state.pipeline.forget)  # every door's erase
        app.state.clock = Scheduler(ws, server_jobs(ws)).start()
        access = local_access.publish(db_path, url) if url else None
        app.state.local_token = access.token if access else None
        try:
            async with ui_lifespan(app):
                yield
        finally:
            if access:
                local_access.withdraw(db_path, access)
            _shutdown(app)

    api = create_api(lifespan)
    api.mount("/", ui)
    api.state.setup = SetupLink(ws)
    api.add_middleware(BackendAtRoot)  # inside the gate: pages only for logged-in people
    api.add_middleware(Gate, ws=ws, setup=api.state.setup)
    return api


def _shutdown(app: FastAPI) -> None:
    """Stop the clock, load everything accepted, then release the DuckDB file."""
    app.state.clock.close()
    app.state.pipeline.close()
    state.set_workspace(None)
    app.state.ws.close()


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8501) -> None:
    """Run the server until SIGTERM/SIGINT."""
    # The event loop, the journal and the loader threads pass the GIL back and forth all the
    # time; at the default 5 ms switch interval each hand-off can stall a request that long
    # (measured with bench.api: p99 of single tracks 64 -> 49 ms, batches 9.8k -> 11.7k ev/s).
    sys.setswitchinterval(0.001)
    app = create_app(db_path, url=f"http://{_connectable(host)}:{port}")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        ws="websockets-sansio",  # the implementation Streamlit itself runs with
    )
    print(f"Kith is serving {db_path} at http://{host}:{port}/", flush=True)
    print(f"  API: http://{host}:{port}/v1 and /api (docs: /api/docs)", flush=True)
    if app.state.setup.token is not None:
        link = f"http://{host}:{port}/setup?token={app.state.setup.token}"
        print(f"  No user yet: open {link} to create the first admin (works once).", flush=True)
    # uvicorn re-raises the signal once it has shut down cleanly (queue drained, file closed):
    # exit 0 then, rather than dying of the signal
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_cleanly)
    uvicorn.Server(config).run()


def _connectable(host: str) -> str:
    """The address a local client reaches a server listening on `host` at."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _stop_loudly(reason: str) -> None:
    """A background thread cannot go on: say so on stderr and shut the server down (SIGTERM
    to ourselves: uvicorn stops taking requests, and the lifespan's exit loads what it can).
    What was acknowledged is in the journal and is loaded on the next start."""
    print(f"kith serve: stopping, {reason}", file=sys.stderr, flush=True)
    _FAILED.set()
    os.kill(os.getpid(), signal.SIGTERM)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(1 if _FAILED.is_set() else 0)
