"""Workspace statistics: what is stored, in numbers (`kith stats`)."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from store import stats as repo
from store.db import Database


class StoredWorkspace(Protocol):
    """A workspace as the statistics read it: its database and its file."""

    db: Database
    path: Path


def workspace_stats(ws: StoredWorkspace) -> dict[str, Any]:
    """Totals, the time span of the events, breakdowns by type/channel/status, file size."""
    db = ws.db
    out: dict[str, Any] = repo.totals(db)
    out.update(asdict(repo.span(db)))
    out["file_bytes"] = os.path.getsize(ws.path) if ws.path.exists() else 0
    for name in repo.BREAKDOWNS:
        out[name] = repo.breakdown(db, name)
    return out


def is_empty(ws: StoredWorkspace) -> bool:
    return not repo.has_data(ws.db)
