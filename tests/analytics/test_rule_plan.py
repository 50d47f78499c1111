"""How a batch's rule work is planned: what conditions read and actions write (engine/rule_deps),
one firing query for the rules that need not wait, rules skipped when their trigger event is not
in the batch, and a cached firing query that follows new rules and schema changes."""

from __future__ import annotations

import json

import pytest

import dsl
from engine import Workspace
from engine.rules.deps import reads, writes
from store.db import Database, render
from tests.analytics.messages import identify, track


def rule(source: str) -> dsl.ast.Rule:
    return dsl.parse_rule(source)


@pytest.mark.parametrize(
    ("writer", "reader", "meets"),
    [
        ('set lifecycle = "lead"', 'lifecycle = "lead"', True),
        ("increment visits", 'country = "US"', False),
        ('add label "vip"', 'has label "vip"', True),
        ('add label "vip"', "visits > 2", False),
        ('set properties.nick = "a"', 'properties.nick = "a"', True),
        ('set nick = "a"', 'properties.nick = "a"', True),  # unregistered: lands in the JSON
        ("set properties.order.n = 1", "properties.order is set", True),
        ("increment visits", 'in segment "vips"', True),  # a saved segment may read anything
        ("increment visits", "did purchase", False),  # events change after the batch
        ('notify "hi"', 'in segment "vips"', False),  # notifying writes no profile state
        ('add to list "outreach"', 'in segment "outreach"', True),
    ],
)
def test_what_a_condition_reads_meets_what_earlier_actions_write(
    writer: str, reader: str, meets: bool
) -> None:
    written = writes(rule(f"when purchase then {writer}").actions)
    read = reads(rule(f'when purchase if {reader} then notify "x"').condition)
    assert written.meets(read) is meets


def firing_queries(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rule firing queries (SELECTs over the batch's events) run from here on."""
    seen: list[str] = []
    execute = Database.execute

    def recording(db: Database, query: object, params: object = None) -> object:
        text = render(query)  # type: ignore[arg-type]
        if "FROM events AS e" in text:
            seen.append(text)
        return execute(db, query, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Database, "execute", recording)
    return seen


def test_rules_whose_trigger_is_absent_from_the_batch_do_no_work(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.rules.add("buyer", 'when purchase then add label "buyer"')
    ws.rules.add("big", 'when purchase if country = "US" then notify "big"')
    queries = firing_queries(ws, monkeypatch)
    ws.ingest.messages([track("u1", "page_view")])
    assert queries == []
    ws.ingest.messages([track("u1", "purchase", {"amount": 3})])
    assert len(queries) == 1
    assert ws.rules.log()["rule"].tolist() == ["buyer"]


def test_a_condition_independent_of_earlier_writes_joins_the_one_query(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.catalog.define_property("visits", "number")
    ws.rules.add("count", "when purchase then increment visits", priority=1)
    ws.rules.add("us", 'when purchase if country = "US" then notify "US"', priority=2)
    ws.rules.add("loyal", 'when purchase if visits >= 2 then add label "loyal"', priority=3)
    ws.ingest.messages([identify("u1", country="US"), identify("u2", country="DE")])
    queries = firing_queries(ws, monkeypatch)
    ws.ingest.messages([track("u1", "purchase", {"amount": 1}), track("u2", "purchase")])
    assert len(queries) == 2  # count and us together; loyal after the visits writes
    assert ws.rules.log("us")["profile_id"].tolist() == [ws.profiles.find("user_id", "u1")]
    assert ws.rules.log("loyal").empty
    ws.ingest.messages([track("u2", "purchase", timestamp="2026-03-01T12:00:00Z")])
    assert ws.labels.of(ws.profiles.find("user_id", "u2")) == ["loyal"]  # saw visits = 2


def test_the_cached_firing_query_follows_new_rules_and_definitions(ws: Workspace) -> None:
    ws.rules.add("buyer", 'when purchase then add label "buyer"')
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    ws.rules.add("rich", 'when purchase where amount > 50 then add label "rich"')
    ws.ingest.messages([track("u2", "purchase", {"amount": 90})])
    assert ws.labels.of(ws.profiles.find("user_id", "u2")) == ["buyer", "rich"]
    ws.rules.disable("buyer")
    ws.catalog.define_property("spend", "number")
    ws.rules.add("spend", "when purchase then set spend = event.amount")
    ws.ingest.messages([track("u3", "purchase", {"amount": 70})])
    u3 = ws.profiles.find("user_id", "u3")
    assert ws.labels.of(u3) == ["rich"]
    assert ws.db.scalar("SELECT spend FROM profiles WHERE id = $id", {"id": u3}) == 70


def test_the_log_shows_what_a_deleted_rule_did(ws: Workspace) -> None:
    ws.rules.add("buyer", 'when purchase then add label "buyer", notify "bought"')
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    ws.rules.delete("buyer")
    [actions] = ws.rules.log()["actions"].tolist()
    assert [a["action"] for a in json.loads(actions)] == ["LabelAction", "Notify"]
