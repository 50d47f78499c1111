"""When each of the server's recurring jobs last ran, kept in the workspace so a restart runs
what fell due while the server was down once, and nothing that already ran again."""

from __future__ import annotations

import datetime as dt

from store import Database
from store import clock as repo


def last_runs(db: Database) -> dict[str, dt.datetime]:
    """Job name -> when it last ran (jobs that never ran are absent)."""
    return repo.last_runs(db)


def record_run(db: Database, job: str, at: dt.datetime) -> None:
    repo.record_run(db, job, at)
