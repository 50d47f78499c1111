"""The Funnels, Overview and Properties screens through AppTest: a misspelt breakdown is an
error with a fix (not a table of blanks), breakdown values side by side with the rest as
"(other)", every Overview KPI against the period before with goals and consent violations at a
glance, and a property named like a word of the language refused."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def test_a_misspelt_breakdown_is_an_error_with_a_fix(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    next(b for b in at.button if b.label == "Campaign preset").click().run()
    at.text_input(key="fn_breakdown_text").input("event.campain").run()
    assert not at.exception
    assert "campain" in at.error[0].value and not at.get("plotly_chart")
    at.button(key="fn_breakdown_text_fix").click().run()
    no_errors(at)
    assert at.text_input(key="fn_breakdown_text").value == "event.campaign"


def test_breakdown_values_side_by_side_with_the_rest_as_other(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("funnels")
    at.text_input(key="fn_breakdown_text").input("country")
    at.number_input(key="fn_top").set_value(2).run()
    no_errors(at)
    steps = next(d.value for d in at.dataframe if "breakdown" in d.value.columns)
    named = set(steps["breakdown"].dropna())
    assert len(named - {"(other)"}) == 2 and "(other)" in named
    charts = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "Funnel by breakdown value" in charts and "Conversion to the last step" in charts
    values = at.selectbox(key="fn_bd_value").options
    assert values[0] == "every value" and "(other)" in values


def test_overview_kpis_compare_with_the_period_before(seeded: Workspace, screen: Screen) -> None:
    at = screen("overview")
    no_errors(at)
    report = seeded.overview.report(30)
    kpis = {m.label: m for m in at.metric}
    for label in ("Profiles", "New profiles", "Active profiles", "Events", "Sessions"):
        assert "vs previous period" in kpis[label].delta, label
    assert kpis["Events"].delta.startswith(f"{report.change('events'):+,}")
    violations = seeded.consent.violations(report.start, report.end)
    assert kpis["Consent violations"].value == f"{len(violations):,}"
    goals = next(d.value for d in at.dataframe if "progress" in d.value.columns)
    assert sorted(goals["name"]) == sorted(seeded.goals.list()["name"])


def test_a_reserved_word_is_refused_as_a_property_name(seeded: Workspace, screen: Screen) -> None:
    at = screen("properties")
    at.text_input(key="prop_name").input("did")
    at.button(key="prop_define").click().run()
    assert not at.exception
    assert any("word of the segment language" in w.value for w in [*at.warning, *at.error])
    assert "did" not in seeded.catalog.custom()
