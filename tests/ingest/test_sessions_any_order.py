"""Sessions do not depend on how events arrive: the same events ingested in any order and any
split into batches end in the same sessions, with the same ids, counts and `session_started`
events, as when they arrive in one batch in time order."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Workspace

START = dt.datetime(2026, 3, 1, 8, 0)
USERS = ("u0", "u1", "u2")
CHANNELS = ("web", "whatsapp")


def _event(i: int, user: str, channel: str, minute: int) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m{i}",
        "userId": user,
        "event": "viewed",
        "timestamp": (START + dt.timedelta(minutes=minute)).isoformat() + "Z",
        "context": {"channel": channel},
    }


def _state(ws: Workspace) -> dict[str, Any]:
    """Everything about sessions, with profiles named by their user id (profile ids are
    allocated in arrival order, so they differ between runs)."""
    user = "(SELECT value FROM identities i WHERE i.profile_id = {}.profile_id LIMIT 1)"
    sessions = ws.db.rows(
        f"SELECT {user.format('s')}, channel, started_at, ended_at, event_count, id "
        "FROM sessions s ORDER BY ALL"
    )
    events = ws.db.rows(
        f"SELECT message_id, session_id, {user.format('e')}, ts FROM events e "
        "WHERE type <> 'session_started' ORDER BY ALL"
    )
    starts = ws.db.rows(
        f"SELECT session_id, message_id, ts, channel, {user.format('e')} FROM events e "
        "WHERE type = 'session_started' ORDER BY ALL"
    )
    return {"sessions": sessions, "events": events, "starts": starts}


def _ingest(folder: Path, name: str, batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    with Workspace.open(folder / f"{name}.duckdb") as ws:
        for batch in batches:
            ws.ingest.messages(batch)
        return _state(ws)


EVENTS = st.lists(
    st.tuples(st.sampled_from(USERS), st.sampled_from(CHANNELS), st.integers(0, 240)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=EVENTS, data=st.data())
def test_any_order_and_any_batches_give_the_sessions_of_one_ordered_batch(
    events: list[tuple[str, str, int]], data: st.DataObject
) -> None:
    messages = [_event(i, *event) for i, event in enumerate(events)]
    in_order = sorted(messages, key=lambda m: (m["timestamp"], m["messageId"]))
    shuffled = data.draw(st.permutations(messages))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(len(messages) - 1, 1)), max_size=5)))
    batches = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        expected = _ingest(folder, "ordered", [in_order])
        got = _ingest(folder, "shuffled", [b for b in batches if b])
    assert got == expected
    # every event has a session; one session_started per session, at its start
    assert all(row[1] for row in expected["events"])
    started = sorted((row[0], row[2]) for row in expected["starts"])
    assert started == sorted((row[5], row[2]) for row in expected["sessions"])
    # a session's count is the events stored with it, its start included
    stored = Counter(row[1] for row in expected["events"])
    stored.update(row[0] for row in expected["starts"])
    assert {row[5]: row[4] for row in expected["sessions"]} == dict(stored)


def _one_user(ws: Workspace, minutes: list[int], first: int = 0) -> None:
    ws.ingest.messages([_event(first + i, "u0", "web", m) for i, m in enumerate(minutes)])


def test_a_late_event_bridging_two_sessions_joins_them(ws: Workspace) -> None:
    _one_user(ws, [0, 10, 70, 80])
    assert ws.db.scalar("SELECT count(*) FROM sessions") == 2
    report = ws.ingest.messages([_event(9, "u0", "web", 40)])
    rows = ws.db.rows("SELECT started_at, ended_at, event_count, id FROM sessions")
    # five events and the session's start (the absorbed session's start is gone)
    assert [(r[0], r[1], r[2]) for r in rows] == [(START, START + dt.timedelta(minutes=80), 6)]
    assert (report.sessions_started, report.sessions_joined) == (0, 1)
    assert ws.db.rows("SELECT DISTINCT session_id FROM events") == [(rows[0][3],)]
    starts = ws.db.rows("SELECT ts, session_id FROM events WHERE type = 'session_started'")
    assert starts == [(START, rows[0][3])]


def test_a_late_event_before_a_session_moves_its_start_and_its_id(ws: Workspace) -> None:
    _one_user(ws, [20, 30], first=1)
    before = ws.db.scalar("SELECT id FROM sessions")
    _one_user(ws, [0])  # message m0, twenty minutes before the session
    (row,) = ws.db.rows("SELECT started_at, event_count, id FROM sessions")
    assert row[:2] == (START, 4) and row[2] != before  # three events and the new start
    with Workspace.open(ws.path.parent / "ordered.duckdb") as ordered:
        _one_user(ordered, [0, 20, 30])
        assert ordered.db.scalar("SELECT id FROM sessions") == row[2]
    starts = ws.db.rows("SELECT ts, session_id FROM events WHERE type = 'session_started'")
    assert starts == [(START, row[2])]
    assert ws.db.scalar("SELECT count(*) FROM events WHERE session_id = $s", {"s": before}) == 0


def test_events_far_apart_still_make_their_own_sessions(ws: Workspace) -> None:
    _one_user(ws, [0, 200])
    report = ws.ingest.messages([_event(5, "u0", "web", 100)])
    assert ws.db.scalar("SELECT count(*) FROM sessions") == 3
    assert report.sessions_started == 1
