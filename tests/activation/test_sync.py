"""Segment syncs on a real workspace file and a local receiver: a full sync, then exactly the
deltas (ingestion, an edit, consent, time passing); retries keep ids and order; dead letters;
pacing; file drops as CSV snapshots and Parquet deltas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from engine import Workspace
from engine.activation.delivery import idempotency_key
from engine.changes import Change, ChangeKind
from engine.clock import utcnow
from tests.activation.receivers import Receiver, receiving
from tests.analytics.messages import identify, track

LATER = dt.timedelta(minutes=10)  # past any backoff the tests set


def _people(ws: Workspace, countries: dict[str, str]) -> dict[str, int]:
    ws.ingest.messages([identify(user, country=c) for user, c in countries.items()])
    return {user: ws.profiles.find("user_id", user) for user in countries}


def _events(receiver: Receiver, start: int = 0) -> list[tuple[str, int]]:
    return [(m["event"], m["profile_id"]) for m in receiver.messages()[start:]]


def test_a_full_sync_then_exactly_the_deltas(ws: Workspace) -> None:
    ids = _people(ws, {"u1": "ID", "u2": "ID", "u3": "US", "u4": "US"})
    ws.catalog.register_event_type("promo")
    ws.segments.save("indo", expression='country = "ID" or did promo in last 30 minutes')
    with receiving() as rx:
        made = ws.activation.create_destination("crm", "webhook", {"url": rx.url})
        ws.activation.attach("crm", "indo")
        assert ws.activation.run()["delivered"] == 1
        [first] = rx.accepted()
        assert first.json["full"] is True and first.json["audience"] == "indo"
        assert _events(rx) == [("Audience Entered", ids["u1"]), ("Audience Entered", ids["u2"])]
        assert ws.activation.run()["queued"] == 0  # nothing moved: nothing sent

        start = utcnow()
        ws.ingest.messages([track("u3", "promo", timestamp=start.isoformat() + "Z")])
        ws.profiles.update(ids["u1"], {"country": "US"}, actor="t")
        ws.activation.run()
        assert sorted(_events(rx, 2)) == [
            ("Audience Entered", ids["u3"]),
            ("Audience Exited", ids["u1"]),
        ]
        assert rx.accepted()[-1].json["full"] is False

        ws.commit(Change(ChangeKind.TIME, as_of=start + dt.timedelta(hours=1)))  # time passes
        ws.activation.run()
        assert _events(rx, 4) == [("Audience Exited", ids["u3"])]
        assert rx.signatures_valid(str(made.signing_secret))
    told = {s.segment: s.synced_members for s in ws.activation.syncs()}
    assert told == {"indo": 1}  # u2 alone is still in, as the destination was told
    assert len(rx.unique_messages()) == len(rx.messages()) == 5  # every message id is new


def test_a_failed_delivery_is_retried_with_its_ids_and_blocks_what_follows(
    ws: Workspace,
) -> None:
    ids = _people(ws, {"u1": "ID", "u2": "ID", "u3": "ID"})
    ws.segments.save("indo", expression='country = "ID"')
    ws.settings.set_webhook_backoff_seconds(30)
    with receiving(failures=1) as rx:
        ws.activation.create_destination("crm", "webhook", {"url": rx.url, "batch_size": 2})
        ws.activation.attach("crm", "indo")
        now = utcnow()
        assert ws.activation.run(now)["retrying"] == 1
        assert len(rx.requests) == 1  # the second batch waits behind the first
        assert ws.activation.run(now + dt.timedelta(seconds=10))["delivered"] == 0  # backoff
        assert ws.activation.run(now + dt.timedelta(seconds=31))["delivered"] == 2
    keys = [r.headers["idempotency-key"] for r in rx.requests]
    assert keys[0] == keys[1] != keys[2]  # the retry carries the refused request's key
    assert rx.requests[0].body == rx.requests[1].body
    assert sorted(m["profile_id"] for m in rx.messages()) == sorted(ids.values())
    log = ws.activation.deliveries("crm")
    assert log["status"].tolist() == ["delivered", "delivered"]
    assert sorted(log["attempts"].tolist()) == [1, 2]


def test_a_delivery_that_keeps_failing_goes_to_the_dead_letters_and_can_be_retried(
    ws: Workspace,
) -> None:
    _people(ws, {"u1": "ID"})
    ws.segments.save("indo", expression='country = "ID"')
    ws.settings.set_webhook_max_attempts(2)
    with receiving(failures=2) as rx:
        ws.activation.create_destination("crm", "webhook", {"url": rx.url})
        ws.activation.attach("crm", "indo")
        now = utcnow()
        ws.activation.run(now)
        assert ws.activation.run(now + LATER)["dead"] == 1
        dead = ws.activation.deliveries("crm", status="dead")
        assert len(dead) == 1 and dead["last_error"].iloc[0].startswith("HTTP 500")
        assert ws.activation.health()["dead"].tolist() == [1]
        assert ws.activation.retry_dead("crm") == 1
        assert ws.activation.run(now + 2 * LATER)["delivered"] == 1
    assert len(rx.unique_messages()) == 1


def test_a_destination_is_paced_by_its_rate(ws: Workspace) -> None:
    _people(ws, {f"u{i}": "ID" for i in range(5)})
    ws.segments.save("indo", expression='country = "ID"')
    with receiving() as rx:
        options = {"url": rx.url, "batch_size": 1, "rate_per_second": 2}
        ws.activation.create_destination("crm", "webhook", options)
        ws.activation.attach("crm", "indo")
        assert [ws.activation.run()["delivered"] for _ in range(3)] == [2, 2, 1]
    assert len(rx.unique_messages()) == 5


def test_a_destination_with_a_channel_syncs_only_people_who_granted_it(ws: Workspace) -> None:
    ids = _people(ws, {"u1": "ID", "u2": "ID"})
    ws.consent.set(ids["u1"], "email", "granted")
    ws.segments.save("indo", expression='country = "ID"')
    with receiving() as rx:
        ws.activation.create_destination("esp", "webhook", {"url": rx.url}, channel="email")
        ws.activation.attach("esp", "indo")
        ws.activation.run()
        assert _events(rx) == [("Audience Entered", ids["u1"])]
        ws.consent.set(ids["u1"], "email", "revoked")
        ws.consent.set(ids["u2"], "email", "granted")
        ws.activation.run()
    assert sorted(_events(rx, 1)) == [
        ("Audience Entered", ids["u2"]),
        ("Audience Exited", ids["u1"]),
    ]


def test_a_file_drop_writes_a_snapshot_then_deltas(ws: Workspace, tmp_path: Path) -> None:
    ids = _people(ws, {"u1": "ID", "u2": "ID", "u3": "US"})
    ws.segments.save("indo", expression='country = "ID"')
    out = tmp_path / "drops"
    for fmt in ("csv", "parquet"):
        options = {"directory": str(out / fmt), "format": fmt, "interval_seconds": 60}
        ws.activation.create_destination(f"lake-{fmt}", "file", options)
        ws.activation.attach(f"lake-{fmt}", "indo")
    now = utcnow()
    ws.activation.run(now)
    ws.profiles.update(ids["u3"], {"country": "ID"}, actor="t")
    assert ws.activation.run(now + dt.timedelta(seconds=30))["queued"] == 0  # not due yet
    ws.activation.run(now + dt.timedelta(seconds=61))
    for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        files = sorted((out / fmt).iterdir())
        assert [f.name.rsplit("-", 1)[1] for f in files] == [f"snapshot.{fmt}", f"delta.{fmt}"]
        snapshot, delta = (read(f) for f in files)
        assert snapshot["profile_id"].tolist() == [ids["u1"], ids["u2"]]
        assert set(snapshot["change"]) == {"entered"}
        assert delta[["profile_id", "change"]].values.tolist() == [[ids["u3"], "entered"]]
        assert delta["user_id"].tolist() == ["u3"]


def test_a_sync_of_a_static_list_follows_its_members(ws: Workspace) -> None:
    ids = _people(ws, {"u1": "ID", "u2": "US"})
    ws.segments.save("vips", kind="static")
    ws.segments.add_members("vips", [ids["u2"]], "t")
    with receiving() as rx:
        ws.activation.create_destination("crm", "webhook", {"url": rx.url})
        ws.activation.attach("crm", "vips")
        ws.activation.run()
        ws.segments.remove_members("vips", [ids["u2"]], "t")
        ws.activation.run()
    assert _events(rx) == [("Audience Entered", ids["u2"]), ("Audience Exited", ids["u2"])]
    assert rx.requests[0].headers["idempotency-key"] == idempotency_key(1)


def test_messaging_destinations_take_broadcasts_not_syncs(ws: Workspace) -> None:
    _people(ws, {"u1": "ID"})
    ws.segments.save("indo", expression='country = "ID"')
    body = '{"to": "{{address}}", "text": "{{message}}"}'
    options = {"url": "http://127.0.0.1:9/send", "body": body}
    ws.activation.create_destination("wa", "messaging", options, channel="whatsapp")
    with pytest.raises(Exception, match="send it broadcasts"):
        ws.activation.attach("wa", "indo")
