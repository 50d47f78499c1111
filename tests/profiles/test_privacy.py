"""GDPR erase leaves no trace; export returns everything held about a person."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine import Workspace
from kith_errors import NotFound
from tests.profiles.helpers import T0, add_event, add_segment, add_session


def _text_columns(ws: Workspace) -> list[tuple[str, str]]:
    return ws.db.rows(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "'main' AND (data_type IN ('VARCHAR', 'JSON') OR data_type LIKE '%[]')"
    )


def _id_columns(ws: Workspace) -> list[tuple[str, str]]:
    return ws.db.rows(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "'main' AND column_name IN ('profile_id', 'primary_id', 'secondary_id') "
        "OR (table_name = 'profiles' AND column_name = 'id')"
    )


def _traces(ws: Workspace, needles: list[str], ids: list[int]) -> list[tuple[str, str, str]]:
    """Every (table, column, row) anywhere that still mentions the person."""
    found = []
    for table, column in _text_columns(ws):
        rows = ws.db.rows(
            "SELECT CAST(t AS VARCHAR) FROM query_table($t) t WHERE list_has_any($needles, "
            "[n FOR n IN $needles IF contains(lower(CAST(t[$c] AS VARCHAR)), n)])",
            {"t": table, "c": column, "needles": needles},
        )
        found += [(table, column, r[0]) for r in rows]
    for table, column in _id_columns(ws):
        rows = ws.db.rows(
            "SELECT CAST(t AS VARCHAR) FROM query_table($t) t WHERE list_contains($ids, t[$c])",
            {"t": table, "c": column, "ids": ids},
        )
        found += [(table, column, r[0]) for r in rows]
    return found


@pytest.fixture
def person(ws: Workspace) -> tuple[int, int]:
    """Ana (with a second profile merged into her) and Budi, who must survive the erasure."""
    ana = ws.profiles.create(
        {"email": "ana.secret@example.com", "user_id": "ana-77"}, {"name": "Anastasia Q"}
    ).id
    twin = ws.profiles.create({"phone": "+6289999999999"}, {"name": "Anastasia Q"}).id
    budi = ws.profiles.create({"email": "budi@example.com"}, {"name": "Budi"}).id
    ws.profiles.update(ana, {"city": "Bandung", "nickname": "Tasia"}, actor="admin")
    for pid in (ana, twin, budi):
        add_session(ws, f"s{pid}", pid, T0)
        add_event(ws, pid, "message_sent", T0, channel="email", session_id=f"s{pid}")
        ws.labels.add(pid, "vip", actor="admin")
        ws.consent.set(pid, "email", "granted", at=T0 - dt.timedelta(days=1))
    add_segment(ws, 1, "everyone")
    for statement in (
        "INSERT INTO segment_members SELECT 1, id, $t FROM profiles",
        "INSERT INTO segment_history SELECT 1, id, 'entered', $t FROM profiles",
        "INSERT INTO list_members SELECT 1, id, $t, 'admin' FROM profiles",
        "INSERT INTO rule_runs (id, rule_id, profile_id, fired_at) "
        "SELECT id, 1, id, $t FROM profiles",
        "INSERT INTO notifications (id, rule_id, profile_id, message, created_at) "
        "SELECT id, 1, id, 'vip!', $t FROM profiles",
        "INSERT INTO webhook_outbox (id, profile_id, url, payload, next_attempt_at, created_at) "
        "SELECT id, id, 'https://hook', json_object('email', email), $t, $t FROM profiles",
    ):
        ws.db.execute(statement, {"t": T0})
    ws.db.execute(
        "INSERT INTO identity_log VALUES (1, $t, 'dropped_key', $b, $d)",
        {"t": T0, "b": budi, "d": json.dumps({"email": "ana.secret@example.com"})},
    )
    _quote_ana_in_budis_rows(ws, budi)
    ws.merges.merge(ana, twin)
    return ana, budi


def _quote_ana_in_budis_rows(ws: Workspace, budi: int) -> None:
    """Budi's own rows that name Ana: a referral form, a message context, a custom field."""
    add_event(ws, budi, "form_submitted", T0, properties={"referral": "ANA.SECRET@example.com"})
    ws.db.execute(
        "INSERT INTO events (id, message_id, profile_id, type, ts, received_at, properties, "
        "context) VALUES (9001, 'm-9001', $b, 'message_sent', $t, $t, '{}', $ctx)",
        {"b": budi, "t": T0, "ctx": json.dumps({"forwarded_to": "wa:+6289999999999"})},
    )
    ws.profiles.update(budi, {"referred_by": "ana-77"}, actor="admin")


