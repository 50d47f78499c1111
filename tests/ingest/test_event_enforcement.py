"""Enforcement of registered event schemas on ingestion, on real workspace files: `block`
refuses an event that breaks its type's schema with the reason (bulk messages, JSONL and
tables alike, and the tracking API's admission in the same words), `warn` (the default of every
registered type) stores and flags it (counted per type), `off` stores it as it is."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine import Workspace
from kith_errors import ValidationError

AT = dt.datetime(2026, 11, 20, 9, 0)
LOTS = (
    "purchase event does not follow its registered schema (enforcement block): amount must be "
    'a number, got "lots"'
)


def purchase(user: str, **props: Any) -> dict[str, Any]:
    return {"type": "track", "event": "purchase", "userId": user, "properties": props}


BATCH = [
    purchase("ana", amount=12.5, currency="EUR"),
    purchase("bo", amount="lots"),
    purchase("cy", amount="7", order_id=123),  # readable as a number and as text
    purchase("di", amount=True, currency={"code": "EUR"}),
    {"type": "track", "event": "signup", "userId": "ed", "properties": {"method": 5}},
]
BOTH = (
    "purchase event does not follow its registered schema (enforcement block): amount must be "
    'a number, got true; currency must be text, got {"code": "EUR"}'
)


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    with Workspace.open(tmp_path / "kith.duckdb") as opened:
        yield opened


def _amounts(ws: Workspace) -> list[Any]:
    rows = ws.db.rows("SELECT properties FROM events WHERE type = 'purchase' ORDER BY id")
    return [json.loads(r[0]).get("amount") for r in rows]


def test_warn_is_the_default_and_off_stores_everything(ws: Workspace) -> None:
    report = ws.ingest.messages(BATCH)
    assert (report.accepted, report.rejected) == (5, [])
    types = ws.catalog.event_types().set_index("name")
    assert types.loc["purchase", "enforcement"] == "warn"
    assert (types.loc["purchase", "flagged"], types.loc["signup", "flagged"]) == (2, 0)
    ws.catalog.set_enforcement("purchase", "off")  # a steward's explicit choice
    assert ws.ingest.messages([purchase("fa", amount="lots")]).accepted == 1
    assert len(ws.catalog.flagged_events()) == 2


def test_block_refuses_only_the_events_that_break_the_schema(ws: Workspace) -> None:
    ws.catalog.set_enforcement("purchase", "block")
    report = ws.ingest.messages(BATCH)
    assert [(r.line, r.reason) for r in report.rejected] == [(2, LOTS), (4, BOTH)]
    assert report.accepted == 3
    assert _amounts(ws) == [12.5, "7"]
    admitted = ws.intake.admit(BATCH, AT)  # the tracking API answers the same, in the same words
    assert [(r.index, r.reason) for r in admitted.refused] == [(1, LOTS), (3, BOTH)]


def test_block_applies_to_jsonl_files_and_tables(ws: Workspace, tmp_path: Path) -> None:
    ws.catalog.set_enforcement("purchase", "block")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in BATCH[:3]) + "\n")
    report = ws.ingest.file(path)
    assert [(r.line, r.reason) for r in report.rejected] == [(2, LOTS)]
    table = pd.DataFrame(
        {
            "type": ["purchase", "purchase"],
            "timestamp": ["2026-11-20T08:00:00Z", "2026-11-20T08:01:00Z"],
            "user_id": ["fa", "gu"],
            "prop_amount": ["x", "3"],
        }
    )
    report = ws.ingest.table(table)
    assert [r.line for r in report.rejected] == [1] and report.accepted == 1
    assert "amount must be a number" in report.rejected[0].reason


def test_warn_stores_flags_and_counts(ws: Workspace) -> None:
    report = ws.ingest.messages(BATCH)
    assert (report.accepted, report.rejected) == (5, [])
    flagged = ws.catalog.flagged_events()
    assert sorted(flagged["problem"]) == [
        'amount must be a number, got "lots"',
        'amount must be a number, got true; currency must be text, got {"code": "EUR"}',
    ]
    stored = dict(ws.db.rows("SELECT id, properties FROM events WHERE type = 'purchase'"))
    for row in flagged.itertuples(index=False):  # each flag names the event it was raised on
        assert json.loads(stored[row.event_id])["amount"] in ("lots", True)
        assert row.type == "purchase" and row.ts is not None
    counts = ws.catalog.event_types().set_index("name")["flagged"]
    assert (counts["purchase"], counts["signup"]) == (2, 0)


def test_custom_and_extended_properties_are_enforced_too(ws: Workspace) -> None:
    ws.catalog.register_event_type("cart_abandoned", properties={"value": "number"})
    ws.catalog.extend_event_type("purchase", {"platform": "string", "gift": "boolean"})
    ws.catalog.set_enforcement("cart_abandoned", "block")
    ws.catalog.set_enforcement("purchase", "block")
    messages = [
        {"type": "track", "event": "cart_abandoned", "userId": "a", "properties": {"value": "?"}},
        purchase("b", amount=1, gift="yes"),
        purchase("c", amount=1, gift="false", platform="web"),
        purchase("d", amount=None),  # a null breaks nothing
    ]
    report = ws.ingest.messages(messages)
    assert [r.line for r in report.rejected] == [1, 2]
    assert "value must be a number" in report.rejected[0].reason
    assert report.rejected[1].reason.endswith('gift must be true or false, got "yes"')
    ws.catalog.set_enforcement("purchase", "off")
    assert ws.ingest.messages([purchase("e", amount="lots")]).accepted == 1


def test_policies_are_checked_and_audited(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="enforcement 'strict' is not one of off, warn"):
        ws.catalog.set_enforcement("purchase", "strict")
    ws.catalog.set_enforcement("purchase", "warn")  # already the default: no change, no entry
    ws.catalog.set_enforcement("purchase", "block")
    rows = ws.db.rows(
        "SELECT entity_id, action, before, after FROM audit_log WHERE entity = 'event_type'"
    )
    assert [(e, a, json.loads(b), json.loads(v)) for e, a, b, v in rows] == [
        ("purchase", "enforce", "warn", "block")
    ]
