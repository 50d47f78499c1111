"""Admission and loading (engine/ingest/intake.py) on a real workspace: admission refuses
exactly the messages the store would refuse, with the same reasons; loading stores admitted
requests as one batch with the journal position; what the store still refuses is kept, not
dropped."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine import Workspace
from engine.clock import utcnow
from engine.ingest.intake import Part
from engine.ingest.stage import NO_IDENTITY

AT = dt.datetime(2026, 11, 20, 9, 0)


def track(user: str, event: str = "tick", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": user, **extra}


def undated(reason: str) -> str:
    """A reason with its dates masked: a clock-skew correction moves a time by the receipt
    time, which differs between the two paths."""
    return re.sub(r"\d{4}-\d\d-\d\d", "<date>", reason)


def nested_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


TRICKY: list[Any] = [
    track("ana"),
    {"type": "track", "event": "no_one"},
    {"type": "track", "event": "blank_ids", "userId": "  ", "anonymousId": ""},
    {"type": "identify", "userId": "bo", "traits": {"email": "not-an-email"}},
    {"type": "identify", "userId": "cy", "traits": {"email": "  Cy@Example.COM "}},
    {"type": "identify", "userId": "null"},
    {"type": "track", "event": "anon", "anonymousId": "Anonymous"},
    {"type": "identify", "traits": {"phone": "0"}},
    {"type": "identify", "traits": {"phone": "+44 (20) 7946-0958"}},
    {"type": "identify", "userId": "di", "traits": {"lifetime_value": -5}},
    {"type": "identify", "userId": "ed", "traits": {"lifetime_value": "lots", "vip": "maybe"}},
    {"type": "identify", "userId": "fa", "traits": {"lifetime_value": 12.5, "vip": True}},
    track("gus", timestamp="yesterday"),
    {"type": "teleport", "userId": "hal"},
    "not an object",
    track("ivy", properties=[1, 2]),
    track("jo", event="Order Completed", properties={"amount": 3}),
    # issue 11: the value checks the canonical frame makes for both paths
    track(float("nan")),
    track("nul\x00id"),
    track("ts", timestamp=False),
    track("ts", timestamp="9999-01-01T00:00:00Z"),
    track("sk", timestamp="2026-11-20T08:00:00Z", sentAt="1526-01-01T00:00:00Z"),
    track("deep", properties={"a": nested_list(40)}),
    track("nan", properties={"x": float("inf")}),
    track("emoji", event="🎉 Party"),
    track("tr", event="Ürün Görüntülendi"),
]


def with_catalog(ws: Workspace) -> Workspace:
    ws.catalog.define_property("lifetime_value", "number", min=0)
    ws.catalog.define_property("vip", "boolean")
    return ws


def test_admission_refuses_what_the_store_refuses_with_the_same_reasons(ws: Workspace) -> None:
    with_catalog(ws)
    admitted = ws.intake.admit(TRICKY, AT)
    refused_at_the_edge = {r.index: undated(r.reason) for r in admitted.refused}
    report = ws.ingest.messages(TRICKY)
    refused_by_the_store = {r.line - 1: undated(r.reason) for r in report.rejected}
    assert refused_at_the_edge == refused_by_the_store
    assert refused_at_the_edge[1] == NO_IDENTITY
    assert "not-an-email" in refused_at_the_edge[3]
    assert {5, 6, 7} <= set(refused_at_the_edge)  # blocked values: "null", "anonymous", "0"
    assert {4, 8, 11, 16, 25} & set(refused_at_the_edge) == set()
    assert set(range(17, 25)) <= set(refused_at_the_edge)
    assert len(admitted.messages) == report.accepted == admitted.canon.num_rows


def test_admitted_rows_are_renumbered_in_order(ws: Workspace) -> None:
    admitted = ws.intake.admit([track("a"), {"type": "bad"}, track("b")], AT)
    assert admitted.canon["_line"].to_pylist() == [1, 2]
    assert [m["userId"] for m in admitted.messages] == ["a", "b"]
    assert [r.index for r in admitted.refused] == [1]


def test_admission_sees_catalog_and_settings_changes_at_once(ws: Workspace) -> None:
    message = {"type": "identify", "userId": "vip-1", "traits": {"lifetime_value": -1}}
    assert ws.intake.admit([message], AT).refused == []
    ws.catalog.define_property("lifetime_value", "number", min=0)
    assert "lifetime_value" in ws.intake.admit([message], AT).refused[0].reason
    ws.settings.set_blocked_values([*ws.settings.blocked_values, "vip-2"])
    assert ws.intake.admit([track("vip-2")], AT).refused[0].reason.startswith("no usable identity")


def part(ws: Workspace, messages: list[Any]) -> Part:
    admitted = ws.intake.admit(messages, AT)
    return Part(AT, admitted.messages, admitted.canon)


def test_load_stores_many_requests_as_one_batch_with_the_journal_position(ws: Workspace) -> None:
    parts = [part(ws, [track(f"u{r}", messageId=f"m{r}-{i}") for i in range(3)]) for r in range(4)]
    loaded = ws.intake.load(parts, last_seq=4)
    assert loaded.report.accepted == 12 and len(loaded.report.batch_ids) == 1
    assert ws.intake.loaded_seq() == 4
    again = ws.intake.load(parts[:2], last_seq=2)  # a replay after a crash: stored once
    assert again.report.accepted == 0 and again.report.duplicates == 6
    assert ws.intake.loaded_seq() == 4
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'tick'") == 12


def test_what_the_store_refuses_at_load_time_is_kept_with_its_reason(ws: Workspace) -> None:
    admitted = part(ws, [track("keep-me"), track("late-blocked", event="paid")])
    ws.settings.set_blocked_values([*ws.settings.blocked_values, "late-blocked"])
    loaded = ws.intake.load([admitted], last_seq=1)
    assert loaded.report.accepted == 1 and len(loaded.failures) == 1
    [failure] = ws.intake.failures()
    assert failure.reason.startswith("no usable identity")
    assert '"late-blocked"' in failure.message and failure.received_at == AT
    assert ws.intake.failure_count() == 1 and ws.intake.loaded_seq() == 1


def test_a_batch_that_cannot_be_stored_is_kept_whole(ws: Workspace) -> None:
    admitted = part(ws, [track("x1"), track("x2")])
    kept = ws.intake.fail([admitted], 7, "the batch could not be stored: disk full")
    assert kept == ["the batch could not be stored: disk full"] * 2
    assert ws.intake.failure_count() == 2 and ws.intake.loaded_seq() == 7
    assert ws.db.scalar("SELECT count(*) FROM events") == 0


def test_replayed_messages_get_the_time_they_were_received(ws: Workspace) -> None:
    received = utcnow() - dt.timedelta(hours=3)
    canon = ws.intake.canonical([track("late")], received)
    ws.intake.load([Part(received, [track("late")], canon)], last_seq=1)
    stored = ws.db.scalar("SELECT ts FROM events WHERE type = 'tick'")
    assert abs(stored - received) < dt.timedelta(seconds=1)


def test_a_message_without_id_or_time_is_a_new_event_each_time(ws: Workspace) -> None:
    ping = {"type": "track", "event": "ping", "userId": "p1"}
    timed = {**ping, "event": "timed", "timestamp": "2026-11-20T09:00:00Z"}
    parts = [part(ws, [ping, timed]), part(ws, [ping, timed])]  # sent twice
    loaded = ws.intake.load(parts, last_seq=2)
    assert loaded.report.accepted == 3 and loaded.report.duplicates == 1
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'ping'") == 2
    assert parts[0].messages[0]["messageId"] != parts[1].messages[0]["messageId"]
    assert "messageId" not in parts[0].messages[1]  # a retry of a timed message is one event
