"""Stored membership of the saved segments, kept equal to a fresh evaluation after every change.

`segment_members` holds each saved segment's members; every refresh diffs a fresh evaluation
with it and records who entered and who exited in `segment_history`. What a committed change
(engine/changes.py) costs depends on what it touched:

- a change to some profiles: only the saved segments that could read what it touched (a label
  change: the segments reading labels, and every segment built on those) are evaluated, for
  exactly those profiles, in ONE statement for all of them (engine/compiler/scoped.py), a
  part the change cannot move read from its stored members; profiles the change removed
  (merged away) leave every segment, each with an exit record;
- time passing: every time-dependent segment (a relative window anywhere in it, directly or
  through the segments it is built on) is evaluated for everyone at `as_of`, one set-based
  statement per segment, parts before the compounds built on them;
- a full refresh: one saved segment, or all of them, the same way.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dsl.ast import InSegment
from engine.changes import EVERYTHING, Change, ChangeKind, Touches
from engine.compiler import (
    CompiledQuery,
    Context,
    SavedSegment,
    compile_query,
    saved_expression,
)
from engine.compiler.context import STORED
from engine.compiler.scoped import SCOPE_PARAM, compile_scoped_changes
from engine.rules import deps
from engine.segments.source import SegmentSource
from store import segments as repo
from store.db import Prepared

if TYPE_CHECKING:
    from engine.scaleout.runner import Runner

_LISTS = Touches(lists=True)  # what a static list reads


@dataclass(frozen=True)
class SegmentChanges:
    """Who entered and who left which segment in one refresh: (segment name, profile id)."""

    entered: tuple[tuple[str, int], ...] = field(default=())
    exited: tuple[tuple[str, int], ...] = field(default=())

    def __add__(self, other: SegmentChanges) -> SegmentChanges:
        return SegmentChanges(self.entered + other.entered, self.exited + other.exited)

    def __bool__(self) -> bool:
        return bool(self.entered or self.exited)


@dataclass(frozen=True)
class SavedState:
    """A saved segment as the commit path sees it: what it reads, whether time moves it."""

    id: int
    name: str
    reads: Touches
    timed: bool  # a relative window: time passing alone can change its members


@dataclass(frozen=True)
class _Catalogue:
    """Every saved segment's state, worked out once per definition set and language schema."""

    key: tuple[Any, ...]
    saved: tuple[SavedState, ...]


@dataclass(frozen=True)
class _ScopedPlan:
    """The scoped statement for a set of saved segments, rendered once and reused until a
    segment or the schema changes (only its `as_of` parameters move)."""

    sql: Prepared
    ctx: Context
    names: dict[int, str]


