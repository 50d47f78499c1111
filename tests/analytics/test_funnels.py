"""Funnel semantics (docs/analytics.md), one hand-made case per corner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import Workspace
from engine.analytics.funnel_spec import Exclusion, FunnelSpec, FunnelStep, parse_within, spec_from
from kith_errors import DslError, DslNameError, ValidationError
from tests.analytics.events import T0, at, put_events

DAY = dt.timedelta(days=1)


def spec(*events: str, **fields: Any) -> FunnelSpec:
    steps = [FunnelStep.parse(e) for e in events]
    return FunnelSpec(steps=steps, within=fields.pop("within", DAY), as_of=at(1000), **fields)


def counts(ws: Workspace, funnel: FunnelSpec) -> list[int]:
    return ws.funnels.run(funnel).steps["profiles"].tolist()


def test_every_step1_event_begins_an_attempt_and_the_best_counts(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "a", 30), (1, "b", 40)])
    assert counts(ws, spec("a", "b")) == [1, 1]


def test_equal_timestamps_complete_consecutive_steps_in_step_order(ws: Workspace) -> None:
    put_events(ws, [(1, "c", 5), (1, "b", 5), (1, "a", 5)])
    assert counts(ws, spec("a", "b", "c")) == [1, 1, 1]


def test_a_later_step_before_the_previous_one_does_not_count(ws: Workspace) -> None:
    put_events(ws, [(1, "b", 0), (1, "a", 1)])
    assert counts(ws, spec("a", "b")) == [1, 0]


def test_window_edge_is_inclusive(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 24), (2, "a", 0), (2, "b", 24.001)])
    assert counts(ws, spec("a", "b")) == [2, 1]
    assert ws.funnels.profiles(spec("a", "b"), 2) == [1]


def test_one_event_cannot_fill_two_steps(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (2, "a", 0), (2, "a", 0), (3, "a", 0), (3, "b", 1), (3, "a", 2)])
    assert counts(ws, spec("a", "a")) == [3, 2]
    assert counts(ws, spec("a", "b", "a")) == [3, 1, 1]


def test_strict_order_is_broken_by_an_interleaved_event(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "x", 1), (1, "b", 2), (2, "a", 0), (2, "b", 2)])
    assert counts(ws, spec("a", "b", order="strict")) == [2, 1]
    assert counts(ws, spec("a", "b", order="ordered")) == [2, 2]


def test_strict_order_counts_a_clean_later_attempt(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "x", 1), (1, "a", 2), (1, "b", 3)])
    assert counts(ws, spec("a", "b", order="strict")) == [1, 1]


def test_unordered_counts_steps_done_in_any_order_within_the_window(ws: Workspace) -> None:
    put_events(ws, [(1, "c", 0), (1, "b", 1), (1, "a", 2), (2, "b", 0), (2, "a", 20)])
    assert counts(ws, spec("a", "b", "c", order="unordered")) == [2, 2, 1]
    assert counts(ws, spec("a", "b", "c")) == [2, 0, 0]


def test_unordered_needs_distinct_events_for_repeated_steps(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (2, "a", 0), (2, "a", 3)])
    assert counts(ws, spec("a", "a", order="unordered")) == [2, 1]


def test_an_exclusion_voids_the_attempt_but_a_clean_attempt_still_counts(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "a", 0),
            (1, "x", 1),
            (1, "b", 2),
            (1, "a", 50),
            (1, "b", 51),
            (2, "a", 0),
            (2, "x", 1),
            (2, "b", 2),
        ],
    )
    excluded = spec("a", "b", exclusions=[Exclusion(event="x", after_step=1)])
    assert counts(ws, excluded) == [1, 1]
    assert ws.funnels.profiles(excluded, 1) == [1]


def test_an_exclusion_after_an_unreached_step_counts_up_to_the_window(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "x", 1), (2, "a", 0), (2, "x", 30), (3, "b", 999)])
    excluded = spec("a", "b", exclusions=[Exclusion(event="x", after_step=1)])
    assert counts(ws, excluded) == [1, 0]
    assert ws.funnels.profiles(excluded, 1) == [2]


def test_an_exclusion_outside_its_steps_does_not_void(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (1, "x", 2), (1, "c", 3)])
    excluded = spec("a", "b", "c", exclusions=[Exclusion(event="x", after_step=1)])
    assert counts(ws, excluded) == [1, 1, 1]
    later = spec("a", "b", "c", exclusions=[Exclusion(event="x", after_step=2, before_step=3)])
    assert counts(ws, later) == [0, 0, 0]


def test_the_date_range_limits_only_step_one(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 10), (1, "b", 40), (2, "a", -5), (2, "b", 1), (3, "a", 30)])
    ranged = spec("a", "b", within=dt.timedelta(days=3), start=at(0), end=at(24))
    assert counts(ws, ranged) == [1, 1]
    assert counts(ws, spec("a", "b", start=T0.date(), end=T0.date())) == [2, 1]


def test_events_after_as_of_are_invisible(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 5)])
    assert counts(ws, spec("a", "b").model_copy(update={"as_of": at(4)})) == [1, 0]


def test_conversion_drop_off_and_times(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (2, "a", 0), (2, "b", 3), (3, "a", 0), (4, "b", 0)])
    rows = ws.funnels.run(spec("a", "b")).steps.to_dict(orient="records")
    assert [r["profiles"] for r in rows] == [3, 2]
    assert rows[1]["conversion_from_first"] == pytest.approx(2 / 3)
    assert rows[1]["conversion_from_previous"] == pytest.approx(2 / 3)
    assert [r["drop_off"] for r in rows] == [0, 1]
    assert rows[1]["avg_time_to_convert"] == pytest.approx(7200)
    assert rows[1]["median_time_to_convert"] == pytest.approx(7200)


def test_times_to_convert_are_exact_to_the_microsecond(ws: Workspace) -> None:
    """Gaps are summed as whole microseconds: 0.1 s and 0.2 s average exactly 0.15 s (seconds
    since 1970 as doubles carry ~1e-7 s of rounding into every gap, and a sum of doubles
    depends on the order threads add them in)."""
    tenth = 0.1 / 3600
    put_events(ws, [(1, "a", 0), (1, "b", tenth), (2, "a", 0), (2, "b", 2 * tenth)])
    rows = ws.funnels.run(spec("a", "b")).steps.to_dict(orient="records")
    assert rows[1]["avg_time_to_convert"] == 0.15
    assert rows[1]["median_time_to_convert"] == 0.15


def test_an_empty_funnel_has_zero_rows_per_step(ws: Workspace) -> None:
    rows = ws.funnels.run(spec("signup", "purchase")).steps
    assert rows["profiles"].tolist() == [0, 0]
    assert rows["conversion_from_first"].tolist() == [0.0, 0.0]


def test_breakdown_by_a_step_one_event_property(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "sent", 0, {"campaign": "spring"}),
            (1, "read", 1),
            (2, "sent", 0, {"campaign": "fall"}),
            (3, "sent", 0, {"campaign": "spring"}),
            (3, "sent", 2, {"campaign": "fall"}),
        ],
    )
    rows = ws.funnels.run(spec("sent", "read", breakdown="event.campaign")).steps
    table = {(r.breakdown, r.step): r.profiles for r in rows.itertuples()}
    assert table == {("fall", 1): 2, ("fall", 2): 0, ("spring", 1): 2, ("spring", 2): 1}
    funnel = spec("sent", "read", breakdown="event.campaign")
    assert ws.funnels.profiles(funnel, 1, breakdown_value="fall") == [2, 3]


def test_breakdown_by_a_profile_property(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (2, "a", 0), (3, "a", 0)])
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id IN (1, 2)")
    rows = ws.funnels.run(spec("a", "b", breakdown="country")).steps
    table = {(r.breakdown, r.step): r.profiles for r in rows.itertuples()}
    assert table[("ID", 1)] == 2 and table[("ID", 2)] == 1
    assert rows["breakdown"].isna().sum() == 2


def test_drill_down_to_the_profiles_behind_a_step(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (2, "a", 0), (3, "a", 0), (3, "b", 2)])
    funnel = spec("a", "b")
    assert ws.funnels.profiles(funnel, 1) == [1, 2, 3]
    assert ws.funnels.profiles(funnel, 2) == [1, 3]
    assert ws.funnels.profiles(funnel, 2, dropped=True) == [2]
    with pytest.raises(ValidationError, match="step 3"):
        ws.funnels.profiles(funnel, 3)


def test_a_step_with_an_event_filter(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "signup", 0),
            (1, "purchase", 1, {"amount": 50}),
            (1, "purchase", 2, {"amount": 150}),
            (2, "signup", 0),
            (2, "purchase", 1, {"amount": 90}),
        ],
    )
    assert counts(ws, spec("signup", "purchase where amount > 100")) == [2, 1]


def test_a_bad_event_filter_points_into_the_filter(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0)])
    with pytest.raises(DslError) as caught:
        ws.funnels.run(spec("signup", "purchase where amount >"))
    assert caught.value.source == "amount >"


def test_a_misspelt_step_property_is_an_error_with_caret_and_suggestion(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0), (1, "purchase", 1, {"amount": 150})])
    with pytest.raises(DslNameError) as caught:
        ws.funnels.run(spec("signup", "purchase where amout > 100"))
    assert str(caught.value) == (
        "line 1, column 1: unknown property 'amout' of purchase events (did you mean 'amount'?)"
        "\namout > 100\n^"
    )


def test_an_unknown_step_event_type_is_an_error_with_a_suggestion(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0)])
    with pytest.raises(DslNameError) as caught:
        ws.funnels.run(spec("signup", "purchse"))
    assert str(caught.value) == (
        "line 1, column 1: unknown event type 'purchse' (did you mean 'purchase'?)\npurchse\n^"
    )


def test_exclusion_filters_are_checked_too(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0), (1, "purchase", 1)])
    bad = Exclusion(event="page_view", where='url contains "/x" and titel = "y"', after_step=1)
    with pytest.raises(DslNameError, match="unknown property 'titel'") as caught:
        ws.funnels.run(spec("signup", "purchase", exclusions=[bad]))
    assert caught.value.suggestion == "title"
    assert caught.value.column == len('url contains "/x" and ') + 1
    with pytest.raises(DslNameError, match="unknown event type 'refund'"):
        ws.funnels.profiles(
            spec("signup", "purchase", exclusions=[Exclusion(event="refund", after_step=1)]), 2
        )


def test_a_type_mismatch_in_a_step_filter_is_an_error(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0)])
    with pytest.raises(DslError, match="amount"):
        ws.funnels.run(spec("signup", 'purchase where amount > "lots"'))


def test_bad_specs_are_clear_errors() -> None:
    with pytest.raises(ValidationError, match="exclusion 'x'"):
        spec_from(steps=[FunnelStep(event="a")], exclusions=[Exclusion(event="x", after_step=1)])
    with pytest.raises(ValidationError, match="within"):
        spec_from(steps=[FunnelStep(event="a")], within=dt.timedelta(0))
    with pytest.raises(ValidationError, match="not an event type"):
        FunnelStep.parse("buy it!")
    with pytest.raises(ValidationError, match="7d"):
        parse_within("a week")
    assert parse_within("12h") == dt.timedelta(hours=12)
    assert parse_within("2 weeks") == dt.timedelta(days=14)


def test_an_audience_limits_the_funnel_to_a_segment(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "b", 1), (2, "a", 0), (2, "b", 1), (3, "a", 0)])
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id IN (1, 3)")
    funnel = spec("a", "b", audience='country = "ID"')
    assert counts(ws, funnel) == [2, 1]
    assert ws.funnels.profiles(funnel, 2) == [1]


def minutes(m: float) -> float:
    return m / 60


def test_an_exclusion_voiding_the_furthest_attempt_removes_the_person(ws: Workspace) -> None:
    """PostHog's test_excluded_completion: the attempt at 00:12 reaches step 2 but is voided;
    the clean attempt at 00:00 only reaches step 1, so the person drops out entirely."""
    put_events(
        ws,
        [
            (1, "step_one", minutes(0)),
            (1, "exclusion", minutes(11)),
            (1, "step_one", minutes(12)),
            (1, "exclusion", minutes(13)),
            (1, "step_two", minutes(14)),
        ],
    )
    funnel = spec(
        "step_one",
        "step_two",
        within=parse_within("10m"),
        exclusions=[Exclusion(event="exclusion", after_step=1, before_step=2)],
    )
    assert counts(ws, funnel) == [0, 0]
    assert ws.funnels.profiles(funnel, 1) == []


def test_a_window_in_seconds(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "a", 0),
            (1, "b", 10 / 3600),
            (2, "a", 0),
            (2, "b", 11 / 3600),
        ],
    )
    assert parse_within("10s") == dt.timedelta(seconds=10)
    assert parse_within("45 seconds") == dt.timedelta(seconds=45)
    assert counts(ws, spec("a", "b", within=parse_within("10s"))) == [2, 1]
    assert ws.funnels.profiles(spec("a", "b", within=parse_within("10s")), 2) == [1]


def test_exclusions_are_written_as_event_filter_and_step_range() -> None:
    assert Exclusion.parse("cancel:1") == Exclusion(event="cancel", after_step=1)
    parsed = Exclusion.parse('page_view where url contains "https://x":2-4')
    assert parsed == Exclusion(
        event="page_view", where='url contains "https://x"', after_step=2, before_step=4
    )
    with pytest.raises(ValidationError, match="EVENT:STEP") as caught:
        Exclusion.parse("cancel")
    assert "Value error" not in str(caught.value)
    with pytest.raises(ValidationError, match="EVENT:STEP"):
        Exclusion.parse("cancel:two")


def test_an_exclusion_outside_the_funnel_says_so_in_plain_words() -> None:
    with pytest.raises(ValidationError) as caught:
        spec_from(steps=[FunnelStep(event="a")], exclusions=[Exclusion.parse("x:1-3")])
    assert str(caught.value) == (
        "funnel: exclusion 'x': steps 1..3 are not two steps of this 1-step funnel"
    )
