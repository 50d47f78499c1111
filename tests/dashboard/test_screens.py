"""Every other screen through AppTest on a seeded workspace: it renders without exception, and
its main interaction works (segment editor, funnel builder, properties, settings, consent)."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors, write_expression

pytestmark = pytest.mark.xdist_group("dashboard")


def test_overview_shows_totals_and_charts(seeded: Workspace, screen: Screen) -> None:
    at = screen("overview")
    no_errors(at)
    profiles = next(m for m in at.metric if m.label == "Profiles")
    assert profiles.value == f"{seeded.profiles.list(limit=1).total:,}"
    assert len(at.get("plotly_chart")) >= 3


def test_overview_of_an_empty_workspace_says_how_to_start(empty: Workspace, screen: Screen) -> None:
    at = screen("overview")
    no_errors(at)
    assert "kith demo" in " ".join(c.value for c in at.caption)


def test_segment_editor_counts_a_valid_expression(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, "did purchase")
    no_errors(at)
    shown = next(m for m in at.metric if m.label == "Matching people right now")
    assert shown.value == f"{seeded.segments.count('did purchase'):,}"


def test_segment_editor_shows_caret_and_suggestion(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, "did purchse in last 30 days")
    assert not at.exception
    assert "purchse" in at.error[0].value
    assert at.code[0].value.endswith("^")
    assert any("purchase" in c.value for c in at.caption)


def test_saving_a_segment_lists_it(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, "did purchase")
    at.text_input(key="seg_name").input("buyers")
    at.button(key="seg_save").click().run()
    no_errors(at)
    assert "buyers" in seeded.segments.list()["name"].tolist()


def test_funnel_builds_from_the_default_steps(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    no_errors(at)
    assert at.get("plotly_chart")
    steps = next(d.value for d in at.dataframe if "event" in d.value)
    assert steps["event"].tolist() == ["page_view", "signup", "purchase"]


def test_funnel_conversion_over_time(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    at.date_input(key="fn_dates").set_value(())  # all time, not the default last 7 days
    at.session_state["fn_tab"] = "Over time"  # the tab's content runs once it is open
    at.run()
    no_errors(at)
    series = next(d.value for d in at.dataframe if "period" in d.value)
    assert len(series) >= 4 and {"entered", "converted", "rate", "partial"} <= set(series)
    assert any(c.value.startswith("A period the dates cover") for c in at.caption)


def test_funnel_campaign_preset_and_drilldown(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    next(b for b in at.button if b.label == "Campaign preset").click().run()
    no_errors(at)
    assert at.text_input(key="fn_breakdown_text").value == "event.campaign"
    at.text_input(key="fn_breakdown_text").input("").run()
    next(b for b in at.button if b.label == "Show people").click().run()
    no_errors(at)
    assert any("people" in c.value for c in at.caption)


def test_properties_define_a_custom_property(seeded: Workspace, screen: Screen) -> None:
    at = screen("properties")
    at.text_input(key="prop_name").input("favourite_colour")
    at.button(key="prop_define").click().run()
    no_errors(at)
    assert "favourite_colour" in seeded.catalog.custom()


def test_properties_reject_a_bad_name(seeded: Workspace, screen: Screen) -> None:
    at = screen("properties")
    at.text_input(key="prop_name").input("Bad Name")
    at.button(key="prop_define").click().run()
    assert not at.exception
    assert at.warning or at.error


def test_consent_audit_renders(seeded: Workspace, screen: Screen) -> None:
    at = screen("consent")
    assert not at.exception
    assert at.get("plotly_chart")
    at.selectbox(key="cl_channel").select("email").run()
    assert not at.exception


def test_settings_change_the_session_timeout(seeded: Workspace, screen: Screen) -> None:
    at = screen("settings")
    no_errors(at)
    at.number_input(key="timeout").set_value(45)
    at.button(key="timeout_save").click().run()
    no_errors(at)
    assert seeded.settings.session_timeout_minutes == 45


def test_settings_create_an_api_key_shows_it_once(seeded: Workspace, screen: Screen) -> None:
    at = screen("settings")
    at.text_input(key="key_name").input("website")
    at.button(key="key_create").click().run()
    no_errors(at)
    assert at.code[0].value.startswith("kith_")
    assert seeded.keys.list()["name"].tolist() == ["website"]


def test_saving_a_static_list_freezes_todays_members(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, "did purchase")
    at.text_input(key="seg_name").input("buyers_today")
    at.radio(key="seg_kind").set_value("static")
    at.button(key="seg_save").click().run()
    no_errors(at)
    saved = seeded.segments.list().set_index("name").loc["buyers_today"]
    assert saved["kind"] == "static"
    assert saved["size"] == seeded.segments.count("did purchase")
