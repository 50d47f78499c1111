"""Rule property writes pass the catalog's check like a manual edit: a refused write stores
nothing (none of the firing's actions apply) and is logged with its reason; accepted values are
stored as the catalog normalises them."""

from __future__ import annotations

import pytest

from engine import Workspace
from kith_errors import ValidationError
from tests.analytics.messages import identify, track


def profile(ws: Workspace, user: str) -> dict:
    pid = ws.profiles.find("user_id", user)
    assert pid is not None
    return ws.profiles.get(pid).model_dump()


def outcomes(ws: Workspace, rule: str) -> list[str]:
    return ws.rules.log(rule)["outcome"].tolist()


def test_a_literal_write_outside_the_allowed_values_is_refused_and_logged(ws: Workspace) -> None:
    ws.catalog.define_property("plan", "string", enum=["free", "pro", "team"])
    ws.rules.add("upgrade", 'when purchase then set plan = "gold", add label "upgraded"')
    ws.ingest.messages([identify("u1", plan="free"), track("u1", "purchase")])
    with pytest.raises(ValidationError):  # the manual edit refuses the same value
        ws.profiles.update(ws.profiles.find("user_id", "u1") or 0, {"plan": "gold"}, actor="t")
    assert ws.db.df("SELECT plan FROM profiles")["plan"].tolist() == ["free"]
    assert ws.labels.of(ws.profiles.find("user_id", "u1") or 0) == []  # nothing of the firing
    reason = "refused: plan: must be one of ['free', 'pro', 'team'], got 'gold'"
    assert outcomes(ws, "upgrade") == [reason]
    assert ws.rules.overview().set_index("name").loc["upgrade", "failures"] == 1


def test_event_values_are_checked_one_firing_at_a_time(ws: Workspace) -> None:
    ws.catalog.define_property("plan", "string", enum=["free", "pro", "team"])
    ws.catalog.register_event_type("plan_chosen", properties={"plan": "string"})
    ws.rules.add("from_event", "when plan_chosen then set plan = event.plan")
    ws.ingest.messages(
        [track("u1", "plan_chosen", {"plan": "pro"}), track("u2", "plan_chosen", {"plan": "gold"})]
    )
    assert ws.db.rows("SELECT plan FROM profiles ORDER BY id") == [("pro",), (None,)]
    log = ws.rules.log("from_event").sort_values("profile_id")
    assert log["outcome"].tolist() == [
        "applied",
        "refused: plan: must be one of ['free', 'pro', 'team'], got 'gold'",
    ]


def test_standard_values_are_normalised_and_checked(ws: Workspace) -> None:
    ws.rules.add("contact", 'when signup then set email = "Ana@Example.COM"')
    ws.rules.add("stage", 'when purchase then set lifecycle = "hero"')
    ws.ingest.messages([track("u1", "signup"), track("u1", "purchase")])
    assert profile(ws, "u1")["email"] == "ana@example.com"
    assert profile(ws, "u1")["lifecycle"] is None
    assert outcomes(ws, "stage")[0].startswith("refused: lifecycle: must be one of")


def test_an_increment_past_the_maximum_and_an_unset_of_a_required_value_are_refused(
    ws: Workspace,
) -> None:
    ws.catalog.define_property("visits", "number", max=2)
    ws.rules.add("count", "when page_view then increment visits")
    ws.ingest.messages([track("u1", "page_view", messageId=f"m{i}") for i in range(2)])
    ws.ingest.messages([track("u1", "page_view", messageId="m3")])
    assert ws.db.rows("SELECT visits FROM profiles") == [(2.0,)]
    assert outcomes(ws, "count")[0] == "refused: visits: must be at most 2, got 3"
    ws.rules.add("drop", "when signup then unset visits")
    ws.catalog.update_property("visits", required=True)
    ws.ingest.messages([track("u1", "signup")])
    assert ws.db.rows("SELECT visits FROM profiles") == [(2.0,)]
    assert outcomes(ws, "drop") == ["refused: visits: is required and cannot be emptied"]
