"""Event queries and workspace settings."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.admin.settings import Settings
from kith_errors import NotFound, ValidationError


@pytest.fixture
def loaded(ws: Workspace) -> Workspace:
    ws.ingest.messages(
        [
            {
                "type": "track",
                "userId": f"u{i % 3}",
                "event": "purchase" if i % 2 else "signup",
                "timestamp": f"2026-03-0{1 + i % 4}T10:00:00Z",
                "properties": {"amount": i},
                "context": {"channel": "web" if i % 3 else "whatsapp", "ip": "10.0.0.1"},
            }
            for i in range(12)
        ]
    )
    return ws


def test_list_filters_pages_and_counts(loaded: Workspace) -> None:
    rows, total = loaded.events.list(types=["purchase"], limit=4)
    assert total == 6 and len(rows) == 4
    assert rows["ts"].is_monotonic_decreasing
    page2, _ = loaded.events.list(types="purchase", limit=4, offset=4)
    assert len(page2) == 2 and not set(page2["id"]) & set(rows["id"])
    _, in_range = loaded.events.list(start="2026-03-02", end=dt.date(2026, 3, 3))
    assert in_range == 3 + loaded.db.scalar(
        "SELECT count(*) FROM events WHERE type = 'session_started' AND ts >= '2026-03-02' "
        "AND ts < '2026-03-03'"
    )
    profile = int(rows["profile_id"].iloc[0])
    _, mine = loaded.events.list(profile_id=profile, channel="web", types=["purchase", "signup"])
    assert mine == loaded.db.scalar(
        "SELECT count(*) FROM events WHERE profile_id = $p AND channel = 'web' "
        "AND type IN ('purchase', 'signup')",
        {"p": profile},
    )


def test_get_parses_properties_and_context(loaded: Workspace) -> None:
    rows, _ = loaded.events.list(types=["purchase"], limit=1)
    event = loaded.events.get(int(rows["id"].iloc[0]))
    assert isinstance(event["properties"]["amount"], int)
    assert event["context"]["ip"] == "10.0.0.1"
    with pytest.raises(NotFound, match="event 999999 does not exist"):
        loaded.events.get(999999)


def test_type_counts_and_types_seen(loaded: Workspace) -> None:
    counts = dict(loaded.events.type_counts(channel="whatsapp").itertuples(index=False))
    assert counts["purchase"] + counts["signup"] == 4
    loaded.ingest.messages([{"type": "track", "userId": "u1", "event": "Refund Issued"}])
    seen = loaded.events.types_seen().set_index("type")
    assert seen.loc["purchase", "count"] == 6 and bool(seen.loc["purchase", "registered"])
    assert not bool(seen.loc["refund_issued", "registered"])


def test_bad_query_arguments_are_explained(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="limit must be between 1 and"):
        ws.events.list(limit=0)
    with pytest.raises(ValidationError, match="start 'last tuesday' is not a date"):
        ws.events.list(start="last tuesday")


def test_settings_defaults_and_persistence(ws: Workspace) -> None:
    assert ws.settings.session_timeout_minutes == 30
    assert ws.settings.identity_limits["user_id"] == 1
    assert ws.settings.identity_priority[0] == "user_id"
    assert "anonymous" in ws.settings.blocked_values
    ws.settings.session_timeout_minutes = 45
    ws.settings.set_identity_limits({"email": 2})
    stored = Settings(ws.db)  # a fresh reader: the values come from the settings table
    assert stored.session_timeout_minutes == 45
    assert stored.as_dict()["identity_limits"]["email"] == 2
    ws.settings.reset()
    assert ws.settings.session_timeout_minutes == 30


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: setattr(s, "session_timeout_minutes", 0), "between 1 and 1440"),
        (lambda s: setattr(s, "session_timeout_minutes", "30"), "whole number of minutes"),
        (lambda s: s.set_identity_limits({"email": 0}), "limit for 'email' must be"),
        (lambda s: s.set_identity_limits({"fax": 1}), "unknown identity type 'fax'"),
        (lambda s: s.set_identity_priority(["email", "user_id"]), "missing: phone"),
        (lambda s: s.set_blocked_values([None]), "must be strings"),
    ],
)
def test_settings_validation(ws: Workspace, change: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        change(ws.settings)  # type: ignore[operator]


def _owner_of_last_event(ws: Workspace) -> set[tuple[str, str]]:
    pid = ws.db.scalar("SELECT profile_id FROM events WHERE type = 'x'")
    return set(ws.db.rows("SELECT type, value FROM identities WHERE profile_id = $p", {"p": pid}))


@pytest.mark.parametrize(("email_first", "owner"), [(False, "u2"), (True, "u1")])
def test_priority_decides_which_key_a_message_follows(
    ws: Workspace, email_first: bool, owner: str
) -> None:
    if email_first:
        rest = [t for t in ws.settings.identity_priority if t != "email"]
        ws.settings.set_identity_priority(["email", *rest])
    ws.ingest.messages([{"type": "identify", "userId": "u1", "traits": {"email": "a@x.io"}}])
    ws.ingest.messages(
        [
            {
                "type": "track",
                "userId": "u2",
                "event": "x",
                "context": {"traits": {"email": "a@x.io"}},
            }
        ]
    )
    assert ("user_id", owner) in _owner_of_last_event(ws)
