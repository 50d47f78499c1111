"""Sessions (analytics.md): a run of one profile's events on one channel with no gap longer
than the inactivity timeout. Events that carry their own session id keep it; the others on a
channel are grouped with window functions over the batch plus each touched profile's latest
stored session, so a batch that continues a session extends it. Each new session records a
`session_started` event. Events with neither a channel nor a session id are left without a
session and flagged `orphaned`, so integration problems stay visible."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from store import ingest as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


def sessionize(ws: Workspace) -> int:
    """Assign and record the sessions of the staged batch (`kith_ev`); returns how many
    sessions began. Runs inside the ingestion transaction."""
    gap = dt.timedelta(minutes=ws.settings.session_timeout_minutes)
    repo.assign_sessions(ws.db, gap)
    return repo.record_sessions(ws.db)


def record_starts(ws: Workspace, started: int, now: dt.datetime, batch_id: int) -> None:
    """The `session_started` events of the sessions `sessionize` began."""
    if started:
        first = ws.db.allocate_ids("events", started)
        repo.insert_session_starts(ws.db, first, now, batch_id)
