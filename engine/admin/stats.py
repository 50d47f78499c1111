"""Workspace statistics: what is stored, in numbers (`kith stats`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from store import stats as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


def workspace_stats(ws: Workspace) -> dict[str, Any]:
    """Totals, the time span of the events, breakdowns by type/channel/status, file size."""
    db = ws.db
    out: dict[str, Any] = repo.totals(db)
    out.update(repo.span(db))
    out["file_bytes"] = os.path.getsize(ws.path) if ws.path.exists() else 0
    for name in repo.BREAKDOWNS:
        out[name] = repo.breakdown(db, name)
    return out


def is_empty(ws: Workspace) -> bool:
    return not repo.has_data(ws.db)
