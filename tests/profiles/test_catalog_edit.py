"""Editing a custom property: only the given fields change, a tighter rule that stored values
break is refused (nothing changes), built-in and unknown names and type changes are refused,
and every change is audited and known to the language at once."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.admin import audit
from kith_errors import NotFound, ValidationError


@pytest.fixture
def plan(ws: Workspace) -> Workspace:
    ws.catalog.define_property("plan", "string", description="Billing plan")
    ws.catalog.define_property("score", "number", min=0)
    ws.profiles.create({"user_id": "a"}, {"plan": "pro", "score": 5})
    ws.profiles.create({"user_id": "b"}, {"plan": "free", "score": 50})
    ws.profiles.create({"user_id": "c"})
    return ws


def _definition(ws: Workspace, name: str) -> dict:
    return ws.catalog.custom()[name].model_dump(exclude={"created_at"})


def test_only_the_given_fields_change(plan: Workspace) -> None:
    before = _definition(plan, "plan")
    made = plan.catalog.update_property("plan", enum=["free", "pro", "team"])
    assert made.enum_values == ["free", "pro", "team"]
    assert _definition(plan, "plan") == before | {"enum_values": ["free", "pro", "team"]}
    plan.catalog.update_property("plan", description="Plan", pattern="[a-z]+")
    after = _definition(plan, "plan")
    assert (after["description"], after["pattern"]) == ("Plan", "[a-z]+")
    assert after["enum_values"] == ["free", "pro", "team"]


def test_none_removes_a_rule_and_min_max_required_change(plan: Workspace) -> None:
    plan.catalog.update_property("score", min=None, max=100)
    assert (plan.catalog.custom()["score"].min_value, plan.catalog.custom()["score"].max_value) == (
        None,
        100,
    )
    plan.catalog.update_property("plan", description=None)
    assert plan.catalog.custom()["plan"].description is None
    plan.catalog.define_property("tier", "string")
    plan.catalog.update_property("tier", required=False)
    assert plan.catalog.custom()["tier"].required is False


def test_the_new_rules_apply_to_later_writes(plan: Workspace) -> None:
    plan.catalog.update_property("plan", enum=["free", "pro"])
    with pytest.raises(ValidationError, match="plan: must be one of"):
        plan.catalog.validate_properties({"plan": "gold"})
    plan.catalog.update_property("score", max=60)
    with pytest.raises(ValidationError, match="at most 60"):
        plan.catalog.validate_properties({"score": 61})


@pytest.mark.parametrize(
    ("name", "change", "count", "example"),
    [
        ("plan", {"enum": ["pro", "team"]}, 1, 2),
        ("plan", {"pattern": "p.*"}, 1, 2),
        ("plan", {"required": True}, 1, 3),
        ("score", {"min": 10}, 1, 1),
        ("score", {"max": 10}, 1, 2),
        ("score", {"enum": [1, 2]}, 2, 1),
    ],
)
def test_a_rule_stored_values_break_is_refused(
    plan: Workspace, name: str, change: dict, count: int, example: int
) -> None:
    before = _definition(plan, name)
    entries = len(audit.history(plan, "property", name))
    with pytest.raises(ValidationError, match=f"{count} profile\\(s\\).*profile {example}") as err:
        plan.catalog.update_property(name, description="changed", **change)
    assert err.value.details["profiles"] == count
    assert _definition(plan, name) == before
    assert len(audit.history(plan, "property", name)) == entries


def test_an_unchanged_rule_is_not_rechecked(plan: Workspace) -> None:
    plan.db.execute("UPDATE profiles SET score = -1 WHERE id = 1")  # broke min before the edit
    plan.catalog.update_property("score", description="Risk score", min=0)
    assert plan.catalog.custom()["score"].description == "Risk score"


def test_built_in_unknown_and_type_changes_are_refused(plan: Workspace) -> None:
    with pytest.raises(ValidationError, match="'email' is a built-in property"):
        plan.catalog.update_property("email", description="x")
    with pytest.raises(NotFound, match="no custom property named 'plann'"):
        plan.catalog.update_property("plann", description="x")
    with pytest.raises(ValidationError, match="type of 'plan' cannot change"):
        plan.catalog.update_property("plan", type="number")
    with pytest.raises(ValidationError, match="min/max apply only to number"):
        plan.catalog.update_property("plan", min=1)
    with pytest.raises(ValidationError, match="not a valid regex"):
        plan.catalog.update_property("plan", pattern="(")
    assert plan.catalog.update_property("plan", type="string").type == "string"


def test_each_changed_field_is_audited(plan: Workspace) -> None:
    plan.catalog.update_property(
        "plan", description="Plan", enum=["free", "pro"], required=False, actor="ana"
    )
    entries = audit.history(plan, "property", "plan")
    updates = entries[entries["action"] == "update"]
    assert set(updates["actor"]) == {"ana"}
    changed = {r.field: (r.before, r.after) for r in updates.itertuples()}
    assert changed == {
        "description": ("Billing plan", "Plan"),
        "enum_values": (None, ["free", "pro"]),
    }


def test_the_language_schema_follows_the_edit(plan: Workspace) -> None:
    first = plan.catalog.dsl_schema()
    plan.catalog.update_property("plan", description="Plan")
    assert plan.catalog.dsl_schema() is not first


def test_number_allowed_values_typed_as_text_allow_the_numbers(ws: Workspace) -> None:
    ws.catalog.define_property("tier_level", "number", enum=["1", "2"])
    assert ws.catalog.validate_properties({"tier_level": 2}) == {"tier_level": 2.0}
    with pytest.raises(ValidationError, match="tier_level"):
        ws.catalog.validate_properties({"tier_level": 3})
