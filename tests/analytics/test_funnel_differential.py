"""The SQL funnel against the pure-Python reference on random small datasets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Workspace
from engine.analytics.funnel_spec import Exclusion, FunnelSpec, FunnelStep
from tests.analytics import reference_funnel as ref
from tests.analytics.events import T0, put_events

TYPES = ("a", "b", "c")
AS_OF = T0 + dt.timedelta(hours=40)
ORDERS = ("ordered", "strict", "unordered")

steps = st.builds(
    ref.Step, st.sampled_from(TYPES), st.one_of(st.none(), st.integers(min_value=0, max_value=2))
)
row = st.tuples(
    st.integers(min_value=1, max_value=4),
    st.sampled_from((*TYPES, "x")),
    st.integers(min_value=0, max_value=48),  # hours; small range so timestamps tie
    st.integers(min_value=0, max_value=3),
)
rows = st.lists(row, max_size=24)
dense_rows = st.lists(row, min_size=12, max_size=24)  # most profiles get through some steps


# steps on one or two event types, mostly with filters: in unordered mode one event often
# matches several steps and must fill only one of them
overlapping = st.builds(
    ref.Step,
    st.sampled_from(TYPES[:2]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=2)),
)


@st.composite
def funnels(
    draw: st.DrawFn,
    sizes: tuple[int, int] = (2, 4),
    plain: bool = False,
    order: str | None = None,
    step: st.SearchStrategy[ref.Step] = steps,
) -> ref.Funnel:
    """Random funnels; `plain`: ordered without exclusions (the grouped best-attempt query)."""
    chosen = tuple(draw(st.lists(step, min_size=sizes[0], max_size=sizes[1])))
    bounds = draw(st.one_of(st.none(), st.tuples(st.integers(0, 20), st.integers(1, 30))))
    exclusions: tuple[tuple[ref.Step, int, int], ...] = ()
    if not plain and draw(st.booleans()):
        after = draw(st.integers(1, len(chosen) - 1))
        before = draw(st.integers(after + 1, len(chosen)))
        exclusions = ((ref.Step(draw(st.sampled_from((*TYPES, "x")))), after, before),)
    return ref.Funnel(
        steps=chosen,
        within=dt.timedelta(hours=draw(st.integers(1, 20))),
        order=order or ("ordered" if plain else draw(st.sampled_from(ORDERS))),
        start=None if bounds is None else T0 + dt.timedelta(hours=bounds[0]),
        end=None if bounds is None else T0 + dt.timedelta(hours=bounds[0] + bounds[1]),
        exclusions=exclusions,
    )


def as_spec(f: ref.Funnel) -> FunnelSpec:
    def step(s: ref.Step) -> FunnelStep:
        return FunnelStep(event=s.type, where=None if s.v_above is None else f"v > {s.v_above}")

    return FunnelSpec(
        steps=[step(s) for s in f.steps],
        within=f.within,
        order=f.order,
        start=f.start,
        end=f.end,
        exclusions=[
            Exclusion(event=s.type, after_step=a, before_step=b) for s, a, b in f.exclusions
        ],
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path: Path = tmp_path_factory.mktemp("differential") / "kith.duckdb"
    ws = Workspace.open(path)
    for name in (*TYPES, "x"):  # funnels check step names against the registered types
        ws.catalog.register_event_type(name, properties={"v": "number"})
    return ws


_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(data=rows, funnel=funnels())
def test_sql_funnel_matches_the_reference(
    workspace: Workspace, data: list[tuple[int, str, int, int]], funnel: ref.Funnel
) -> None:
    check(workspace, data, funnel)


@settings(_SETTINGS, max_examples=100)
@given(data=dense_rows, funnel=funnels(sizes=(1, 2), plain=True))
def test_one_and_two_step_ordered_funnels_match_the_reference(
    workspace: Workspace, data: list[tuple[int, str, int, int]], funnel: ref.Funnel
) -> None:
    check(workspace, data, funnel)


@settings(_SETTINGS, max_examples=50)
@given(data=dense_rows, funnel=funnels(sizes=(2, 4), order="unordered", step=overlapping))
def test_unordered_funnels_with_overlapping_steps_match_the_reference(
    workspace: Workspace, data: list[tuple[int, str, int, int]], funnel: ref.Funnel
) -> None:
    check(workspace, data, funnel)


@settings(_SETTINGS, max_examples=40)
@given(data=dense_rows, funnel=funnels(sizes=(2, 4), order="strict"))
def test_strict_funnels_match_the_reference(
    workspace: Workspace, data: list[tuple[int, str, int, int]], funnel: ref.Funnel
) -> None:
    check(workspace, data, funnel)


def check(workspace: Workspace, data: list[tuple[int, str, int, int]], funnel: ref.Funnel) -> None:
    workspace.db.execute("DELETE FROM events")
    events = [(p, t, h, {"v": v}) for p, t, h, v in data]
    if events:
        put_events(workspace, events)
    first = int(workspace.db.scalar("SELECT coalesce(min(id), 0) FROM events"))
    expected = ref.run(
        funnel,
        [
            ref.Ev(first + i, p, t, T0 + dt.timedelta(hours=h), props)
            for i, (p, t, h, props) in enumerate(events)
        ],
        AS_OF,
    )
    spec = as_spec(funnel)
    result = workspace.funnels.run(spec).steps
    assert result["profiles"].tolist() == expected["profiles"]
    medians = result["median_time_to_convert"].tolist()[1:]
    assert [None if m != m else m for m in medians] == expected["medians"]
    last = len(funnel.steps)
    assert workspace.funnels.profiles(spec, last) == expected["ids"][last - 1]
