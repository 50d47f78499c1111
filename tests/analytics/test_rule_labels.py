"""Label actions of several rules in one batch: queued and applied together, and where an add
and a remove of the same label meet for a profile, the later rule (by priority) wins."""

from __future__ import annotations

from engine import Workspace
from tests.analytics.messages import identify, track


def profile(ws: Workspace, user: str) -> int:
    found = ws.profiles.find("user_id", user)
    assert found is not None
    return found


def test_add_and_remove_of_one_label_across_rules_follow_priority(ws: Workspace) -> None:
    ws.ingest.messages([identify("u1"), identify("u2"), identify("u3")])
    ws.labels.add(profile(ws, "u3"), "vip", actor="test")
    ws.rules.add("tag", 'when purchase then add label "vip", add label "buyer"', priority=10)
    ws.rules.add("untag", 'when purchase where amount < 50 then remove label "vip"', priority=20)
    ws.rules.add("retag", 'when purchase where amount < 10 then add label "vip"', priority=30)
    ws.ingest.messages(
        [
            track("u1", "purchase", {"amount": 100}),  # tag only: vip stays
            track("u2", "purchase", {"amount": 20}),  # tag, then untag: untag wins
            track("u3", "purchase", {"amount": 5}),  # tag, untag, retag: retag wins
        ]
    )
    assert ws.labels.of(profile(ws, "u1")) == ["buyer", "vip"]
    assert ws.labels.of(profile(ws, "u2")) == ["buyer"]
    assert ws.labels.of(profile(ws, "u3")) == ["buyer", "vip"]
    assert ws.rules.log("untag")["outcome"].tolist() == ["applied", "applied"]


def test_a_later_add_wins_over_an_earlier_remove(ws: Workspace) -> None:
    ws.ingest.messages([identify("u1")])
    ws.labels.add(profile(ws, "u1"), "lead", actor="test")
    ws.rules.add("drop", 'when signup then remove label "lead"', priority=1)
    ws.rules.add("keep", 'when signup then add label "lead"', priority=2)
    ws.ingest.messages([track("u1", "signup", {})])
    assert ws.labels.of(profile(ws, "u1")) == ["lead"]


def test_rule_label_changes_are_audited_with_the_rule_as_actor(ws: Workspace) -> None:
    ws.ingest.messages([identify("u1")])
    pid = profile(ws, "u1")
    ws.labels.add(pid, "old", actor="test")
    ws.rules.add("swap", 'when signup then remove label "old", add label "new"')
    ws.ingest.messages([track("u1", "signup", {})])
    assert ws.labels.of(pid) == ["new"]
    entries = ws.db.df(
        "SELECT actor, action, field FROM audit_log WHERE entity_id = $id "
        "AND actor = 'rule:swap' ORDER BY action",
        {"id": str(pid)},
    )
    assert entries.values.tolist() == [
        ["rule:swap", "label_add", "new"],
        ["rule:swap", "label_remove", "old"],
    ]