class Membership:
    def __init__(self, segments: SegmentSource) -> None:
        self.segments = segments
        self.db = segments.db
        self._catalogue: _Catalogue | None = None
        self._plans: dict[tuple[int, ...], _ScopedPlan] = {}
        self._local = threading.local()

    @contextmanager
    def evaluating_on(self, runner: Runner | None) -> Iterator[None]:
        """Full refreshes on this thread inside the block compute the members on `runner`
        (Spark over a lake); the diff, history and rules still happen here."""
        outer = getattr(self._local, "runner", None)
        self._local.runner = runner
        try:
            yield
        finally:
            self._local.runner = outer

    def apply(self, change: Change, moment: dt.datetime) -> SegmentChanges:
        """Bring stored membership up to date after `change`, evaluated at `moment`."""
        if change.kind is ChangeKind.TIME:
            return self.refresh_timed(moment)
        if change.kind is ChangeKind.REFRESH:
            return self.refresh(change.segment, moment)
        touches = EVERYTHING if change.removed_ids else change.touches
        return self.refresh_profiles((*change.profile_ids, *change.removed_ids), touches, moment)

    # ---- a few profiles, the segments that could see the change ------------------------------

    def refresh_profiles(
        self,
        profile_ids: Iterable[int],
        touches: Touches = EVERYTHING,
        moment: dt.datetime | None = None,
    ) -> SegmentChanges:
        """Re-evaluate the saved segments reading anything `touches` names for these profiles
        only: one statement evaluates them all and diffs with their stored membership (a
        profile that no longer exists exits)."""
        scope = sorted({int(pid) for pid in profile_ids})
        if not scope:
            return SegmentChanges()
        chosen = [s for s in self.catalogue() if touches.all or touches.meets(s.reads)]
        if not chosen:
            return SegmentChanges()
        moment = moment or self.segments.clock()
        plan = self._scoped_plan(chosen, moment)
        params = {**plan.ctx.params_at(moment), SCOPE_PARAM: scope}
        with self.db.transaction():
            rows = self.db.rows(plan.sql, params)
            if rows:
                repo.apply_changes(self.db, rows, moment)
        return _changes(rows, plan.names)

    def _scoped_plan(self, chosen: list[SavedState], moment: dt.datetime) -> _ScopedPlan:
        key = tuple(s.id for s in chosen)
        plan = self._plans.get(key)
        if plan is None:
            ctx = self._context(moment, {s.name for s in chosen})
            query = compile_scoped_changes(ctx, [(s.id, s.name) for s in chosen])
            plan = _ScopedPlan(self.db.prepare(query), ctx, {s.id: s.name for s in chosen})
            self._plans[key] = plan
        return plan

    # ---- everyone, one segment at a time --------------------------------------------------------

    def refresh(self, name: str | None, moment: dt.datetime) -> SegmentChanges:
        """Re-evaluate one saved segment (or all) for everyone at `moment`."""
        names = [name] if name is not None else [s.name for s in self.catalogue()]
        return self._full(names, moment)

    def refresh_timed(self, moment: dt.datetime) -> SegmentChanges:
        """Re-evaluate every time-dependent saved segment for everyone at `moment`, the parts
        of a compound before it: the compound then reads their fresh stored members, and those
        of parts time cannot move, instead of evaluating them again."""
        timed = [s.name for s in self.catalogue() if s.timed]
        refs = self.segments.schema().segments
        return self._full(sorted(timed, key=lambda name: _depth(refs, name)), moment, stored=True)

    def _full(
        self, names: list[str], moment: dt.datetime, *, stored: bool = False
    ) -> SegmentChanges:
        changes, pending = SegmentChanges(), set(names)
        for name in names:
            row = self.segments.stored(name)
            ctx = self._context(moment, pending) if stored else self.segments.context(moment)
            compiled = compile_query(ctx, InSegment(name))
            diff = self._diff(row.id, compiled, moment)
            changes += SegmentChanges(
                tuple((name, pid) for pid, entered in diff if entered),
                tuple((name, pid) for pid, entered in diff if not entered),
            )
            pending.discard(name)
        return changes

    def _diff(
        self, segment_id: int, compiled: CompiledQuery, moment: dt.datetime
    ) -> list[tuple[int, bool]]:
        runner = getattr(self._local, "runner", None)
        if runner is None:
            return repo.apply_fresh(
                self.db, segment_id, compiled.expression, compiled.params, moment
            )
        ids = [int(row[0]) for row in runner.rows(compiled.expression, compiled.params)]
        import pandas as pd  # here: only a run on another engine makes a frame

        members = pd.DataFrame({"id": pd.Series(ids, dtype="int64")})
        return repo.apply_fresh_members(self.db, segment_id, members, moment)

    def _context(self, moment: dt.datetime, evaluated: set[str]) -> Context:
        """A compile context in which a saved segment outside `evaluated` reads its stored
        members: the change at hand cannot have moved them (or they are fresh already)."""
        ids = {s.name: s.id for s in self.catalogue()}

        def resolve(name: str) -> SavedSegment:
            if name in evaluated or name not in ids:
                return self.segments.saved(name)
            return SavedSegment(ids[name], name, STORED)

        return Context(self.segments.schema(), moment, resolve)

    # ---- what each saved segment reads -----------------------------------------------------------

    def catalogue(self) -> tuple[SavedState, ...]:
        """Every saved segment with what it reads and whether it is time-dependent; worked out
        again only when a segment is saved or deleted or the language schema changes."""
        schema = self.segments.schema()
        key = (repo.marker(self.db), schema.properties, schema.event_types, schema.segments)
        if self._catalogue is None or self._catalogue.key != key:
            self._catalogue = _Catalogue(key, tuple(self._states()))
            self._plans = {}
        return self._catalogue.saved

    def _states(self) -> list[SavedState]:
        found: dict[str, Touches] = {}

        def reads(name: str) -> Touches:
            if name not in found:
                saved = self.segments.saved(name)
                if saved.kind == "static":
                    found[name] = _LISTS
                else:
                    found[name] = deps.reads(saved_expression(saved), reads)
            return found[name]

        schema = self.segments.schema()
        states = []
        for row in repo.all_rows(self.db):
            ctx = self.segments.context(None, schema)
            compile_query(ctx, InSegment(row.name))
            timed = bool(ctx.shifts)  # a window relative to as_of, here or in a part
            states.append(SavedState(row.id, row.name, reads(row.name), timed))
        return states


def _depth(refs: Mapping[str, frozenset[str]], name: str) -> int:
    """How many levels of saved segments `name` is built on (0: none)."""
    parts = refs.get(name, frozenset())
    return 1 + max(_depth(refs, part) for part in parts) if parts else 0


def _changes(rows: list[tuple[Any, ...]], names: dict[int, str]) -> SegmentChanges:
    """(segment_id, profile_id, entered) rows as entries and exits, by segment name then id."""
    named = sorted((names[int(sid)], int(pid), bool(entered)) for sid, pid, entered in rows)
    return SegmentChanges(
        tuple((name, pid) for name, pid, entered in named if entered),
        tuple((name, pid) for name, pid, entered in named if not entered),
    )
