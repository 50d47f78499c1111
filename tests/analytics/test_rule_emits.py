"""Events a rule emits belong to the profile it fired for, whatever identities that profile has
(none at all included); they run the rules one level deeper like any ingested batch."""

from __future__ import annotations

import datetime as dt
import json

from engine import Workspace
from tests.analytics.messages import track

T = dt.datetime(2026, 3, 2, 8, 0)


def emitted(ws: Workspace, event: str) -> list[tuple[int, dict]]:
    rows = ws.db.rows(
        "SELECT profile_id, properties FROM events WHERE type = $t ORDER BY profile_id",
        {"t": event},
    )
    return [(int(pid), json.loads(props)) for pid, props in rows]


def setup_rules(ws: Workspace) -> None:
    ws.catalog.register_event_type("checked", properties={"plan": "string", "n": "number"})
    ws.rules.add(
        "daily", 'every day if country = "ID" then emit event "checked" with plan = "pro", n = 3'
    )
    ws.rules.add("chain", 'when checked then add label "checked"')


def test_emit_for_a_profile_without_any_identity(ws: Workspace) -> None:
    setup_rules(ws)
    keyless = ws.profiles.create({"email": "gone@example.com"}, {"country": "ID"}).id
    ws.db.execute("DELETE FROM identities WHERE profile_id = $id", {"id": keyless})
    assert ws.rules.run_schedules(T) == {"daily": 1}
    assert emitted(ws, "checked") == [(keyless, {"plan": "pro", "n": 3})]
    assert ws.db.scalar("SELECT count(*) FROM profiles") == 1  # nobody new was made up
    assert ws.labels.of(keyless) == ["checked"]  # the emitted event ran the rules
    chain = ws.rules.log("chain")
    assert chain[["profile_id", "depth"]].values.tolist() == [[keyless, 1]]


def test_emit_for_profiles_known_only_by_a_channel_id(ws: Workspace) -> None:
    setup_rules(ws)
    reader = ws.profiles.create({"whatsapp": "+4915112345678"}, {"country": "ID"}).id
    other = ws.profiles.create({"email": "de@example.com"}, {"country": "DE"}).id
    ws.rules.run_schedules(T)
    assert [pid for pid, _ in emitted(ws, "checked")] == [reader]
    row = ws.db.dicts("SELECT source, ts, batch_id FROM events WHERE type = 'checked'")[0]
    assert (row["source"], row["ts"]) == ("rule", T)
    assert row["batch_id"] is not None
    assert ws.labels.of(other) == []


def test_emit_carries_values_of_the_triggering_event(ws: Workspace) -> None:
    ws.catalog.register_event_type("thanked", properties={"amount": "number", "via": "string"})
    ws.rules.add(
        "thank",
        'when purchase where amount > 5 then emit event "thanked" with amount = event.amount, '
        "via = event.channel",
    )
    ws.ingest.messages(
        [
            track("u1", "purchase", {"amount": 80}, context={"channel": "sms"}),
            track("u2", "purchase", {"amount": 1}),
        ]
    )
    u1 = ws.profiles.find("user_id", "u1")
    [(pid, props)] = emitted(ws, "thanked")
    assert pid == u1
    assert props["via"] == "sms"
    assert props["amount"] == 80  # a number, as the event type says
    log = ws.rules.log("thank")
    assert log["outcome"].tolist() == ["applied"]
