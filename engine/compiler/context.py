"""The compile context: bound parameters, `as_of`, table aliases and the name resolvers a
compilation needs. Every user value goes through `bind`, so none is ever pasted into SQL."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from dsl.ast import Expr
from dsl.schema import Schema
from kith_errors import DslNameError


@dataclass(frozen=True)
class SavedSegment:
    """What `in segment "x"` resolves to."""

    id: int
    name: str
    kind: str  # dynamic | static | compound, or STORED: read its stored membership instead
    expression: Expr | None = None
    op: str | None = None  # union | intersection | difference, for compound
    of: tuple[str, ...] = ()


Resolver = Callable[[str], SavedSegment]
# A saved segment whose stored membership is known to be current for what is evaluated (the
# commit path: a part the change cannot have moved) is read from segment_members, not inlined.
STORED = "stored"


def _no_saved_segments(name: str) -> SavedSegment:
    raise DslNameError(f'there is no saved segment named "{name}"')


@dataclass
class Context:
    """State shared by one compilation."""

    schema: Schema
    as_of: dt.datetime
    resolve: Resolver = _no_saved_segments
    params: dict[str, Any] = field(default_factory=dict)
    shifts: dict[str, tuple[int, str]] = field(default_factory=dict)  # param -> `ago` amount, unit
    inlining: tuple[str, ...] = ()  # saved segments being inlined, to stop a cycle loudly
    # True while compiling a WHERE filter outside any `not`: there SQL drops NULL rows exactly
    # like FALSE ones, and and/or cannot turn NULL into TRUE, so leaves need no COALESCE.
    positive: bool = False
    _aliases: int = 0
    _bound: int = 0

    def bind(self, value: Any) -> exp.Placeholder:
        name = f"p{self._bound}"
        self._bound += 1
        self.params[name] = value
        return exp.Placeholder(this=name)

    def now(self) -> exp.Placeholder:
        """The evaluation time, bound once as `$as_of`."""
        self.params["as_of"] = self.as_of
        return exp.Placeholder(this="as_of")

    def ago(self, amount: int, unit: str) -> exp.Placeholder:
        """`as_of - amount unit`, computed here and bound (portable, and a constant to DuckDB)."""
        placeholder = self.bind(shift(self.as_of, -amount, unit))
        self.shifts[placeholder.name] = (amount, unit)
        return placeholder

    def params_at(self, as_of: dt.datetime) -> dict[str, Any]:
        """The parameters of this compilation moved to another `as_of`: the SQL text never
        depends on `as_of`, so a query compiled once can be evaluated at any moment."""
        moved = {name: shift(as_of, -amount, unit) for name, (amount, unit) in self.shifts.items()}
        if "as_of" in self.params:
            moved["as_of"] = as_of
        return {**self.params, **moved}

    def two_valued(self, predicate: exp.Expr) -> exp.Expr:
        """NULL (a missing property) becomes FALSE, wherever the difference could show."""
        if self.positive:
            return predicate
        return exp.Coalesce(this=predicate, expressions=[exp.false()])

    @contextmanager
    def polarity(self, positive: bool) -> Iterator[None]:
        outer, self.positive = self.positive, positive
        try:
            yield
        finally:
            self.positive = outer

    def fresh(self) -> Context:
        """A context for another query at the same `as_of`, with no parameters yet."""
        return Context(self.schema, self.as_of, self.resolve)

    def alias(self, prefix: str) -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"


def shift(moment: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """`moment` moved by `amount` units; months keep the day, clamped to the month's end."""
    if unit == "months":
        total = moment.year * 12 + moment.month - 1 + amount
        year, month = divmod(total, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    return moment + dt.timedelta(**{unit: amount})
