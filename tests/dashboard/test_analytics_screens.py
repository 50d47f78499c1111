"""The Trends and Retention screens through AppTest on a seeded workspace: they render the
engine's answer, and bad input is a message, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine import Workspace
from engine.analytics.retention import RetentionSpec
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the screen that has `column` (the editors are tables too)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_trends_show_the_default_series(seeded: Workspace, screen: Screen) -> None:
    at = screen("trends")
    no_errors(at)
    figure = at.get("plotly_chart")[0].proto.spec
    assert "page_view" in figure and "people of page_view" in figure
    table = table_with(at, "label")
    assert set(table["label"]) == {"page_view", "people of page_view"}
    counts = table[table["label"] == "page_view"]["value"].astype(int)
    people = table[table["label"] == "people of page_view"]["value"].astype(int)
    assert counts.sum() > 0 and (counts.to_numpy() >= people.to_numpy()).all()


def test_trends_breakdown_and_compare(seeded: Workspace, screen: Screen) -> None:
    at = screen("trends")
    at.text_input(key="tr_breakdown").input("country")
    at.number_input(key="tr_top").set_value(2)
    at.toggle(key="tr_compare").set_value(True).run()
    no_errors(at)
    table = table_with(at, "label")
    assert {"breakdown", "previous_value"} <= set(table.columns)
    assert len(set(table["breakdown"].dropna()) - {"(other)"}) <= 2
    assert "(previous)" in at.get("plotly_chart")[0].proto.spec


def test_trends_bad_input_is_a_message(seeded: Workspace, screen: Screen) -> None:
    at = screen("trends")
    at.text_input(key="tr_audience").input("contry = 1").run()
    assert not at.exception
    assert any("contry" in e.value for e in at.error)


def test_retention_shows_the_triangle_and_the_curve(seeded: Workspace, screen: Screen) -> None:
    at = screen("retention")
    no_errors(at)
    triangle = table_with(at, "period 0")
    assert "period 0" in triangle.columns and len(triangle) >= 1
    expected = seeded.retention.run(RetentionSpec(start_event="signup")).triangle()
    assert triangle["size"].tolist() == expected["size"].tolist()
    assert at.get("plotly_chart")


def test_retention_by_breakdown_and_recurring(seeded: Workspace, screen: Screen) -> None:
    at = screen("retention")
    at.text_input(key="rt_start").input("page_view")
    at.selectbox(key="rt_cohort").select("recurring")
    at.text_input(key="rt_breakdown").input("country").run()
    no_errors(at)
    assert "breakdown" in table_with(at, "period 0").columns
    at.text_input(key="rt_breakdown").input("event.campaign").run()
    assert not at.exception
    assert any("profile property" in w.value for w in at.warning)