def test_erase_leaves_no_trace(ws: Workspace, person: tuple[int, int]) -> None:
    ana, budi = person
    twin = ana + 1
    needles = ["ana.secret", "ana-77", "6289999999999", "anastasia", "tasia", "bandung"]
    assert _traces(ws, needles, [ana, twin])  # the probe does find the person before
    budi_before = _without_quotes(ws.privacy.export(budi))
    removed = ws.privacy.erase(ana, actor="dpo")
    assert removed["profiles"] == 1 and removed["events"] == 2  # the twin was merged in
    leftovers = _traces(ws, needles, [ana, twin])
    assert leftovers == []
    erase_log = ws.db.dicts(
        "SELECT * FROM audit_log WHERE entity_id = CAST($id AS VARCHAR)", {"id": ana}
    )
    assert [(r["action"], r["actor"]) for r in erase_log] == [("erase", "dpo")]
    redacted = json.loads(erase_log[0]["after"])["redacted"]
    assert redacted == {"audit_log": 1, "events": 2, "profiles": 1}
    budi_after = ws.privacy.export(budi)
    assert _without_quotes(budi_after) == budi_before  # nothing else of Budi's changed
    assert [e["properties"] for e in budi_after["events"] if e["type"] == "form_submitted"] == [
        {"referral": "[erased]"}
    ]
    assert [e["context"] for e in budi_after["events"] if e["id"] == 9001] == [
        {"forwarded_to": "wa:[erased]"}
    ]
    assert budi_after["profile"]["properties"] == {"referred_by": "[erased]"}
    with pytest.raises(NotFound):
        ws.privacy.erase(ana, actor="dpo")


def _without_quotes(export: dict) -> dict:
    """An export minus the parts of Budi's data that quote Ana."""
    events = [
        e for e in export["events"] if e["type"] not in ("form_submitted",) and e["id"] != 9001
    ]
    changes = [c for c in export["changes"] if c["field"] != "referred_by"]
    profile = {k: v for k, v in export["profile"].items() if k not in ("properties", "updated_at")}
    return {**export, "events": events, "changes": changes, "profile": profile}


def test_export_holds_everything_about_the_person(ws: Workspace, person: tuple[int, int]) -> None:
    ana, _ = person
    data = ws.privacy.export(ana)
    assert data["profile"]["name"] == "Anastasia Q"
    assert data["profile"]["properties"] == {"nickname": "Tasia"}
    assert {i["value"] for i in data["identities"]} == {
        "ana.secret@example.com",
        "ana-77",
        "+6289999999999",
    }
    assert len(data["events"]) == 2 and data["events"][0]["properties"] == {}
    assert [c["status"] for c in data["consents"]] == ["granted"]
    assert [s["name"] for s in data["segments"]] == ["everyone"]
    assert [label["label"] for label in data["labels"]] == ["vip"]
    assert {c["field"] for c in data["changes"]} >= {"city", "nickname"}
    assert len(data["merges"]) == 1
    json.dumps(data)  # plain JSON, ready to hand over


def test_sessions_that_start_together_are_listed_in_one_order(ws: Workspace) -> None:
    """Sessions of the same moment are ordered by their id (the profile's list newest first,
    the export oldest first): the same export on every run."""
    pid = ws.profiles.create({"email": "twins@example.com"}).id
    for session_id in ("s-b", "s-a", "s-c"):
        add_session(ws, session_id, pid, T0)
    assert ws.profiles.sessions(pid)["id"].tolist() == ["s-c", "s-b", "s-a"]
    assert [s["id"] for s in ws.privacy.export(pid)["sessions"]] == ["s-a", "s-b", "s-c"]
