"""Broadcasts on a real workspace file and a local provider: the audience split with reasons,
consent checked again at send time, scheduled and cancelled broadcasts, and `message_sent`
events on the timeline with nothing for the consent audit to find."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.clock import utcnow
from kith_errors import Conflict, ValidationError
from tests.activation.receivers import Receiver, receiving
from tests.analytics.messages import identify

BODY = '{"to": "{{address}}", "text": "Hi {{name}}, {{message}}", "id": "{{message_id}}"}'
GRANTED_AT = dt.datetime(2026, 1, 1)


def _audience(ws: Workspace) -> dict[str, int]:
    """Five Indonesians: two reachable on WhatsApp, one who denied it, one without a phone, one
    whose number is blocked."""
    people = {
        "ok1": {"phone": "+6281100001", "name": "Ana"},
        "ok2": {"phone": "+6281100002", "name": 'Bo "B" {x}'},
        "denied": {"phone": "+6281100003"},
        "nophone": {},
        "blocked": {"phone": "+6281100005"},
    }
    ws.ingest.messages([identify(u, country="ID", **traits) for u, traits in people.items()])
    ids = {u: ws.profiles.find("user_id", u) for u in people}
    for user, pid in ids.items():
        ws.consent.set(pid, "whatsapp", "denied" if user == "denied" else "granted", at=GRANTED_AT)
    ws.settings.set_blocked_values(["+6281100005"])
    ws.segments.save("indo", expression='country = "ID"')
    return ids


def _provider(ws: Workspace, rx: Receiver) -> None:
    options = {"url": rx.url, "body": BODY, "headers": {"Authorization": "Bearer {{secret}}"}}
    ws.activation.create_destination(
        "wa", "messaging", options, channel="whatsapp", secret="provider-token-1"
    )


def test_the_split_says_who_is_skipped_and_why(ws: Workspace) -> None:
    ids = _audience(ws)
    with receiving() as rx:
        _provider(ws, rx)
        split = ws.activation.preview("indo", "wa").set_index("profile_id")
        assert rx.requests == []  # a preview sends nothing
    reasons = {user: split.loc[pid, "reason"] for user, pid in ids.items()}
    assert reasons == {
        "ok1": None,
        "ok2": None,
        "denied": "consent denied for whatsapp",
        "nophone": "no whatsapp identity",
        "blocked": "whatsapp identity is blocked",
    }
    ws.activation.create_destination("crm", "webhook", {"url": "http://127.0.0.1:9/"})
    with pytest.raises(ValidationError, match="broadcasts go through a messaging one"):
        ws.activation.preview("indo", "crm")


def test_a_broadcast_sends_to_consenting_people_and_logs_the_rest(ws: Workspace) -> None:
    ids = _audience(ws)
    with receiving() as rx:
        _provider(ws, rx)
        made = ws.activation.broadcast("promo", "indo", "wa", "50% off today")
        assert ws.activation.run()["delivered"] == 2
    bodies = sorted((r.json for r in rx.accepted()), key=lambda b: b["to"])
    assert bodies == [
        {
            "to": "+6281100001",
            "text": "Hi Ana, 50% off today",
            "id": f"kith-broadcast-{made.id}-{ids['ok1']}",
        },
        {
            "to": "+6281100002",
            "text": 'Hi Bo "B" {x}, 50% off today',
            "id": f"kith-broadcast-{made.id}-{ids['ok2']}",
        },
    ]
    assert {r.headers["authorization"] for r in rx.accepted()} == {"Bearer provider-token-1"}
    log = ws.activation.send_log(made.id).set_index("profile_id")
    assert log.loc[ids["ok1"], "status"] == "sent"
    assert log.loc[ids["denied"], "status"] == "skipped"
    assert log.loc[ids["blocked"], "reason"] == "whatsapp identity is blocked"
    summary = ws.activation.broadcasts().iloc[0]
    assert (summary["status"], summary["sent"], summary["skipped"]) == ("sent", 2, 3)
    timeline = ws.profiles.timeline(ids["ok1"])
    sent = timeline[timeline["type"] == "message_sent"]
    assert len(sent) == 1 and sent["channel"].iloc[0] == "whatsapp"
    assert ws.profiles.timeline(ids["denied"]).query("type == 'message_sent'").empty
    assert ws.consent.violations().empty


def test_consent_withdrawn_after_queueing_stops_the_send(ws: Workspace) -> None:
    ids = _audience(ws)
    ws.settings.set_webhook_backoff_seconds(5)
    with receiving(failures=1) as rx:  # the first message is refused: the rest wait
        _provider(ws, rx)
        made = ws.activation.broadcast("promo", "indo", "wa", "hello")
        now = utcnow()
        assert ws.activation.run(now)["retrying"] == 1
        ws.consent.set(ids["ok2"], "whatsapp", "revoked")
        result = ws.activation.run(utcnow() + dt.timedelta(seconds=6))
    assert (result["delivered"], result["skipped"]) == (1, 1)
    log = ws.activation.send_log(made.id).set_index("profile_id")
    assert log.loc[ids["ok2"], "status"] == "skipped"
    assert log.loc[ids["ok2"], "reason"] == "no granted whatsapp consent at send time"
    assert {r.json["to"] for r in rx.accepted()} == {"+6281100001"}
    assert ws.consent.violations().empty


def test_a_scheduled_broadcast_waits_for_its_time_and_can_be_cancelled(ws: Workspace) -> None:
    _audience(ws)
    with receiving() as rx:
        _provider(ws, rx)
        at = utcnow() + dt.timedelta(hours=1)
        later = ws.activation.broadcast("later", "indo", "wa", "soon", send_at=at)
        never = ws.activation.broadcast("never", "indo", "wa", "no", send_at=at)
        assert ws.activation.run()["broadcasts_started"] == 0
        ws.activation.cancel_broadcast(never.id)
        assert ws.activation.run(at)["broadcasts_started"] == 1
        with pytest.raises(Conflict, match="started already"):
            ws.activation.cancel_broadcast(later.id)
    assert len(rx.accepted()) == 2
    statuses = ws.activation.broadcasts().set_index("name")["status"].to_dict()
    assert statuses == {"later": "sent", "never": "cancelled"}
