"""Events rules emit pass the same schema check as every other door, on a real workspace file:
under `block` the firing whose emitted event breaks its type's schema writes nothing and is
logged in the rule's run log with the reason, while the other firings emit; under `warn` the
emitted event is stored and flagged like an ingested one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import Workspace

REFUSED = (
    "refused: emit renewal_due: renewal_due event does not follow its registered schema "
    '(enforcement block): due must be an ISO 8601 date, got "soon"'
)


def _trial(user: str, ends: str) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "trial_started",
        "userId": user,
        "properties": {"ends": ends},
    }


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    with Workspace.open(tmp_path / "kith.duckdb") as opened:
        opened.catalog.register_event_type("trial_started", properties={"ends": "string"})
        opened.catalog.register_event_type(
            "renewal_due", properties={"due": "date", "plan": "string"}
        )
        opened.rules.add(
            "remind",
            'when trial_started then emit event "renewal_due" with due = event.ends, plan = "pro"',
        )
        yield opened


def _emitted(ws: Workspace) -> dict[int, dict[str, Any]]:
    rows = ws.db.rows("SELECT profile_id, properties FROM events WHERE type = 'renewal_due'")
    return {int(pid): json.loads(props) for pid, props in rows}


def test_a_blocked_emit_is_logged_as_the_rules_failure(ws: Workspace) -> None:
    ws.catalog.set_enforcement("renewal_due", "block")
    ws.ingest.messages([_trial("ana", "2026-12-01"), _trial("bo", "soon")])
    ana, bo = ws.profiles.find("user_id", "ana"), ws.profiles.find("user_id", "bo")
    assert _emitted(ws) == {ana: {"due": "2026-12-01", "plan": "pro"}}
    log = ws.rules.log("remind").set_index("profile_id")["outcome"].to_dict()
    assert log == {ana: "applied", bo: REFUSED}
    assert ws.catalog.flagged_events().empty


def test_a_warned_emit_is_stored_and_flagged(ws: Workspace) -> None:
    ws.ingest.messages([_trial("cy", "later"), _trial("di", "2026-12-24")])
    cy, di = ws.profiles.find("user_id", "cy"), ws.profiles.find("user_id", "di")
    assert set(_emitted(ws)) == {cy, di}
    assert set(ws.rules.log("remind")["outcome"]) == {"applied"}
    flagged = ws.catalog.flagged_events()
    assert flagged[["type", "profile_id", "problem"]].values.tolist() == [
        ["renewal_due", cy, 'due must be an ISO 8601 date, got "later"']
    ]
    source = ws.db.scalar(
        "SELECT source FROM events WHERE id = $id", {"id": int(flagged["event_id"][0])}
    )
    assert source == "rule"
