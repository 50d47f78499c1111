"""Acceptance on a real `kith serve` with local receivers on 127.0.0.1: a webhook gets a full
sync and then exactly the deltas (ingestion, an edit, time passing), a refused delivery once,
signed; a restart mid-sync neither loses nor doubles; a forward feeds a second `kith serve`
through its write key; a broadcast to 1,000 demo people reaches exactly those who granted
consent on its channel."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine import Workspace
from engine.clock import utcnow
from engine.demo import DemoSpec
from engine.demo.load import build
from tests.activation.receivers import Receiver, receiving
from tests.api.conftest import new_server

pytestmark = pytest.mark.xdist_group("activation_served")

WITHIN = 120.0  # seconds: generous, the machine may be shared
ENTERED, EXITED = "Audience Entered", "Audience Exited"
OLD = "2026-03-01T10:00:00Z"


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not check():
        assert time.monotonic() < deadline, f"not within {WITHIN:.0f} s: {what}"
        time.sleep(0.1)


def _identify(user: str, country: str, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "traits": {"country": country, **traits}}


def _events(rx: Receiver) -> list[tuple[str, int]]:
    return [(m["event"], m["profile_id"]) for m in rx.messages()]


def test_a_webhook_gets_a_full_sync_then_exactly_the_deltas(tmp_path: Path) -> None:
    server = new_server(tmp_path)
    with Workspace.open(server.db) as ws:
        ws.settings.set_webhook_backoff_seconds(1)
        ws.settings.set_time_refresh_seconds(1)
        people = {"u1": "ID", "u2": "ID", "u3": "US", "u4": "US"}
        ws.ingest.messages([_identify(u, c) for u, c in people.items()])
        ws.catalog.register_event_type("promo")
        ws.ingest.messages([{"type": "track", "userId": "u3", "event": "promo", "timestamp": OLD}])
        ws.segments.save("indo", expression='country = "ID" or did promo in last 1 minutes')
        ids = {u: ws.profiles.find("user_id", u) for u in people}
    with receiving(failures=1) as rx:
        server.start()
        try:
            with server.client() as api:
                hook = {"url": rx.url, "batch_size": 1}
                made = api.post(
                    "/api/destinations", json={"name": "crm", "kind": "webhook", "options": hook}
                )
                assert made.status_code == 201, made.text
                secret = made.json()["signing_secret"]
                assert api.get("/api/destinations/crm").json()["secret"] == secret[:4] + "…"
                sync = api.post("/api/syncs", json={"destination": "crm", "segment": "indo"})
                assert sync.status_code == 201, sync.text
                full = {(ENTERED, ids["u1"]), (ENTERED, ids["u2"])}
                eventually(lambda: set(_events(rx)) == full, "the full sync")

                recent = (utcnow() - dt.timedelta(seconds=40)).isoformat() + "Z"
                promo = {"userId": "u4", "event": "promo", "timestamp": recent}
                with server.client("ingest") as tracker:
                    assert tracker.post("/v1/track", json=promo).status_code == 200
                eventually(lambda: (ENTERED, ids["u4"]) in _events(rx), "entered by ingestion")
                for user, country in (("u3", "ID"), ("u1", "US")):
                    edit = {"changes": {"country": country}}
                    assert api.patch(f"/api/profiles/{ids[user]}", json=edit).status_code == 200
                eventually(lambda: (EXITED, ids["u1"]) in _events(rx), "exited by an edit")
                eventually(lambda: (EXITED, ids["u4"]) in _events(rx), "exited as time passed")
                time.sleep(3)  # time for anything that would be sent twice
        finally:
            server.stop()
    assert sorted(_events(rx)) == sorted(
        [
            (ENTERED, ids["u1"]),
            (ENTERED, ids["u2"]),
            (ENTERED, ids["u4"]),
            (ENTERED, ids["u3"]),
            (EXITED, ids["u1"]),
            (EXITED, ids["u4"]),
        ]
    )
    refused, retried = rx.requests[0], rx.requests[1]
    assert refused.status == 500 and retried.status == 200
    assert refused.headers["idempotency-key"] == retried.headers["idempotency-key"]
    assert len(rx.unique_messages()) == len(rx.messages())  # each payload received once
    assert rx.signatures_valid(secret)


def test_a_restart_mid_sync_neither_loses_nor_doubles(tmp_path: Path) -> None:
    server = new_server(tmp_path)
    members = 30
    with receiving(delay=0.1) as rx:
        with Workspace.open(server.db) as ws:
            ws.ingest.messages([_identify(f"u{i}", "ID") for i in range(members)])
            ws.segments.save("indo", expression='country = "ID"')
            ws.activation.create_destination("crm", "webhook", {"url": rx.url, "batch_size": 1})
            ws.activation.attach("crm", "indo")
        server.start()
        try:
            eventually(lambda: len(rx.accepted()) >= 10, "the sync under way")
            assert server.stop(signal.SIGKILL) != 0  # a crash in the middle
            assert len(rx.accepted()) < members
            server.start()
            eventually(lambda: len(rx.unique_messages()) == members, "the rest of the sync")
            time.sleep(2)  # time for anything that would be sent twice
        finally:
            server.stop()
    first_key: dict[str, str] = {}
    for request in rx.accepted():
        [message] = request.json["messages"]
        key = request.headers["idempotency-key"]
        # a message seen twice is the one in flight at the crash, resent with its own key
        assert first_key.setdefault(message["messageId"], key) == key
    assert len(rx.accepted()) <= members + 1
    with Workspace.open(server.db) as ws:
        log = ws.activation.deliveries("crm")
        assert set(log["status"]) == {"delivered"} and len(log) == members
        assert ws.activation.syncs()[0].synced_members == members


def test_a_forward_feeds_a_second_kith_through_its_write_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source, target = new_server(tmp_path / "a"), new_server(tmp_path / "b")
    with Workspace.open(source.db) as ws:
        ws.ingest.messages(
            [
                _identify("u1", "ID", email="u1@example.com"),
                _identify("u2", "ID"),
                _identify("u3", "US"),
                {
                    "type": "identify",
                    "anonymousId": "a-9",
                    "traits": {"country": "ID", "email": "nine@example.com"},
                },
            ]
        )
        ws.segments.save("indo", expression='country = "ID"')
        u2 = ws.profiles.find("user_id", "u2")
    target.start()
    source.start()
    try:
        with source.client() as api:
            forward = {
                "name": "kith-b",
                "kind": "segment",
                "secret": target.keys["ingest"],
                "options": {"url": f"{target.url}/v1/batch"},
            }
            made = api.post("/api/destinations", json=forward)
            assert made.status_code == 201, made.text
            assert target.keys["ingest"] not in made.text
            api.post("/api/syncs", json={"destination": "kith-b", "segment": "indo"})
            eventually(lambda: _delivered(api, "kith-b") == 1, "the full sync forwarded")
            api.patch(f"/api/profiles/{u2}", json={"changes": {"country": "US"}})
            eventually(lambda: _delivered(api, "kith-b") == 2, "the exit forwarded")
        with target.client() as other:
            eventually(lambda: _audience_events(other) == 4, "the target loaded the calls")
    finally:
        source.stop()
        target.stop()
    with Workspace.open(target.db) as ws:
        events, _ = ws.events.list(types=["audience_entered", "audience_exited"], limit=100)
        last = events.sort_values("ts").groupby("profile_id")["type"].last()
        inside = {pid for pid, kind in last.items() if kind == "audience_entered"}
        expected = {
            ws.profiles.find("user_id", "u1"),
            ws.profiles.find("email", "nine@example.com"),
        }
        assert inside == expected
        assert ws.profiles.find("user_id", "u2") in set(last.index) - inside
        assert ws.profiles.find("user_id", "u3") not in set(last.index)


def _delivered(api: Any, destination: str) -> int:
    answer = api.get(f"/api/destinations/{destination}/deliveries", params={"status": "delivered"})
    return len(answer.json()["deliveries"])


def _audience_events(api: Any) -> int:
    answer = api.get("/api/events", params={"type": ["audience_entered", "audience_exited"]})
    return len(answer.json()["events"])


def test_a_broadcast_to_a_thousand_demo_people_respects_consent(tmp_path: Path) -> None:
    server = new_server(tmp_path)
    with Workspace.open(server.db) as ws:
        build(ws, DemoSpec(profiles=1000, days=30, seed=11, until=dt.date(2026, 11, 1)))
        ws.segments.save("everyone", expression='created_at before "2100-01-01"')
        granted, reachable = _whatsapp(ws)
        before = set(ws.consent.violations()["event_id"])  # the demo's own campaigns have some
    with receiving() as rx:
        server.start()
        try:
            with server.client() as api:
                body = '{"to": "{{address}}", "person": "{{profile_id}}", "text": "{{message}}"}'
                provider = {"url": rx.url, "body": body}
                made = api.post(
                    "/api/destinations",
                    json={
                        "name": "wa",
                        "kind": "messaging",
                        "channel": "whatsapp",
                        "options": provider,
                    },
                )
                assert made.status_code == 201, made.text
                audience = {"audience": "everyone", "destination": "wa"}
                preview = api.post("/api/broadcasts/preview", json=audience).json()
                assert preview["send"] + preview["skip"] == 1000
                assert rx.requests == []
                sent = api.post(
                    "/api/broadcasts", json={**audience, "name": "promo", "message": "hello"}
                )
                assert sent.status_code == 201, sent.text
                eventually(lambda: _status(api) == "sent", "the broadcast sent")
                log = api.get(f"/api/broadcasts/{sent.json()['id']}/sends").json()["sends"]
        finally:
            server.stop()
    received = {int(r.json["person"]) for r in rx.accepted()}
    assert received == granted & reachable and preview["send"] == len(received)
    assert len(rx.accepted()) == len(received)  # each person once
    by_status: dict[str, set[int]] = {}
    for row in log:
        by_status.setdefault(row["status"], set()).add(row["profile_id"])
    assert by_status["sent"] == received
    assert len(log) == 1000 and set(by_status) == {"sent", "skipped"}
    for row in log:
        if row["status"] == "skipped":
            expected = "no whatsapp identity" if row["profile_id"] in granted else "for whatsapp"
            assert expected in row["reason"]
    with Workspace.open(server.db) as ws:
        assert set(ws.consent.violations()["event_id"]) == before  # the broadcast added none
        sample = min(received)
        assert "message_sent" in set(ws.profiles.timeline(sample)["type"])


def _status(api: Any) -> str:
    return str(api.get("/api/broadcasts").json()["broadcasts"][0]["status"])


def _whatsapp(ws: Workspace) -> tuple[set[int], set[int]]:
    """Who granted WhatsApp consent (their latest change) and who has a WhatsApp address,
    read through the services the dashboard uses."""
    history = ws.consent.history(channel="whatsapp", limit=100_000)
    history = history[history["purpose"] == "marketing"]
    latest = history.sort_values(["changed_at", "id"]).groupby("profile_id")["status"].last()
    granted = {int(pid) for pid, status in latest.items() if status == "granted"}
    reachable = set()
    for pid in granted:
        types = set(ws.profiles.identities(pid)["type"])
        if types & {"whatsapp", "phone"}:
            reachable.add(pid)
    return granted, reachable
