"""Staging in Arrow (engine/ingest/stage.py) and the one-scan events insert: every stored event
keeps its own line's values when other lines around it are refused, repeated or keyless, also
for a canonical table in several chunks (as the HTTP API loader concatenates requests)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from engine import Workspace
from engine.catalog.normalize import normalize_arrow
from engine.ingest.frames import from_messages
from engine.ingest.service import write_batch
from engine.ingest.stage import ALL_BLOCKED

RECEIVED = dt.datetime(2026, 3, 2, 12, 0)


def _msg(n: int, user: str | None, **extra: object) -> dict[str, object]:
    msg: dict[str, object] = {
        "type": "track",
        "event": "tick",
        "messageId": f"m{n}",
        "timestamp": f"2026-03-01T10:{n:02d}:00Z",
        "properties": {"n": n},
        "context": {"channel": "web"},
        **extra,
    }
    if user:
        msg["userId"] = user
    return msg


def _stored(ws: Workspace) -> dict[str, tuple[int, str, int, str]]:
    rows = ws.db.rows(
        "SELECT e.message_id, e.properties, i.value, e.session_id, e.id FROM events e "
        "JOIN identities i ON i.profile_id = e.profile_id AND i.type = 'user_id' "
        "WHERE e.type = 'tick'"
    )
    return {m: (json.loads(p)["n"], user, eid, sid) for m, p, user, sid, eid in rows}


def test_each_event_keeps_its_own_line_among_refused_and_repeated_ones(ws: Workspace) -> None:
    ws.settings.set_blocked_values([*ws.settings.blocked_values, "front-desk"])
    msgs = [
        _msg(1, "ana"),
        _msg(2, "bob", timestamp="not a time"),
        _msg(3, "ana", messageId="m1"),
        _msg(4, None),
        _msg(5, "front-desk"),
        _msg(6, "bob"),
    ]
    report = ws.ingest.messages(msgs, received_at=RECEIVED)
    assert (report.accepted, report.duplicates) == (2, 1)
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [2, 4, 5] and reasons[5] == ALL_BLOCKED
    stored = _stored(ws)
    assert {m: v[:2] for m, v in stored.items()} == {"m1": (1, "ana"), "m6": (6, "bob")}
    assert stored["m6"][2] - stored["m1"][2] == 5  # ids follow line numbers
    blocked = ws.db.rows("SELECT detail FROM identity_log WHERE decision = 'blocked_value'")
    assert [json.loads(d) for (d,) in blocked] == [
        {"type": "user_id", "value": "front-desk", "messages": 1}
    ]


def test_a_canonical_table_in_chunks_is_stored_line_by_line(ws: Workspace) -> None:
    first = from_messages([(1, _msg(1, "ana")), (2, _msg(2, None))], RECEIVED, "api")
    second = from_messages([(3, _msg(3, "bob")), (4, _msg(4, "ana"))], RECEIVED, "api")
    canon = pa.concat_tables([first, second])
    assert canon["_line"].num_chunks == 2
    report, batch = write_batch(ws.ingest, canon, RECEIVED, 0, "api")
    assert batch is not None and report.accepted == 3
    assert [r.line for r in report.rejected] == [2]
    stored = _stored(ws)
    assert {m: v[:2] for m, v in stored.items()} == {
        "m1": (1, "ana"),
        "m3": (3, "bob"),
        "m4": (4, "ana"),
    }
    assert stored["m1"][3] == stored["m4"][3] != stored["m3"][3]  # ana's session spans both


def test_identity_values_are_normalised_as_documented() -> None:
    values = pa.array(["  Ana@Example.COM ", "", None, " +44 (0)7700-900 123", "0044 7700 900123"])
    assert normalize_arrow("email", values).stored.to_pylist()[:3] == [
        "ana@example.com",
        None,
        None,
    ]
    phones = normalize_arrow("phone", values).stored.to_pylist()
    assert phones[3:] == ["+4407700900123", "+447700900123"]
    assert normalize_arrow("user_id", pa.array(["\tu1 ", " "])).stored.to_pylist() == ["\tu1", None]
