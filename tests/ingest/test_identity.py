"""Identity resolution: anonymous -> identified, alias, merges, limits, blocked values."""

from __future__ import annotations

import json

import numpy as np

from engine import Workspace
from engine.ingest.identity import components


def _profiles(ws: Workspace) -> dict[tuple[str, str], int]:
    return {(t, v): p for p, t, v in ws.db.rows("SELECT profile_id, type, value FROM identities")}


def _log(ws: Workspace, decision: str) -> list[dict[str, object]]:
    rows = ws.db.rows("SELECT detail FROM identity_log WHERE decision = $d", {"d": decision})
    return [json.loads(r[0]) for r in rows]


def test_components_joins_chains_and_keeps_singletons_apart() -> None:
    labels = components(6, np.array([0, 2, 3]), np.array([1, 3, 4]))
    assert labels.tolist() == [0, 0, 2, 2, 2, 5]


def test_anonymous_browsing_joins_the_identified_profile(ws: Workspace) -> None:
    ws.ingest.messages(
        [
            {"type": "page", "anonymousId": "anon-1", "timestamp": "2026-03-01T10:00:00Z"},
            {"type": "page", "anonymousId": "anon-1", "timestamp": "2026-03-01T10:01:00Z"},
        ]
    )
    report = ws.ingest.messages(
        [
            {
                "type": "identify",
                "anonymousId": "anon-1",
                "userId": "u1",
                "traits": {"email": "ana@example.com"},
                "timestamp": "2026-03-01T10:02:00Z",
            }
        ]
    )
    assert report.profiles_created == 0
    owners = _profiles(ws)
    assert owners[("user_id", "u1")] == owners[("anonymous_id", "anon-1")]
    assert ws.db.scalar("SELECT count(DISTINCT profile_id) FROM events") == 1
    first, last, created = ws.db.rows("SELECT first_seen, last_seen, created_at FROM profiles")[0]
    assert (first.minute, last.minute) == (0, 2)
    assert created == first  # imported history: the person arrived with their first event
    known = dict(ws.db.rows("SELECT type, created_at FROM identities"))
    assert known["anonymous_id"].minute == 0 and known["user_id"].minute == 2


def test_a_batch_with_anonymous_then_identified_messages_is_one_profile(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [
            {"type": "page", "anonymousId": "anon-1"},
            {"type": "identify", "anonymousId": "anon-1", "userId": "u1"},
            {"type": "track", "userId": "u1", "event": "purchase"},
        ]
    )
    assert report.profiles_created == 1
    assert ws.db.scalar("SELECT count(DISTINCT profile_id) FROM events") == 1


def test_alias_links_the_previous_id_to_the_user(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "track", "anonymousId": "old-7", "event": "viewed"}])
    ws.ingest.messages([{"type": "alias", "previousId": "old-7", "userId": "u7"}])
    owners = _profiles(ws)
    assert owners[("anonymous_id", "old-7")] == owners[("user_id", "u7")]
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'alias'") == 1


def test_a_message_matching_two_profiles_merges_them_undoably(ws: Workspace) -> None:
    ws.ingest.messages(
        [
            {"type": "identify", "userId": "u1", "timestamp": "2026-03-01T10:00:00Z"},
            {"type": "identify", "anonymousId": "a2", "timestamp": "2026-03-01T11:00:00Z"},
        ]
    )
    before = _profiles(ws)
    report = ws.ingest.messages(
        [{"type": "track", "userId": "u1", "anonymousId": "a2", "event": "x"}]
    )
    assert report.profiles_merged == 1
    primary = before[("user_id", "u1")]
    assert set(_profiles(ws).values()) == {primary}
    merge_id, secondary = ws.db.rows("SELECT id, secondary_id FROM merges")[0]
    assert secondary == before[("anonymous_id", "a2")]
    assert _log(ws, "profiles_merged")[0]["merge_id"] == merge_id
    ws.merges.unmerge(merge_id)
    assert _profiles(ws)[("anonymous_id", "a2")] == secondary


def test_a_second_user_id_is_dropped_from_the_match_and_logged(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "identify", "userId": "u1", "anonymousId": "device-1"}])
    report = ws.ingest.messages(
        [{"type": "identify", "userId": "u2", "anonymousId": "device-1", "event": "x"}]
    )
    owners = _profiles(ws)
    assert owners[("user_id", "u1")] != owners[("user_id", "u2")]
    assert owners[("anonymous_id", "device-1")] == owners[("user_id", "u1")]
    assert report.profiles_created == 1 and report.profiles_merged == 0
    (entry,) = _log(ws, "key_dropped_from_match")
    assert entry["dropped"] == {"type": "anonymous_id", "value": "device-1"}
    assert entry["kept"] == {"type": "user_id", "value": "u2"}
    assert "more than 1 user_id" in entry["reason"]
    row = ws.db.rows("SELECT profile_id FROM events WHERE type = 'identify' ORDER BY id")
    assert row[-1][0] == owners[("user_id", "u2")]


def test_limits_apply_within_one_batch_too(ws: Workspace) -> None:
    ws.settings.set_identity_limits({"email": 1})
    ws.ingest.messages(
        [
            {"type": "identify", "userId": "u1", "traits": {"email": "a@x.io"}},
            {"type": "identify", "userId": "u1", "traits": {"email": "b@x.io"}},
        ]
    )
    owners = _profiles(ws)
    assert owners[("email", "a@x.io")] == owners[("user_id", "u1")]
    assert ("email", "b@x.io") not in owners
    assert _log(ws, "key_dropped_from_match")[0]["dropped"]["value"] == "b@x.io"


def test_blocked_values_never_match_and_are_logged(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [
            {"type": "track", "userId": "null", "anonymousId": "a1", "event": "x"},
            {"type": "track", "userId": "null", "anonymousId": "a2", "event": "x"},
            {"type": "track", "userId": "undefined", "event": "x"},
        ]
    )
    assert report.profiles_created == 2
    assert [r.line for r in report.rejected] == [3]
    assert "blocked" in report.rejected[0].reason
    assert ("user_id", "null") not in _profiles(ws)
    logged = {(e["value"], e["messages"]) for e in _log(ws, "blocked_value")}
    assert logged == {("null", 2), ("undefined", 1)}


def test_custom_blocked_values_apply(ws: Workspace) -> None:
    ws.settings.set_blocked_values(["guest"])
    ws.ingest.messages([{"type": "track", "userId": "Guest", "anonymousId": "a1", "event": "x"}])
    assert set(_profiles(ws)) == {("anonymous_id", "a1")}
