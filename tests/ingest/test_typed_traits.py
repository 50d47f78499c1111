"""Traits naming a registered custom property: validated, written to the typed column;
a bad value rejects its message with the catalog's reason; other traits stay in JSON."""

from __future__ import annotations

import json

import pandas as pd

from engine import Workspace


def _identify(user: str, line: int, **traits: object) -> dict[str, object]:
    return {
        "type": "identify",
        "userId": user,
        "messageId": f"m{line}",
        "timestamp": f"2026-03-01T00:{line:02d}:00Z",
        "traits": traits,
    }


def _profile(ws: Workspace, user: str) -> dict[str, object]:
    rows = ws.db.dicts(
        "SELECT p.* FROM profiles p JOIN identities i ON i.profile_id = p.id "
        "WHERE i.type = 'user_id' AND i.value = $v",
        {"v": user},
    )
    return rows[0]


def test_registered_traits_land_in_their_typed_columns(ws: Workspace) -> None:
    ws.catalog.define_property("lifetime_value", "number", min=0)
    ws.catalog.define_property("vip", "boolean")
    ws.catalog.define_property("renewal", "date")
    report = ws.ingest.messages(
        [
            _identify(
                "u1", 1, lifetime_value="12.5", vip="yes", renewal="2026-05-01T10:00:00+02:00"
            ),
            _identify("u2", 2, lifetime_value=3, shoe_size=42),
        ]
    )
    assert report.accepted == 2 and report.rejected == []
    one, two = _profile(ws, "u1"), _profile(ws, "u2")
    assert one["lifetime_value"] == 12.5 and one["vip"] is True
    assert one["renewal"].isoformat() == "2026-05-01T08:00:00"
    assert two["lifetime_value"] == 3.0 and two["vip"] is None
    assert json.loads(two["properties"]) == {"shoe_size": 42}
    assert "lifetime_value" not in json.loads(one["properties"])


def test_a_bad_typed_value_rejects_only_its_message(ws: Workspace) -> None:
    ws.catalog.define_property("lifetime_value", "number", min=0)
    report = ws.ingest.messages(
        [
            _identify("u1", 1, lifetime_value=-5),
            _identify("u2", 2, lifetime_value="lots"),
            _identify("u3", 3, lifetime_value=7),
        ]
    )
    assert report.accepted == 1
    assert [r.line for r in report.rejected] == [1, 2]
    assert "lifetime_value: must be at least 0" in report.rejected[0].reason
    assert "lifetime_value: must be a number" in report.rejected[1].reason
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'identify'") == 1
    assert _profile(ws, "u3")["lifetime_value"] == 7.0


def test_the_latest_typed_value_wins_and_flat_tables_use_them_too(ws: Workspace) -> None:
    ws.catalog.define_property("plan", "string", enum=["free", "pro"])
    ws.ingest.messages([_identify("u1", 1, plan="free"), _identify("u1", 2, plan="pro")])
    assert _profile(ws, "u1")["plan"] == "pro"
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "type": ["identify", "identify"],
            "timestamp": ["2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"],
            "trait_plan": ["free", "gold"],
        }
    )
    report = ws.ingest.table(frame)
    assert report.accepted == 1
    assert report.rejected[0].line == 2 and "must be one of" in report.rejected[0].reason
    assert _profile(ws, "u1")["plan"] == "free"
