"""Events are stored grouped by type and in time order within a type (issue 13), batch by batch,
and migration 090 puts the events of an older file in that order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from engine import Workspace

START = dt.datetime(2026, 1, 1)


def _frame(n: int, offset: int) -> pd.DataFrame:
    types = ["purchase", "page_view", "signup"]
    return pd.DataFrame(
        {
            "type": [types[(i * 7) % 3] for i in range(n)],
            # times in no order: late and early events mixed
            "timestamp": [START + dt.timedelta(minutes=(i * 37) % 101 + offset) for i in range(n)],
            "user_id": [f"u{i % 5}" for i in range(n)],
            "channel": "web",
            "message_id": [f"m{offset}-{i}" for i in range(n)],
        }
    )


def _runs(ws: Workspace, batch: int | None = None) -> list[tuple[str, list[dt.datetime]]]:
    """The events of `batch` (all when None) in stored order, as runs of one type."""
    rows = ws.db.rows(
        "SELECT type, ts FROM events WHERE $batch IS NULL OR batch_id = $batch ORDER BY rowid",
        {"batch": batch},
    )
    runs: list[tuple[str, list[dt.datetime]]] = []
    for kind, ts in rows:
        if not runs or runs[-1][0] != kind:
            runs.append((kind, []))
        runs[-1][1].append(ts)
    return runs


def _clustered(runs: list[tuple[str, list[dt.datetime]]]) -> bool:
    kinds = [kind for kind, _ in runs]
    return len(kinds) == len(set(kinds)) and all(ts == sorted(ts) for _, ts in runs)


def test_each_batch_is_stored_by_type_then_time(ws: Workspace) -> None:
    first = ws.ingest.table(_frame(60, 0)).batch_id
    second = ws.ingest.table(_frame(40, 500)).batch_id
    for batch in (first, second):
        runs = _runs(ws, batch)
        assert _clustered(runs)
        assert {kind for kind, _ in runs} == {"purchase", "page_view", "signup", "session_started"}


def test_migration_090_orders_the_events_of_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Workspace.open(path) as ws:
        ws.ingest.table(_frame(60, 0))
        ws.ingest.table(_frame(40, 500))
        before = ws.db.rows("SELECT * FROM events ORDER BY id")
        # as an older file has them: in arrival order, before 090 was applied
        ws.db.execute("CREATE TEMP TABLE shuffled AS SELECT * FROM events ORDER BY id DESC")
        ws.db.execute("DELETE FROM events")
        ws.db.execute("INSERT INTO events SELECT * FROM shuffled")
        ws.db.execute("DELETE FROM schema_version WHERE version = 90")
        assert not _clustered(_runs(ws))
    with Workspace.open(path) as ws:
        assert _clustered(_runs(ws))
        assert ws.db.rows("SELECT * FROM events ORDER BY id") == before
