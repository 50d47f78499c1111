"""Sessions: timeout splits, continuation across batches, explicit ids, orphans. A session's
event_count counts every event stored with its id, its `session_started` event included."""

from __future__ import annotations

from pathlib import Path

from engine import Workspace


def _page(minute: int, user: str = "u1", **extra: object) -> dict[str, object]:
    hour, mins = divmod(minute, 60)
    return {
        "type": "track",
        "userId": user,
        "event": "viewed",
        "timestamp": f"2026-03-01T{hour:02d}:{mins:02d}:00Z",
        "context": {"channel": "web"},
        **extra,
    }


def _sessions(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.db.rows(
        "SELECT started_at, ended_at, event_count, channel FROM sessions ORDER BY started_at"
    )


def test_a_gap_longer_than_the_timeout_starts_a_new_session(ws: Workspace) -> None:
    report = ws.ingest.messages([_page(0), _page(20), _page(45), _page(120)])
    rows = _sessions(ws)
    assert [(r[0].minute, r[1].minute, r[2]) for r in rows] == [(0, 45, 4), (0, 0, 2)]
    assert [r[0].hour for r in rows] == [0, 2]
    assert report.sessions_started == 2
    starts = ws.db.rows("SELECT ts, session_id FROM events WHERE type = 'session_started'")
    assert len(starts) == 2
    grouped = ws.db.rows(
        "SELECT session_id, count(*) FROM events WHERE type = 'viewed' GROUP BY 1 ORDER BY 2"
    )
    assert [g[1] for g in grouped] == [1, 3]


def test_a_later_batch_extends_the_open_session(ws: Workspace) -> None:
    ws.ingest.messages([_page(0), _page(10)])
    report = ws.ingest.messages([_page(25), _page(70)])
    rows = _sessions(ws)
    assert [(r[0].minute, r[2]) for r in rows] == [(0, 4), (10, 2)]
    assert rows[0][1].minute == 25
    assert report.sessions_started == 1


def test_the_timeout_setting_is_used(ws: Workspace) -> None:
    ws.settings.session_timeout_minutes = 10
    ws.ingest.messages([_page(0), _page(9), _page(25)])
    assert len(_sessions(ws)) == 2


def test_channels_are_sessioned_apart(ws: Workspace) -> None:
    ws.ingest.messages([_page(0), _page(1, context={"channel": "whatsapp"})])
    assert sorted(r[3] for r in _sessions(ws)) == ["web", "whatsapp"]


def test_explicit_session_ids_are_kept_and_started_once(ws: Workspace) -> None:
    ws.ingest.messages(
        [_page(0, context={"sessionId": "S1"}), _page(90, context={"sessionId": "S1"})]
    )
    ws.ingest.messages([_page(95, properties={"session_id": "S1"})])
    (row,) = ws.db.rows("SELECT id, event_count, started_at, ended_at FROM sessions")
    assert row[0] == "S1" and row[1] == 4
    assert (row[3] - row[2]).total_seconds() == 95 * 60
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'session_started'") == 1


def test_events_without_channel_or_session_are_orphaned(ws: Workspace) -> None:
    ws.ingest.messages(
        [
            {"type": "track", "userId": "u1", "event": "server_side"},
            {
                "type": "track",
                "userId": "u1",
                "event": "with_session",
                "context": {"sessionId": "x"},
            },
            _page(0),
        ]
    )
    flags = dict(ws.db.rows("SELECT type, orphaned FROM events"))
    assert flags == {
        "server_side": True,
        "with_session": False,
        "viewed": False,
        "session_started": False,
    }
    assert ws.db.scalar("SELECT session_id FROM events WHERE type = 'server_side'") is None


def test_device_comes_from_context(ws: Workspace) -> None:
    agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
    ws.ingest.messages([_page(0, context={"channel": "web", "userAgent": agent})])
    assert ws.db.scalar("SELECT device FROM sessions") == "mobile"


def test_a_late_event_inside_a_stored_session_joins_it(ws: Workspace) -> None:
    ws.ingest.messages([_page(0), _page(20)])
    report = ws.ingest.messages([_page(10), _page(45)])
    (row,) = _sessions(ws)
    assert (row[0].minute, row[1].minute, row[2]) == (0, 45, 5)
    assert report.sessions_started == 0
    assert ws.db.scalar("SELECT count(DISTINCT session_id) FROM events") == 1


def test_profiles_and_channels_in_one_batch_get_their_own_sessions(ws: Workspace) -> None:
    ws.ingest.messages([_page(0, "u1"), _page(1, "u2"), _page(2, "u1"), _page(3, "u2")])
    ws.ingest.messages([_page(5, "u2"), _page(6, "u1", context={"channel": "sms"})])
    counts = ws.db.rows(
        "SELECT i.value, s.channel, s.event_count FROM sessions s "
        "JOIN identities i ON i.profile_id = s.profile_id ORDER BY 1, 2"
    )
    assert counts == [("u1", "sms", 2), ("u1", "web", 3), ("u2", "web", 4)]
    per_event = ws.db.rows(
        "SELECT count(*) FROM events e JOIN sessions s ON s.id = e.session_id "
        "WHERE e.profile_id <> s.profile_id OR e.channel <> s.channel"
    )
    assert per_event == [(0,)]


def _miscounted(ws: Workspace) -> list[tuple[object, ...]]:
    """Sessions whose event_count differs from the events stored with their id (the events the
    Profile screen's Sessions tab lists)."""
    return ws.db.rows(
        "SELECT s.id, s.event_count, count(e.id) FROM sessions s "
        "LEFT JOIN events e ON e.session_id = s.id GROUP BY ALL HAVING s.event_count <> count(e.id)"
    )


def test_event_count_equals_the_events_listed_for_the_session(ws: Workspace) -> None:
    ws.ingest.messages([_page(0), _page(200, "u2"), _page(0, "u3", context={"sessionId": "S"})])
    ws.ingest.messages([_page(10), _page(100), _page(5, "u3", context={"sessionId": "S"})])
    ws.ingest.messages([_page(101, event="session_started"), _page(300, "u2")])
    assert ws.db.scalar("SELECT count(*) FROM sessions") == 5
    assert _miscounted(ws) == []
    one = ws.db.scalar("SELECT id FROM sessions WHERE event_count = 2 ORDER BY started_at LIMIT 1")
    assert len(ws.profiles.session_events(one)) == 2  # one event and its session's start


def test_opening_an_older_file_recounts_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Workspace.open(path) as ws:
        ws.ingest.messages([_page(0), _page(10), _page(200)])
        # as stored before migration 140: the session's start left out of its count
        ws.db.execute("UPDATE sessions SET event_count = event_count - 1")
        ws.db.execute("DELETE FROM schema_version WHERE version = 140")
        assert len(_miscounted(ws)) == 2
    with Workspace.open(path) as ws:
        assert _miscounted(ws) == []
