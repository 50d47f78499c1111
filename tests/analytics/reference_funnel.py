"""A pure-Python funnel, written straight from docs/analytics.md, to check the SQL against.

Slow and obvious on purpose: every attempt is walked event by event."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ev:
    id: int
    profile: int
    type: str
    ts: dt.datetime
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Step:
    """An event type and an optional minimum for the numeric property `v` (`where v > min`)."""

    type: str
    v_above: int | None = None

    def matches(self, ev: Ev) -> bool:
        if ev.type != self.type:
            return False
        value = ev.props.get("v")
        return self.v_above is None or (value is not None and value > self.v_above)


@dataclass(frozen=True)
class Funnel:
    steps: tuple[Step, ...]
    within: dt.timedelta
    order: str = "ordered"
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    exclusions: tuple[tuple[Step, int, int], ...] = ()  # (event, after_step, before_step)


@dataclass(frozen=True)
class Attempt:
    id1: int
    times: tuple[dt.datetime, ...]  # t1, t2, ... as far as reached


def in_range(f: Funnel, ts: dt.datetime) -> bool:
    return (f.start is None or ts >= f.start) and (f.end is None or ts < f.end)


def ordered(f: Funnel, events: list[Ev]) -> list[Attempt]:
    attempts = []
    for first in events:
        if not (f.steps[0].matches(first) and in_range(f, first.ts)):
            continue
        used, times = {first.id}, [first.ts]
        for step in f.steps[1:]:
            nxt = _next(f, step, events, used, times)
            if nxt is None:
                break
            used.add(nxt.id)
            times.append(nxt.ts)
        attempts.append(Attempt(first.id, tuple(times)))
    return attempts


def _next(f: Funnel, step: Step, events: list[Ev], used: set[int], times: list) -> Ev | None:
    prev, limit = times[-1], times[0] + f.within
    ok: Callable[[Ev], bool] = lambda e: (  # noqa: E731
        step.matches(e) and e.id not in used and prev <= e.ts <= limit
    )
    if f.order == "strict":
        between = lambda e: any(prev < o.ts < e.ts for o in events)  # noqa: E731
        candidates = [e for e in events if ok(e) and not between(e)]
    else:
        candidates = [e for e in events if ok(e)]
    return min(candidates, key=lambda e: (e.ts, e.id), default=None)


def unordered(f: Funnel, events: list[Ev]) -> list[Attempt]:
    """Every step event in the range begins an attempt. Its window's events are taken in time
    order, each kept when the kept events can still be given distinct steps: the k-th kept
    event is when k steps are done (one event never fills two steps, even where filters
    overlap)."""
    attempts = []
    for anchor in events:
        if not (any(s.matches(anchor) for s in f.steps) and in_range(f, anchor.ts)):
            continue
        limit = anchor.ts + f.within
        kept: list[Ev] = []
        for e in events:
            if anchor.ts <= e.ts <= limit and _assignable([*kept, e], list(f.steps)):
                kept.append(e)
        attempts.append(Attempt(anchor.id, (anchor.ts, *(e.ts for e in kept[1:]))))
    return attempts


def _assignable(chosen: list[Ev], steps: list[Step]) -> bool:
    """Whether each chosen event can fill a different one of `steps` (tries every way)."""
    if not chosen:
        return True
    first, rest = chosen[0], chosen[1:]
    return any(
        step.matches(first) and _assignable(rest, steps[:i] + steps[i + 1 :])
        for i, step in enumerate(steps)
    )


def void(f: Funnel, attempt: Attempt, events: list[Ev]) -> bool:
    for step, after, before in f.exclusions:
        if len(attempt.times) < after:
            continue
        low = attempt.times[after - 1]
        for e in events:
            if not step.matches(e) or e.ts <= low:
                continue
            if len(attempt.times) >= before:
                if e.ts < attempt.times[before - 1]:
                    return True
            elif e.ts <= attempt.times[0] + f.within:
                return True
    return False


def run(f: Funnel, events: list[Ev], as_of: dt.datetime) -> dict[str, Any]:
    """profiles[k], median[k] (seconds from step k to k+1) and the ids reaching each step."""
    visible = sorted((e for e in events if e.ts <= as_of), key=lambda e: (e.ts, e.id))
    best: dict[int, Attempt] = {}
    for profile in sorted({e.profile for e in visible}):
        mine = [e for e in visible if e.profile == profile]
        walk = unordered if f.order == "unordered" else ordered
        attempts = walk(f, mine)
        furthest = max((len(a.times) for a in attempts), default=0)
        # the furthest attempt decides: voided, unless a clean attempt gets as far
        clean = [a for a in attempts if len(a.times) == furthest and not void(f, a, mine)]
        if clean:
            best[profile] = min(clean, key=lambda a: (a.times[0], a.id1))
    n = len(f.steps)
    reached = [sorted(p for p, a in best.items() if len(a.times) > k) for k in range(n)]
    medians = [statistics.median(gaps) if (gaps := _gaps(best, k)) else None for k in range(1, n)]
    return {"profiles": [len(r) for r in reached], "ids": reached, "medians": medians}


def _gaps(best: dict[int, Attempt], k: int) -> list[float]:
    return [
        (a.times[k] - a.times[k - 1]).total_seconds() for a in best.values() if len(a.times) > k
    ]
