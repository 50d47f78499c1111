"""Why is (or isn't) a profile in a segment: the expression's clause tree, each clause with its
truth value for that profile at `as_of`, and for event clauses the events that matched.

Every leaf clause is compiled exactly as in the segment query and evaluated in ONE query over the
profile's row; `and` / `or` / `not` are combined here (the logic is two-valued, so this is exact).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlglot import exp

import dsl
from dsl.ast import (
    Aggregate,
    And,
    Did,
    EventMatch,
    InSegment,
    Not,
    Occurrence,
    Or,
    Sequence,
    Window,
)
from engine.compiler import Context, compile_condition, compile_where, saved_expression
from engine.compiler.build import only_profiles
from engine.compiler.events import event_conditions
from engine.segments.source import AsOf, SegmentSource
from kith_errors import NotFound
from store import profiles as profile_repo

EVENT_COLUMNS = ("id", "type", "ts", "channel", "source", "properties")
EVENT_LIMIT = 50


@dataclass
class Clause:
    text: str
    value: bool
    children: list[Clause] = field(default_factory=list)
    events: pd.DataFrame | None = None  # the matching events, for event clauses
    kind: str = ""  # "and", "or", "not" for the clauses that combine others

    def to_dict(self) -> dict[str, Any]:
        found = None if self.events is None else self.events.to_dict(orient="records")
        kids = [child.to_dict() for child in self.children]
        return {"clause": self.text, "value": self.value, "events": found, "children": kids}

    def lines(self, depth: int = 0) -> list[str]:
        """The clause as sentences, one per line, its parts indented below it."""
        mark = "✓" if self.value else "✗"
        head = [f"{'  ' * depth}{mark} {self.text} — {self._verdict()}"]
        if self.events is not None:
            head.append(f"{'  ' * (depth + 2)}{_events_sentence(self.events)}")
        return head + [line for child in self.children for line in child.lines(depth + 1)]

    def _verdict(self) -> str:
        holding = sum(child.value for child in self.children)
        parts = len(self.children)
        if self.kind == "and":
            return "true: all its parts hold" if self.value else f"false: {holding} of {parts} hold"
        if self.kind == "or":
            return f"true: {holding} of {parts} hold" if self.value else "false: none holds"
        if self.kind == "not":
            inside = "does not hold" if self.value else "holds"
            return f"{str(self.value).lower()}: the part below {inside}"
        return "true" if self.value else "false"


@dataclass
class Explanation:
    profile_id: int
    as_of: dt.datetime
    root: Clause
    name: str | None = None  # what the person is called (name, else email, else phone)

    @property
    def value(self) -> bool:
        return self.root.value

    def to_dict(self) -> dict[str, Any]:
        return {"profile_id": self.profile_id, "as_of": self.as_of, "result": self.root.to_dict()}

    @property
    def sentence(self) -> str:
        """Who, in or out, and when: 'Ana Lima (#12) is in this segment as of ...'."""
        who = f"{self.name} (#{self.profile_id})" if self.name else f"Profile #{self.profile_id}"
        verdict = "is in" if self.value else "is not in"
        return f"{who} {verdict} this segment as of {self.as_of:%Y-%m-%d %H:%M} UTC."

    def __str__(self) -> str:
        return "\n".join([self.sentence, *self.root.lines()])


def _events_sentence(events: pd.DataFrame) -> str:
    """The events an event clause matched, by type and time with their ids."""
    if events.empty:
        return "no matching events"
    shown = [f"{row.type} at {row.ts:%Y-%m-%d %H:%M} (#{row.id})" for row in events.itertuples()]
    noun = "event" if len(shown) == 1 else "events"
    return f"{len(shown)} matching {noun}: " + ", ".join(shown)


def explain(
    segments: SegmentSource, text_or_name: str, profile_id: int, *, as_of: AsOf = None
) -> Explanation:
    ctx = segments.context(as_of)
    explainer = _Explainer(segments, ctx, profile_id)
    expr = segments.target(text_or_name, ctx.schema)
    explainer.collect(expr)
    explainer.evaluate()
    name = dict(profile_repo.display_names(segments.db, [profile_id])).get(profile_id)
    return Explanation(profile_id, ctx.as_of, explainer.clause(expr), name)


class _Explainer:
    """Collects the leaf clauses (through saved segments, so `in segment "x"` shows why),
    evaluates them all in one query, then builds the clause tree."""

    def __init__(self, segments: SegmentSource, ctx: Context, pid: int) -> None:
        self.segments, self.ctx, self.pid = segments, ctx, pid
        self.leaves: list[Any] = []
        self.inner: dict[int, Any] = {}  # id(InSegment leaf) -> the saved expression
        self.values: dict[int, bool] = {}

    def collect(self, node: Any) -> None:
        if isinstance(node, And | Or):
            for item in node.items:
                self.collect(item)
        elif isinstance(node, Not):
            self.collect(node.item)
        else:
            self.leaves.append(node)
            if isinstance(node, InSegment):
                saved = self.segments.saved(node.name)
                if saved.kind != "static":
                    self.inner[id(node)] = saved_expression(saved)
                    self.collect(self.inner[id(node)])

    def evaluate(self) -> None:
        found = _leaf_values(self.segments, self.ctx, self.leaves, self.pid)
        self.values = dict(zip(map(id, self.leaves), found, strict=True))

    def clause(self, node: Any) -> Clause:
        text = dsl.format_expr(node)
        if isinstance(node, And | Or):
            kids = [self.clause(item) for item in node.items]
            each = [k.value for k in kids]
            if isinstance(node, And):
                return Clause(text, all(each), kids, kind="and")
            return Clause(text, any(each), kids, kind="or")
        if isinstance(node, Not):
            kid = self.clause(node.item)
            return Clause(text, not kid.value, [kid], kind="not")
        kids = [self.clause(self.inner[id(node)])] if id(node) in self.inner else []
        found = _matching_events(self.segments, self.ctx, node, self.pid)
        return Clause(text, self.values[id(node)], kids, found)


def _leaf_values(segments: SegmentSource, ctx: Context, leaves: list[Any], pid: int) -> list[bool]:
    columns = [compile_condition(ctx, leaf).as_(f"c{i}") for i, leaf in enumerate(leaves)]
    who = ctx.bind(int(pid))
    query = exp.select(*columns).from_(exp.table_("profiles", alias="p"))
    query = query.where(exp.column("id", "p").eq(who))
    scoped = only_profiles(query, exp.column("profile_id").eq(who.copy()))
    rows = segments.db.rows(scoped, ctx.params)
    if not rows:
        raise NotFound(f"there is no profile with id {pid}")
    return [bool(v) for v in rows[0]]


def _matching_events(
    segments: SegmentSource, ctx: Context, node: Any, pid: int
) -> pd.DataFrame | None:
    """The profile's events each event clause looked at (visible at as_of, in its window)."""
    matches: list[tuple[EventMatch, Window | None]]
    if isinstance(node, Did | Aggregate):
        matches = [(node.match, node.window)]
    elif isinstance(node, Occurrence):
        matches = [(node.match, None)]
    elif isinstance(node, Sequence):
        matches = [(step, node.window if i == 0 else None) for i, step in enumerate(node.steps)]
    else:
        return None
    ctx = ctx.fresh()
    picks = [_events_query(ctx, match, window, pid) for match, window in matches]
    query = picks[0] if len(picks) == 1 else exp.union(*picks, distinct=True)
    ordered = exp.select("*").from_(query.subquery("m")).order_by("ts", "id").limit(EVENT_LIMIT)
    return segments.db.df(ordered, ctx.params)


def _events_query(ctx: Context, match: EventMatch, window: Window | None, pid: int) -> exp.Select:
    alias = ctx.alias("x")
    conds = event_conditions(ctx, match, window, alias, compile_where)
    conds.append(exp.column("profile_id", alias).eq(ctx.bind(int(pid))))
    columns = [exp.column(name, alias) for name in EVENT_COLUMNS]
    return exp.select(*columns).from_(exp.table_("events", alias=alias)).where(exp.and_(*conds))
