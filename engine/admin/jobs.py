"""When each of the server's recurring jobs last ran, kept in the workspace so a restart runs
what fell due while the server was down once, and nothing that already ran again."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from store import clock as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


def last_runs(ws: Workspace) -> dict[str, dt.datetime]:
    """Job name -> when it last ran (jobs that never ran are absent)."""
    return repo.last_runs(ws.db)


def record_run(ws: Workspace, job: str, at: dt.datetime) -> None:
    repo.record_run(ws.db, job, at)
