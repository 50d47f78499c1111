"""Strict and unordered funnels: the corners of docs/analytics.md that the two modes add, one
hand-made case each (the random cases are in test_funnel_differential.py)."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.analytics.funnel_unordered import MAX_FILTERS_PER_TYPE
from kith_errors import ValidationError
from tests.analytics.events import at as at_hour
from tests.analytics.events import put_events
from tests.analytics.test_funnels import counts, spec

PRICING = 'page_view where url contains "/pricing"'


def test_strict_allows_other_events_at_the_same_instant_as_a_step(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "x", 0), (1, "b", 0), (2, "a", 0), (2, "x", 1), (2, "b", 1)])
    assert counts(ws, spec("a", "b", order="strict")) == [2, 2]


def test_strict_stops_at_the_first_gap_even_when_later_steps_follow_closely(
    ws: Workspace,
) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (1, "x", 2), (1, "c", 3), (1, "d", 4)])
    assert counts(ws, spec("a", "b", "c", "d", order="strict")) == [1, 1, 0, 0]
    assert counts(ws, spec("a", "b", "c", "d")) == [1, 1, 1, 1]


def test_strict_ignores_events_of_other_profiles(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (2, "x", 1), (1, "b", 2)])
    assert counts(ws, spec("a", "b", order="strict")) == [1, 1]


def test_strict_takes_the_earliest_next_step_only(ws: Workspace) -> None:
    # the b at 1 is the next step; the x after it breaks the way to c, and the later b (right
    # before c) is not tried instead, as in ordered mode's choice of event
    put_events(ws, [(1, "a", 0), (1, "b", 1), (1, "x", 2), (1, "b", 3), (1, "c", 4)])
    assert counts(ws, spec("a", "b", "c", order="strict")) == [1, 1, 0]


def test_strict_drill_down_and_times_follow_the_cut_attempts(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 2), (2, "a", 0), (2, "x", 1), (2, "b", 4)])
    funnel = spec("a", "b", order="strict")
    rows = ws.funnels.run(funnel).steps
    assert rows["median_time_to_convert"].tolist()[1] == pytest.approx(2 * 3600)
    assert ws.funnels.profiles(funnel, 2) == [1]
    assert ws.funnels.profiles(funnel, 2, dropped=True) == [2]


def test_unordered_one_event_fills_one_step_when_filters_overlap(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "page_view", 0, {"url": "/pricing"}),
            (2, "page_view", 0, {"url": "/pricing"}),
            (2, "page_view", 2, {"url": "/home"}),
            (3, "page_view", 0, {"url": "/home"}),
            (3, "page_view", 5, {"url": "/pricing/team"}),
            (4, "page_view", 0, {"url": "/home"}),
            (4, "page_view", 1, {"url": "/about"}),
        ],
    )
    funnel = spec("page_view", PRICING, order="unordered")
    rows = ws.funnels.run(funnel).steps
    assert rows["profiles"].tolist() == [4, 2]
    assert rows["median_time_to_convert"].tolist()[1] == pytest.approx(3.5 * 3600)
    assert ws.funnels.profiles(funnel, 2) == [2, 3]
    assert counts(ws, spec("page_view", PRICING)) == [4, 1]


def test_unordered_overlapping_steps_get_the_events_that_fit_them(ws: Workspace) -> None:
    # profile 1: v=2 must fill "v > 1" and v=1 "v > 0" for all three steps to be done;
    # profile 2: only one event has v > 0, so "v > 0" and "v > 1" cannot both be filled
    put_events(
        ws,
        [
            (1, "a", 0, {"v": 2}),
            (1, "a", 1, {"v": 1}),
            (1, "a", 2, {"v": 0}),
            (2, "a", 0, {"v": 0}),
            (2, "a", 1, {"v": 0}),
            (2, "a", 2, {"v": 2}),
        ],
    )
    funnel = spec("a", "a where v > 0", "a where v > 1", order="unordered")
    rows = ws.funnels.run(funnel).steps
    assert rows["profiles"].tolist() == [2, 2, 1]
    assert rows["median_time_to_convert"].tolist()[1:] == pytest.approx([1.5 * 3600, 3600])


def test_unordered_repeated_and_overlapping_steps_together(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0, {"v": 1}), (1, "a", 1, {"v": 0}), (1, "a", 2, {"v": 0})])
    assert counts(ws, spec("a", "a", "a where v > 0", order="unordered")) == [1, 1, 1]
    assert counts(ws, spec("a where v > 0", "a where v > 0", "a", order="unordered")) == [
        1,
        1,
        0,
    ]


def test_unordered_events_after_the_range_fill_steps_but_begin_no_attempt(
    ws: Workspace,
) -> None:
    put_events(ws, [(1, "b", 10), (1, "a", 30), (2, "a", 30), (2, "b", 31)])
    ranged = spec("a", "b", order="unordered", start=at_hour(0), end=at_hour(24))
    assert counts(ws, ranged) == [1, 1]
    assert ws.funnels.profiles(ranged, 1) == [1]


def test_unordered_refuses_too_many_filters_on_one_event_type(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0, {"v": 1})])
    steps = [f"a where v > {k}" for k in range(MAX_FILTERS_PER_TYPE + 1)]
    with pytest.raises(ValidationError, match=f"at most {MAX_FILTERS_PER_TYPE}"):
        ws.funnels.run(spec(*steps, order="unordered"))
    assert counts(ws, spec(*steps[:MAX_FILTERS_PER_TYPE], order="unordered"))[0] == 1


def test_a_one_step_unordered_funnel_counts_its_step(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "a", 1), (2, "b", 0), (3, "a", 5)])
    assert counts(ws, spec("a", order="unordered")) == [2]


def test_modes_break_down_by_the_first_event_of_the_attempt(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "a", 0, {"campaign": "spring"}),
            (1, "b", 1, {"campaign": "fall"}),
            (2, "b", 0, {"campaign": "fall"}),
            (2, "a", 1, {"campaign": "spring"}),
            (3, "a", 0, {"campaign": "fall"}),
            (3, "x", 1),
            (3, "b", 2),
        ],
    )

    def table(order: str) -> dict[tuple[str | None, int], int]:
        rows = ws.funnels.run(spec("a", "b", order=order, breakdown="event.campaign")).steps
        return {
            (r.breakdown if isinstance(r.breakdown, str) else None, r.step): r.profiles
            for r in rows.itertuples()
        }

    assert table("strict") == {("fall", 1): 1, ("fall", 2): 0, ("spring", 1): 2, ("spring", 2): 1}
    # unordered: any step event begins an attempt, broken down by its own campaign: in fall,
    # profile 2's b and profile 3's a begin attempts doing both steps, profile 1's b one doing
    # one step; profile 3's b (no campaign) begins one of its own
    assert table("unordered") == {
        ("fall", 1): 3,
        ("fall", 2): 2,
        ("spring", 1): 2,
        ("spring", 2): 1,
        (None, 1): 1,
        (None, 2): 0,
    }
