"""alias(previousId=<a known userId>, userId=<another>) joins the person's profile and logs the
decision (issue 15, item 5)."""

from __future__ import annotations

import json

from engine import Workspace


def _owner(ws: Workspace, kind: str, value: str) -> int | None:
    return ws.profiles.find(kind, value)


def _decisions(ws: Workspace, decision: str) -> list[dict[str, object]]:
    rows = ws.db.rows("SELECT detail FROM identity_log WHERE decision = $d", {"d": decision})
    return [json.loads(r[0]) for r in rows]


def test_an_alias_from_a_known_user_id_joins_that_profile(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "identify", "userId": "user-1", "traits": {"name": "Ana"}}])
    ana = _owner(ws, "user_id", "user-1")
    report = ws.ingest.messages([{"type": "alias", "previousId": "user-1", "userId": "crm-42"}])
    assert report.profiles_created == 0
    assert _owner(ws, "user_id", "crm-42") == ana
    assert _owner(ws, "anonymous_id", "user-1") is None  # a user id, not an anonymous one
    assert ws.db.scalar("SELECT count(*) FROM profiles") == 1
    assert ws.db.scalar("SELECT profile_id FROM events WHERE type = 'alias'") == ana
    (logged,) = _decisions(ws, "alias_joined")
    assert logged["profile_id"] == ana and logged["previous_id"] == "user-1"
    assert logged["joined_profile"] is None


def test_an_alias_merges_the_new_ids_profile_into_the_known_one(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "identify", "userId": "user-1", "traits": {"name": "Ana"}}])
    ws.ingest.messages([{"type": "track", "event": "signup", "userId": "crm-42"}])
    ana, crm = _owner(ws, "user_id", "user-1"), _owner(ws, "user_id", "crm-42")
    ws.segments.save("everyone", expression="did any event")
    assert ws.segments.get("everyone")["size"] == 2
    ws.ingest.messages([{"type": "alias", "previousId": "user-1", "userId": "crm-42"}])
    assert _owner(ws, "user_id", "crm-42") == ana  # two user ids: the alias is explicit
    assert ws.db.scalar("SELECT count(*) FROM profiles") == 1
    assert ws.db.scalar("SELECT count(DISTINCT profile_id) FROM events") == 1
    (merge,) = ws.db.rows("SELECT primary_id, secondary_id FROM merges")
    assert merge == (ana, crm)
    (logged,) = _decisions(ws, "alias_joined")
    assert logged["joined_profile"] == crm
    assert [d["merged"] for d in _decisions(ws, "profiles_merged")] == [crm]
    assert ws.segments.get("everyone")["size"] == 1  # the commit let the merged profile exit
    ws.merges.unmerge(ws.db.scalar("SELECT id FROM merges"))
    assert _owner(ws, "user_id", "crm-42") == crm


def test_an_alias_from_an_anonymous_id_still_links_as_before(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "page", "anonymousId": "anon-9"}])
    visitor = _owner(ws, "anonymous_id", "anon-9")
    ws.ingest.messages([{"type": "alias", "previousId": "anon-9", "userId": "u9"}])
    assert _owner(ws, "user_id", "u9") == visitor
    assert _decisions(ws, "alias_joined") == []
