"""A registered event type's schema is enforced by default (`warn`) on real workspace files:
built-in types, custom ones and built-in ones once extended all flag a wrongly typed value
(stored, flagged, counted); `off` stays a steward's explicit choice; and an older workspace's
types whose `off` nobody chose (no audit entry) move to `warn` when the file is opened, while
an `off` a steward set is kept (migration 150)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine import Workspace


def _track(event: str, user: str, **props: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": user, "properties": props}


def _flags(ws: Workspace) -> list[tuple[str, str]]:
    frame = ws.catalog.flagged_events()
    return sorted(zip(frame["type"], frame["problem"], strict=True))


def test_every_registered_type_is_under_warn_unless_chosen(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "kith.duckdb") as ws:
        ws.catalog.register_event_type("trial_started", properties={"days": "number"})
        ws.catalog.extend_event_type("signup", {"referrer_code": "string"})
        made = ws.catalog.register_event_type("refund", properties={"amount": "number"})
        assert made.enforcement == "warn"
        report = ws.ingest.messages(
            [
                _track("purchase", "ana", amount="lots"),
                _track("trial_started", "bo", days="two weeks"),
                _track("signup", "cy", method={"kind": "google"}),
                _track("purchase", "di", amount=10),
            ]
        )
        assert (report.accepted, report.rejected) == (4, [])
        assert _flags(ws) == [
            ("purchase", 'amount must be a number, got "lots"'),
            ("signup", 'method must be text, got {"kind": "google"}'),
            ("trial_started", 'days must be a number, got "two weeks"'),
        ]
        types = ws.catalog.event_types().set_index("name")
        assert set(types["enforcement"]) == {"warn"}
        assert types.loc["trial_started", "flagged"] == 1
        ws.catalog.set_enforcement("trial_started", "off")
        ws.ingest.messages([_track("trial_started", "ed", days="soon")])
        assert len(_flags(ws)) == 3


def test_an_older_workspace_gets_warn_where_nobody_chose(tmp_path: Path) -> None:
    path = tmp_path / "kith.duckdb"
    with Workspace.open(path) as ws:
        ws.catalog.register_event_type("lead_scored", properties={"score": "number"})
        ws.catalog.register_event_type("quote_sent", properties={"total": "number"})
        ws.catalog.extend_event_type("purchase", {"platform": "string"})
        ws.catalog.set_enforcement("quote_sent", "off")  # chosen: kept
        # as the file was before migration 150: every type's stored policy `off`
        ws.db.execute("UPDATE event_types SET enforcement = 'off'")
        ws.db.execute("DELETE FROM schema_version WHERE version = 150")
    with Workspace.open(path) as ws:
        stored = dict(ws.db.rows("SELECT name, enforcement FROM event_types"))
        assert stored == {"lead_scored": "warn", "purchase": "warn", "quote_sent": "off"}
        assert ws.catalog.enforced()["purchase"].properties["platform"] == "string"
        assert "quote_sent" not in ws.catalog.enforced()
        ws.ingest.messages([_track("lead_scored", "fa", score="high")])
        assert _flags(ws) == [("lead_scored", 'score must be a number, got "high"')]
        entries = ws.db.rows(
            "SELECT entity_id, before, after FROM audit_log WHERE action = 'enforce'"
        )
        assert [(e, json.loads(b), json.loads(a)) for e, b, a in entries] == [
            ("quote_sent", "warn", "off")
        ]
