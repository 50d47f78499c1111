"""Rules through the real ingestion engine: triggers, conditions, every action, priority, chains,
the loop bound, schedules, segment triggers and dry runs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from engine import Workspace
from engine.rules.actions import MAX_DEPTH
from kith_errors import Conflict, DslError, NotFound
from tests.analytics.messages import identify, track


def profile(ws: Workspace, user: str) -> int:
    found = ws.profiles.find("user_id", user)
    assert found is not None
    return found


def outcomes(ws: Workspace, name: str) -> list[str]:
    return ws.rules.log(name)["outcome"].tolist()


def test_event_trigger_with_a_filter(ws: Workspace) -> None:
    ws.rules.add("big", 'when purchase where amount > 500 then add label "high-value"')
    ws.ingest.messages(
        [track("u1", "purchase", {"amount": 900}), track("u2", "purchase", {"amount": 90})]
    )
    assert ws.labels.of(profile(ws, "u1")) == ["high-value"]
    assert ws.labels.of(profile(ws, "u2")) == []
    log = ws.rules.log("big")
    assert log["profile_id"].tolist() == [profile(ws, "u1")]
    assert log["event_id"].notna().all()


def test_a_condition_is_evaluated_for_the_profile_at_that_moment(ws: Workspace) -> None:
    ws.catalog.define_property("forms_submitted", "number")
    ws.rules.add(
        "leads",
        'when form_submitted if country = "US" then set lifecycle = "lead", '
        "increment forms_submitted",
    )
    ws.ingest.messages([identify("us", country="US"), identify("de", country="DE")])
    later = "2026-03-01T10:05:00Z"
    ws.ingest.messages(
        [
            track("us", "form_submitted"),
            track("us", "form_submitted", timestamp=later),
            track("de", "form_submitted"),
        ]
    )
    people = ws.db.df("SELECT id, lifecycle, forms_submitted FROM profiles").set_index("id")
    assert people.loc[profile(ws, "us"), "lifecycle"] == "lead"
    assert people.loc[profile(ws, "us"), "forms_submitted"] == 2
    assert pd.isna(people.loc[profile(ws, "de"), "lifecycle"])


def test_set_from_the_triggering_event_last_event_wins_and_unset(ws: Workspace) -> None:
    ws.catalog.define_property("last_read_channel", "string")
    ws.rules.add("channel", "when message_read then set last_read_channel = event.channel")
    ws.ingest.messages(
        [
            track("u1", "message_read", context={"channel": "sms"}),
            track(
                "u1",
                "message_read",
                context={"channel": "whatsapp"},
                timestamp="2026-03-01T11:00:00Z",
            ),
        ]
    )
    read = "SELECT last_read_channel FROM profiles WHERE id = $id"
    assert ws.db.scalar(read, {"id": profile(ws, "u1")}) == "whatsapp"
    ws.rules.add("forget", "when signup then unset last_read_channel")
    ws.ingest.messages([track("u1", "signup")])
    assert ws.db.scalar(read, {"id": profile(ws, "u1")}) is None


def test_labels_lists_consent_and_notifications(ws: Workspace) -> None:
    ws.segments.save("outreach", kind="static")
    ws.rules.add(
        "welcome",
        'when signup then add to list "outreach", set consent email to granted, '
        'notify "New signup", add label "new"',
    )
    ws.ingest.messages([track("u1", "signup")])
    ws.rules.add("unlist", 'when purchase then remove from list "outreach", remove label "new"')
    pid = profile(ws, "u1")
    assert ws.segments.ids("outreach") == [pid]
    assert ws.labels.of(pid) == ["new"]
    consent = ws.consent.of(pid)
    assert consent[["channel", "status"]].values.tolist() == [["email", "granted"]]
    notes = ws.rules.notifications()
    assert notes[["rule", "profile_id", "message"]].values.tolist() == [
        ["welcome", pid, "New signup"]
    ]
    ws.ingest.messages([track("u1", "purchase", {"amount": 5})])
    assert ws.segments.ids("outreach") == []
    assert ws.labels.of(pid) == []


def test_priority_order_decides_what_a_later_rule_sees(ws: Workspace) -> None:
    ws.ingest.messages([identify("seed")])
    ws.labels.add(profile(ws, "seed"), "vip", actor="test")  # makes the label a known name
    ws.rules.add("check", 'when purchase if has label "vip" then notify "vip bought"', priority=20)
    ws.rules.add("tag", 'when purchase then add label "vip"', priority=10)
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    assert outcomes(ws, "check") == ["applied"]
    ws.rules.add("early", 'when purchase if has label "vip" then notify "early"', priority=5)
    assert ws.rules.list()["name"].tolist() == ["early", "tag", "check"]
    ws.ingest.messages([track("u3", "purchase", {"amount": 1})])
    assert ws.rules.log("early").empty  # ran before "tag" labelled u3
    assert ws.rules.log("check")["profile_id"].tolist() == [profile(ws, "u3"), profile(ws, "u1")]


def test_rules_writing_the_same_property_apply_in_priority_order(ws: Workspace) -> None:
    ws.catalog.define_property("visits", "number")
    ws.catalog.define_property("tier", "string")
    ws.rules.add("bump", "when purchase then increment visits", priority=30)
    ws.rules.add("reset", "when purchase then set visits = 5", priority=20)
    ws.rules.add("gold", 'when purchase then set tier = "gold"', priority=10)
    ws.rules.add("silver", 'when purchase then set tier = "silver"', priority=40)
    ws.rules.add("nick", 'when purchase then set properties.nick = "a"', priority=15)
    ws.rules.add("nick2", 'when purchase then set properties.nick = "b"', priority=35)
    ws.rules.add("nested", "when purchase then set properties.order.n = 1", priority=25)
    ws.rules.add("seen", 'when purchase if visits >= 6 then add label "regular"', priority=50)
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    pid = profile(ws, "u1")
    row = ws.db.dicts("SELECT visits, tier FROM profiles WHERE id = $id", {"id": pid})
    assert (row[0]["visits"], row[0]["tier"]) == (6, "silver")  # set 5, then +1; silver last
    assert ws.segments.count('properties.nick = "b" and properties.order.n = 1') == 1
    assert ws.labels.of(pid) == ["regular"]  # the condition saw the earlier rules' writes


def test_a_rule_chain_and_the_loop_bound(ws: Workspace) -> None:
    ws.catalog.register_event_type("ping", properties={"n": "number"})
    ws.catalog.register_event_type("welcomed", properties={"plan": "string"})
    ws.rules.add("welcome", 'when signup then emit event "welcomed" with plan = "pro"')
    ws.rules.add("after", 'when welcomed where plan = "pro" then add label "welcomed"')
    ws.ingest.messages([track("u1", "signup")])
    assert ws.labels.of(profile(ws, "u1")) == ["welcomed"]
    assert ws.rules.log("after")["depth"].tolist() == [1]

    ws.rules.add("echo", 'when ping then emit event "ping"')
    ws.ingest.messages([track("u2", "ping")])
    pings = ws.db.scalar("SELECT count(*) FROM events WHERE type = 'ping'")
    assert pings == MAX_DEPTH + 1
    log = ws.rules.log("echo").sort_values("depth")
    assert log["depth"].tolist() == list(range(MAX_DEPTH + 1))
    assert log["outcome"].tolist() == ["applied"] * MAX_DEPTH + ["loop_bound"]


def test_entering_a_segment_triggers_a_rule(ws: Workspace) -> None:
    ws.segments.save("indonesia", expression='country = "ID"')
    ws.segments.save("outreach", kind="static")
    ws.rules.add("reach", 'when entering segment "indonesia" then add to list "outreach"')
    ws.ingest.messages([identify("u1", country="ID"), identify("u2", country="US")])
    assert ws.segments.ids("outreach") == [profile(ws, "u1")]
    assert ws.rules.log("reach")["event_id"].isna().all()
    past = ws.rules.dry_run("reach", "2000-01-01", "2100-01-01")
    assert past["profile_id"].tolist() == [profile(ws, "u1")]
    assert ws.rules.dry_run("reach", "2000-01-01", "2000-01-02").empty


def test_schedules_fire_when_due(ws: Workspace) -> None:
    ws.ingest.messages([identify("u1", country="ID"), identify("u2", country="US")])
    ws.rules.add("daily", 'every day if country = "ID" then notify "still here"')
    t = dt.datetime(2026, 3, 2, 8, 0)
    assert ws.rules.run_schedules(t) == {"daily": 1}
    assert ws.rules.run_schedules(t + dt.timedelta(hours=1)) == {}
    assert ws.rules.run_schedules(t + dt.timedelta(days=1)) == {"daily": 1}
    assert len(ws.rules.notifications()) == 2
    preview = ws.rules.dry_run("daily", t, t + dt.timedelta(days=1))
    assert preview["profile_id"].tolist() == [profile(ws, "u1")]


def test_dry_run_shows_what_would_happen_without_applying(ws: Workspace) -> None:
    ws.ingest.messages(
        [track("u1", "purchase", {"amount": 900}), track("u2", "purchase", {"amount": 50})]
    )
    rule = 'when purchase where amount > 500 then add label "high-value"'
    preview = ws.rules.dry_run(rule, "2026-03-01", "2026-03-02")
    assert preview["profile_id"].tolist() == [profile(ws, "u1")]
    assert preview["actions"].iloc[0] == 'add label "high-value"'
    assert ws.rules.dry_run(rule, "2026-03-02", "2026-03-03").empty
    assert ws.labels.of(profile(ws, "u1")) == []


def test_disabled_rules_do_not_fire_and_management_errors(ws: Workspace) -> None:
    ws.rules.add("big", 'when purchase then add label "buyer"', enabled=False)
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    assert ws.labels.of(profile(ws, "u1")) == []
    ws.rules.enable("big")
    ws.ingest.messages([track("u1", "purchase", {"amount": 2}, messageId="second")])
    assert ws.labels.of(profile(ws, "u1")) == ["buyer"]
    ws.rules.disable("big")
    assert not ws.rules.get("big").enabled
    with pytest.raises(Conflict):
        ws.rules.add("big", 'when purchase then add label "buyer"')
    with pytest.raises(DslError) as caught:
        ws.rules.add("bad", "when purchase then explode")
    assert caught.value.line == 1
    ws.rules.delete("big")
    with pytest.raises(NotFound):
        ws.rules.enable("big")
    assert len(ws.rules.log()) == 1  # the firing log outlives the rule


def test_misspelt_names_in_a_rule_are_errors_with_suggestions(ws: Workspace) -> None:
    with pytest.raises(DslError) as caught:
        ws.rules.add("r", 'when purchase where amout > 5 then add label "x"')
    assert caught.value.message == "unknown property 'amout' of purchase events"
    assert (caught.value.column, caught.value.suggestion) == (21, "amount")
    with pytest.raises(DslError, match="unknown event type 'purchse'") as caught:
        ws.rules.add("r", 'when purchse then add label "x"')
    assert caught.value.suggestion == "purchase"
    assert ws.rules.list().empty
