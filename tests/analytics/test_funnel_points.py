"""Funnel steps and goal points are parsed once, at the edge, and travel as AST nodes: a step
made from text holds the language's EventMatch; a goal's steps hold the goal's own nodes."""

from __future__ import annotations

import pytest

import dsl
from dsl.ast import Did
from engine import Workspace
from engine.analytics.funnel_spec import Exclusion, FunnelSpec, FunnelStep
from kith_errors import DslNameError, DslSyntaxError
from tests.analytics.events import at, put_events


def test_a_step_holds_its_parsed_filter() -> None:
    step = FunnelStep.parse("purchase where amount > 100 and currency = 'IDR'")
    parsed = dsl.parse_segment("did purchase where amount > 100 and currency = 'IDR'")
    assert isinstance(parsed, Did)
    assert step.match == parsed.match
    assert FunnelStep(event="signup").match.where is None


def test_a_syntax_error_is_raised_where_the_step_is_made_pointing_into_its_filter() -> None:
    with pytest.raises(DslSyntaxError) as caught:
        Exclusion(event="refund", where="amount >", after_step=1)
    assert (caught.value.source, caught.value.line) == ("amount >", 1)


def test_a_goal_step_is_the_goals_own_node(ws: Workspace) -> None:
    goal = dsl.parse_goal('goal "Big": start signup target purchase where amount > 10')
    step = FunnelStep.matching(goal.target)  # type: ignore[arg-type]
    assert step.match is goal.target


def test_names_are_checked_against_the_schema_when_the_funnel_runs(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0), (1, "purchase", 1, {"amount": 20})])
    spec = FunnelSpec(
        steps=[FunnelStep.parse("signup"), FunnelStep.parse("purchase where amont > 1")],
        as_of=at(10),
    )
    with pytest.raises(DslNameError, match="amont") as caught:
        ws.funnels.run(spec)
    assert caught.value.source == "amont > 1"
