"""Writing hand-made events straight into the real events table, for funnel and goal cases
that need exact ids and timestamps (no sessions or identity resolution in between)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from engine import Workspace

T0 = dt.datetime(2026, 3, 1, 9, 0)

Row = tuple[int, str, float] | tuple[int, str, float, dict[str, Any]]


def at(hours: float) -> dt.datetime:
    """A moment `hours` after T0."""
    return T0 + dt.timedelta(hours=hours)


def register_types(ws: Workspace, rows: Sequence[Row]) -> None:
    """Register the rows' unknown event types, with their properties typed from the values."""
    known = ws.catalog.dsl_schema().event_types
    props: dict[str, dict[str, str]] = {}
    for row in rows:
        if row[1] not in known:
            found = props.setdefault(row[1], {})
            extra = row[3] if len(row) > 3 else {}  # type: ignore[misc]
            found.update({k: _kind(v) for k, v in extra.items()})
    for name, properties in props.items():
        ws.catalog.register_event_type(name, properties=properties)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def put_events(ws: Workspace, rows: Sequence[Row]) -> None:
    """Rows of (profile_id, type, hours after T0[, properties]); ids follow the row order.
    Event types the workspace does not know yet are registered first (funnels check names)."""
    register_types(ws, rows)
    first = ws.db.allocate_ids("events", len(rows))
    frame = pd.DataFrame(
        {
            "id": range(first, first + len(rows)),
            "profile_id": [r[0] for r in rows],
            "type": [r[1] for r in rows],
            "ts": [at(r[2]) for r in rows],
            "properties": [json.dumps(r[3] if len(r) > 3 else {}) for r in rows],
        }
    )
    ws.db.register("new_events", frame)
    ws.db.execute(
        "INSERT INTO events (id, message_id, profile_id, type, ts, received_at, channel, "
        "properties) SELECT id, 'm' || id, profile_id, type, ts, ts, 'web', properties::JSON "
        "FROM new_events"
    )
    ws.db.unregister("new_events")
    ws.db.execute(
        "INSERT INTO profiles (id, created_at, updated_at) SELECT DISTINCT profile_id, $t, $t "
        "FROM events WHERE profile_id NOT IN (SELECT id FROM profiles)",
        {"t": T0},
    )
    # keep the id counter ahead of these hand-picked ids, so later ingestion allocates new ones
    ws.db.execute(
        "INSERT INTO counters VALUES ('profiles', $m) ON CONFLICT (name) "
        "DO UPDATE SET value = greatest(counters.value, $m)",
        {"m": max(r[0] for r in rows)},
    )
