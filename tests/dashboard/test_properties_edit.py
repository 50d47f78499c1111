"""Editing a custom property on the Properties screen, through AppTest on a seeded workspace."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors, shown

pytestmark = pytest.mark.xdist_group("dashboard")


def test_edit_a_custom_property_and_see_it_listed(seeded: Workspace, screen: Screen) -> None:
    seeded.catalog.define_property("tier", "string", description="Support tier")
    at = screen("properties")
    no_errors(at)
    at.selectbox(key="edit_prop").set_value("tier").run()
    at.text_input(key="ed_tier").input("Support level")
    at.text_input(key="ee_tier").input("basic, gold")
    at.button(key="prop_update").click().run()
    no_errors(at)
    assert seeded.catalog.custom()["tier"].enum_values == ["basic", "gold"]
    listed = next(d.value for d in at.dataframe if "enum_values" in d.value.columns)
    row = listed.set_index("name").loc["tier"]
    assert row["description"] == "Support level"
    assert list(row["enum_values"]) == ["basic", "gold"]


def test_a_rule_stored_values_break_shows_an_error(seeded: Workspace, screen: Screen) -> None:
    seeded.catalog.define_property("tier", "string")
    seeded.profiles.create({"user_id": "edit-test"}, {"tier": "gold"})
    at = screen("properties")
    at.selectbox(key="edit_prop").set_value("tier").run()
    at.text_input(key="ee_tier").input("basic, silver")
    at.button(key="prop_update").click().run()
    assert not at.exception
    assert at.warning and "1 profile(s)" in shown(at.warning[0].value)
    assert seeded.catalog.custom()["tier"].enum_values is None
