"""Funnel breakdowns: the name is checked like any name in the language (a misspelt one is an
error with a suggestion, never a column of blanks), and the top values are shown with the
rest grouped as "(other)"."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.analytics.funnel_spec import FunnelSpec, FunnelStep
from kith_errors import DslNameError
from tests.analytics.events import put_events


def spec(*steps: str, **options: object) -> FunnelSpec:
    return FunnelSpec(steps=[FunnelStep(event=s) for s in steps], **options)  # type: ignore[arg-type]


@pytest.fixture
def campaigns(ws: Workspace) -> Workspace:
    """Campaign a: 3 people enter, 2 read; b: 2 enter, 1 reads; c and d: 1 each, c reads;
    profile 8 sent twice (c then d); profile 9 without a campaign."""
    rows = [
        (1, "sent", 0, {"campaign": "a"}), (1, "read", 1),
        (2, "sent", 0, {"campaign": "a"}), (2, "read", 1),
        (3, "sent", 0, {"campaign": "a"}),
        (4, "sent", 0, {"campaign": "b"}), (4, "read", 1),
        (5, "sent", 0, {"campaign": "b"}),
        (6, "sent", 0, {"campaign": "c"}), (6, "read", 1),
        (7, "sent", 0, {"campaign": "d"}),
        (8, "sent", 0, {"campaign": "c"}), (8, "sent", 5, {"campaign": "d"}),
        (9, "sent", 0),
    ]  # fmt: skip
    put_events(ws, rows)
    return ws


@pytest.mark.parametrize(
    ("breakdown", "column", "suggestion"),
    [("event.campain", 7, "campaign"), ("contry", 1, "country")],
)
def test_a_misspelt_breakdown_is_an_error_with_a_suggestion(
    campaigns: Workspace, breakdown: str, column: int, suggestion: str
) -> None:
    with pytest.raises(DslNameError) as caught:
        campaigns.funnels.run(spec("sent", "read", breakdown=breakdown))
    assert caught.value.suggestion == suggestion
    assert (caught.value.source, caught.value.column) == (breakdown, column)


def test_unregistered_profile_data_is_reached_through_properties(campaigns: Workspace) -> None:
    campaigns.db.execute("""UPDATE profiles SET properties = '{"plan": "pro"}' WHERE id = 1""")
    rows = campaigns.funnels.run(spec("sent", "read", breakdown="properties.plan")).steps
    assert set(rows["breakdown"].dropna()) == {"pro"}


def test_the_top_values_and_the_rest_as_other(campaigns: Workspace) -> None:
    result = campaigns.funnels.run(spec("sent", "read", breakdown="event.campaign", top=2))
    table = {(r.breakdown, r.step): r.profiles for r in result.steps.itertuples()}
    assert result.breakdown_values == ["a", "b", "(other)"]
    assert table[("a", 1)] == 3 and table[("a", 2)] == 2
    assert table[("b", 1)] == 2 and table[("b", 2)] == 1
    # c and d together: profiles 6, 7 and 8 (counted once, at its best attempt)
    assert table[("(other)", 1)] == 3 and table[("(other)", 2)] == 1
    assert result.steps["breakdown"].isna().sum() == 2  # profile 9, no campaign, last
    other = spec("sent", "read", breakdown="event.campaign", top=2)
    assert campaigns.funnels.profiles(other, 1, breakdown_value="(other)") == [6, 7, 8]


def test_without_a_top_every_value_is_shown(campaigns: Workspace) -> None:
    result = campaigns.funnels.run(spec("sent", "read", breakdown="event.campaign"))
    assert result.breakdown_values == ["a", "b", "c", "d"]
