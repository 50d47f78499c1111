"""What membership and explain need of the segment service: its database, clock, language
schema and saved segments. Typed here as a protocol so those modules depend on this small
surface, not on the service that builds them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from dsl.ast import Expr
from dsl.schema import Schema
from engine.compiler import Context, SavedSegment
from store.db import Database
from store.segments import SegmentRow

AsOf = dt.datetime | dt.date | str | None  # evaluation time; None = now (UTC)
Target = str | Expr  # a saved segment's name, an expression's text, or a parsed expression


class SegmentSource(Protocol):
    db: Database
    clock: Callable[[], dt.datetime]

    def schema(self) -> Schema: ...

    def context(self, as_of: AsOf = None, schema: Schema | None = None) -> Context: ...

    def target(self, text_or_name: Target, schema: Schema | None = None) -> Expr: ...

    def saved(self, name: str) -> SavedSegment: ...

    def stored(self, name: str) -> SegmentRow: ...
