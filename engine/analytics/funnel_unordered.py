"""Unordered funnels: when an attempt has k of its steps done, one event filling one step.

Steps are grouped by definition (a step repeated twice is one group of size 2). Each event row of
the query's `q` table carries m{g} (it matches group g) and, as window columns over the
profile's events from its own time on, the first times at which each set of groups matches.
Only groups of one event type can match the same event, so sets never mix types.

k steps can be given distinct events of a window by time T exactly when, for every set S of
groups, at least k - (steps outside S) events matching S happen by T (Hall's theorem). That is
what lets one event stand for a single step even when step filters overlap (`page_view` and
`page_view where url contains "/pricing"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from sqlglot import exp

from engine.analytics.funnel_spec import FunnelStep
from kith_errors import ValidationError

# Sets of groups grow as 2**filters: more filters on one event type than this is refused.
MAX_FILTERS_PER_TYPE = 5

Group = tuple[FunnelStep, int]


def step_groups(steps: Sequence[FunnelStep]) -> list[Group]:
    """Distinct step definitions with how many steps share each."""
    counts: dict[FunnelStep, int] = {}
    for step in steps:
        counts[step] = counts.get(step, 0) + 1
    return list(counts.items())


def _parts(groups: list[Group]) -> list[list[int]]:
    """Group indexes by event type: only groups of one type can match the same event."""
    by_type: dict[str, list[int]] = {}
    for g, (step, _) in enumerate(groups):
        by_type.setdefault(step.event, []).append(g)
    for members in by_type.values():
        if len(members) > MAX_FILTERS_PER_TYPE:
            event = groups[members[0]][0].event
            raise ValidationError(
                f"unordered funnel: {len(members)} different steps on {event!r} events; "
                f"at most {MAX_FILTERS_PER_TYPE} per event type"
            )
    return list(by_type.values())


def _sets(part: list[int]) -> list[tuple[int, ...]]:
    return [s for r in range(1, len(part) + 1) for s in combinations(part, r)]


def _name(groups: tuple[int, ...]) -> str:
    return "q" + "_".join(str(g) for g in groups)


def _size(groups: list[Group], chosen: tuple[int, ...]) -> int:
    return sum(groups[g][1] for g in chosen)


def first_times(groups: list[Group]) -> list[exp.Expr]:
    """Window columns q{set}: from each event on, the first time (or, for a set standing for
    several steps, the list of first times) at which an event matching the set happens."""
    return [
        _first_times(chosen, _size(groups, chosen))
        for part in _parts(groups)
        for chosen in _sets(part)
    ]


def _first_times(chosen: tuple[int, ...], size: int) -> exp.Expr:
    hit = exp.If(this=exp.or_(*(exp.column(f"m{g}") for g in chosen)), true=exp.column("ts"))
    first = exp.Min(this=hit, expressions=[exp.Literal.number(size)] if size > 1 else [])
    following = exp.WindowSpec(
        kind="RANGE", start="CURRENT ROW", end="UNBOUNDED", end_side="FOLLOWING"
    )
    window = exp.Window(
        this=first,
        partition_by=[exp.column("profile_id")],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column("ts"))]),
        spec=following,
    )
    return exp.alias_(window, _name(chosen))


def reach_times(groups: list[Group], window_end: exp.Expr) -> exp.Expr:
    """The sorted list of times at which the attempt starting at this row has 1, 2, ... steps
    done (NULLs last: steps never done in the window). `window_end`: ts + the window."""
    reached = [time for part in _parts(groups) for time in _part_reach(groups, part, window_end)]
    return exp.Anonymous(
        this="list_sort",
        expressions=[
            exp.Array(expressions=reached),
            exp.Literal.string("ASC"),
            exp.Literal.string("NULLS LAST"),
        ],
    )


def _part_reach(groups: list[Group], part: list[int], window_end: exp.Expr) -> list[exp.Expr]:
    """When 1, 2, ... steps of one event type are done: for each j, the latest of the times
    Hall's condition asks for (NULL if any of them is not in the window)."""
    total = _size(groups, tuple(part))
    reached = []
    for j in range(1, total + 1):
        terms = []
        for chosen in _sets(part):
            size = _size(groups, chosen)
            if (need := j - (total - size)) >= 1:
                terms.append(_nth_time(chosen, size, need, window_end))
        # sqlglot renders GREATEST for DuckDB as NULL when any term is NULL: one missing
        # requirement means j steps are not done
        reached.append(
            exp.Greatest(this=terms[0], expressions=terms[1:]) if terms[1:] else terms[0]
        )
    return reached


def _nth_time(chosen: tuple[int, ...], size: int, n: int, window_end: exp.Expr) -> exp.Expr:
    """The n-th time the set matches within the window, else NULL."""
    found: exp.Expr = exp.column(_name(chosen))
    if size > 1:
        found = exp.Anonymous(this="list_extract", expressions=[found, exp.Literal.number(n)])
    inside = exp.LTE(this=found, expression=window_end.copy())
    return exp.If(this=inside, true=found.copy())
