"""Test data for the profile suites: rows written straight into the real tables."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine import Workspace

T0 = dt.datetime(2026, 3, 1, 9, 0)


def add_event(
    ws: Workspace,
    profile_id: int,
    kind: str,
    ts: dt.datetime,
    *,
    channel: str | None = "web",
    session_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> int:
    event_id = ws.db.allocate_ids("events", 1)
    ws.db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context) VALUES ($id, $mid, $pid, $sid, $type, $ts, $ts, "
        "$channel, 'test', $props, '{}')",
        {
            "id": event_id,
            "mid": f"m-{event_id}",
            "pid": profile_id,
            "sid": session_id,
            "type": kind,
            "ts": ts,
            "channel": channel,
            "props": json.dumps(properties or {}),
        },
    )
    return event_id


def add_session(ws: Workspace, session_id: str, profile_id: int, start: dt.datetime) -> None:
    ws.db.execute(
        "INSERT INTO sessions VALUES ($id, $pid, 'web', $start, $end, 2, 'test', 'desktop')",
        {
            "id": session_id,
            "pid": profile_id,
            "start": start,
            "end": start + dt.timedelta(minutes=5),
        },
    )


def add_segment(ws: Workspace, seg_id: int, name: str, kind: str = "dynamic") -> None:
    """A saved segment without its members (the test inserts them): a dynamic one holds
    everyone with an event, so the commit after a merge or an erase can re-evaluate it."""
    expression = "did any event" if kind == "dynamic" else None
    ws.db.execute(
        "INSERT INTO segments (id, name, kind, expression, created_at, updated_at) "
        "VALUES ($id, $name, $kind, $e, $t, $t)",
        {"id": seg_id, "name": name, "kind": kind, "e": expression, "t": T0},
    )


def table_names(ws: Workspace) -> list[str]:
    rows = ws.db.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [r[0] for r in rows]


def dump(ws: Workspace, tables: list[str]) -> dict[str, list[str]]:
    """Every row of the given tables as sorted JSON text: a full, order-free snapshot."""
    out = {}
    for table in tables:
        rows = ws.db.rows("SELECT to_json(t) FROM query_table($t) t", {"t": table})
        out[table] = sorted(r[0] for r in rows)
    return out
