"""Segments: dynamic, static lists and compound; materialized membership with history.

A dynamic segment is an expression; a static list holds hand-picked profiles (list_members); a
compound segment combines saved segments (union | intersection | difference). `segment_members`
materializes every saved segment's current members, kept current after every committed change
(engine/segments/membership.py); each refresh records who entered and who exited
(`segment_history`) and, when full, the size (`segment_sizes`).

Anything that takes `text_or_name` accepts a saved segment's name (meaning `in segment "name"`),
an expression's text, or an expression already parsed (an AST node: goals and funnels pass the
parts they parsed at their edge, never text printed back from one). `as_of` (default now, UTC)
is the evaluation time of every window.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlglot import exp

import dsl
from dsl.ast import Expr, InSegment
from dsl.schema import Schema
from engine.changes import Change, ChangeKind, Touches
from engine.clock import as_of_or_now, to_utc, utcnow
from engine.compiler import (
    CompiledQuery,
    Context,
    SavedSegment,
    compile_condition,
    compile_query,
)
from engine.segments.membership import Membership, SegmentChanges
from engine.segments.source import AsOf, Target
from kith_errors import Conflict, NotFound, ValidationError
from store import segments as repo
from store.db import Database
from store.segments import SegmentDefinition, SegmentRow

if TYPE_CHECKING:
    import pandas as pd

    from engine.catalog.service import Catalog
    from engine.scaleout.runner import Runner
    from engine.segments.explain import Explanation

KINDS = ("dynamic", "static", "compound")
COMPOUND_OPS = ("union", "intersection", "difference")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\- ]{0,99}$")
TREND_DAYS = 7
_LISTS = Touches(lists=True)  # what a list edit changes


class Segments:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        commit: Callable[[Change], SegmentChanges],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.commit = commit  # the workspace's one commit path
        self.clock = clock  # the workspace's "now"
        self.membership = Membership(self)

    # ---- the language ------------------------------------------------------------------------

    def schema(self) -> Schema:
        return self.catalog.dsl_schema()

    def parse(self, text: str, *, name: str | None = None, schema: Schema | None = None) -> Expr:
        """Parse and check an expression; raises a Dsl*Error with the caret message."""
        expr = dsl.parse_segment(text)
        dsl.check_segment(expr, schema or self.schema(), text, name=name)
        return expr

    def check(self, text: str, *, name: str | None = None) -> None:
        self.parse(text, name=name)

    def context(self, as_of: AsOf = None, schema: Schema | None = None) -> Context:
        return Context(schema or self.schema(), as_of_or_now(as_of), self.saved)

    def compile(self, text: str | Expr, *, as_of: AsOf = None) -> CompiledQuery:
        schema = self.schema()
        return compile_query(self.context(as_of, schema), self._checked(text, schema))

    def _checked(self, text: str | Expr, schema: Schema) -> Expr:
        """An expression's text parsed and checked; a parsed one checked against today's schema
        (its names may have changed since it was parsed)."""
        if isinstance(text, str):
            return self.parse(text, schema=schema)
        dsl.check_segment(text, schema, "")
        return text

    def condition(
        self, text_or_name: Target, *, as_of: AsOf = None
    ) -> tuple[exp.Expr, dict[str, Any]]:
        """The boolean condition over profiles aliased `p` (e.g. `p.id IN (...)`), with its
        parameters, for a saved segment's name or an expression."""
        ctx = self.context(as_of)
        return compile_condition(ctx, self.target(text_or_name, ctx.schema)), ctx.params

    def target(self, text_or_name: Target, schema: Schema | None = None) -> Expr:
        """A saved segment's name stands for `in segment "name"`; anything else is parsed."""
        if isinstance(text_or_name, str) and repo.get(self.db, text_or_name) is not None:
            return InSegment(text_or_name)
        return self._checked(text_or_name, schema or self.schema())

    def query(self, text_or_name: Target, *, as_of: AsOf = None) -> CompiledQuery:
        ctx = self.context(as_of)
        return compile_query(ctx, self.target(text_or_name, ctx.schema))

    def count(
        self, text_or_name: Target, *, as_of: AsOf = None, runner: Runner | None = None
    ) -> int:
        """How many profiles match, run on the workspace or on `runner` (e.g. Spark)."""
        compiled = self.query(text_or_name, as_of=as_of)
        counted = exp.select(exp.Count(this=exp.Star())).from_(compiled.expression.subquery("m"))
        return int((runner or self.db).scalar(counted, compiled.params))

    def ids(
        self, text_or_name: Target, *, as_of: AsOf = None, runner: Runner | None = None
    ) -> list[int]:
        compiled = self.query(text_or_name, as_of=as_of)
        rows = (runner or self.db).rows(compiled.expression, compiled.params)
        return sorted(int(r[0]) for r in rows)

    def members(
        self,
        text_or_name: str,
        *,
        as_of: AsOf = None,
        limit: int = 100,
        offset: int = 0,
        runner: Runner | None = None,
    ) -> pd.DataFrame:
        """A page of members in id order: id, name, email, phone, identities [{type, value}]."""
        from engine.models import MAX_OFFSET, check_page  # here: a count needs no pydantic

        check_page(limit, offset, MAX_OFFSET, min_limit=0)
        compiled = self.query(text_or_name, as_of=as_of)
        page = compiled.expression.order_by(exp.column("id", "p"))
        page = page.limit(exp.Placeholder(this="page_limit"))
        page = page.offset(exp.Placeholder(this="page_offset"))
        bounds = {"page_limit": int(limit), "page_offset": int(offset)}
        ids = [int(r[0]) for r in (runner or self.db).rows(page, {**compiled.params, **bounds})]
        rows = repo.profile_rows(self.db, ids)
        rows["identities"] = [[dict(item) for item in ids] for ids in rows["identities"]]
        return rows

    def sql(self, text: str, *, dialect: str = "duckdb") -> str:
        return self.compile(text).sql(dialect)

    def explain(self, text_or_name: str, profile_id: int, *, as_of: AsOf = None) -> Explanation:
        from engine.segments.explain import explain

        return explain(self, text_or_name, profile_id, as_of=as_of)

    def saved(self, name: str) -> SavedSegment:
        """A saved segment as the compiler sees it (the resolver for `in segment`)."""
        row = self.stored(name)
        expression = dsl.parse_segment(row.expression) if row.expression else None
        of = tuple(row.compound_of or ())
        return SavedSegment(row.id, name, row.kind, expression, row.compound_op, of)

    # ---- saved segments ----------------------------------------------------------------------

    def save(
        self,
        name: str,
        *,
        kind: str = "dynamic",
        expression: str | None = None,
        op: str | None = None,
        of: list[str] | None = None,
        description: str | None = None,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Create a saved segment, then materialize its members. A taken name is refused
        unless `replace`: then the definition it replaces is kept as a version (`versions`,
        `restore`)."""
        existing = repo.get(self.db, name)
        row = self._definition(name, kind, expression, op, of, description)
        if existing is not None:
            _check_replacing(existing, kind, replace)
        with self.db.transaction():
            if existing is None:
                repo.insert(self.db, self.db.allocate_ids("segments", 1), row)
            else:
                repo.keep_version(self.db, existing.id, row.now)
                repo.update(self.db, existing.id, row)
        self.refresh(name)
        return self.get(name)

    def versions(self, name: str) -> pd.DataFrame:
        """The definitions a segment had before it was replaced, newest first: version, kind,
        expression, compound_op, compound_of, description, saved_at, replaced_at."""
        return repo.versions(self.db, self.stored(name).id)

    def restore(self, name: str, version: int) -> dict[str, Any]:
        """Make an earlier version the segment's definition again (the current one is kept as
        a version in turn), then materialize its members."""
        row = self.stored(name)
        old = repo.version(self.db, row.id, int(version))
        if old is None:
            known = repo.versions(self.db, row.id)["version"].tolist()
            have = f"its versions are {', '.join(map(str, known))}" if known else "it has none"
            raise NotFound(f'segment "{name}" has no version {version}; {have}')
        return self.save(
            name,
            kind=old.kind,
            expression=old.expression,
            op=old.compound_op,
            of=old.compound_of,
            description=old.description,
            replace=True,
        )

    def _definition(
        self,
        name: str,
        kind: str,
        expression: str | None,
        op: str | None,
        of: list[str] | None,
        description: str | None,
    ) -> SegmentDefinition:
        check_name(name)
        if kind not in KINDS:
            raise ValidationError(f"segment kind {kind!r} is not one of {', '.join(KINDS)}")
        self._check_shape(name, kind, expression, op, of)
        return SegmentDefinition(
            name=name,
            kind=kind,
            expression=expression if kind == "dynamic" else None,
            compound_op=op if kind == "compound" else None,
            compound_of=list(of) if kind == "compound" and of else None,
            description=description,
            now=utcnow(),
        )

    def _check_shape(
        self, name: str, kind: str, expression: str | None, op: str | None, of: list[str] | None
    ) -> None:
        if kind == "dynamic":
            if not expression or not expression.strip():
                raise ValidationError(f'dynamic segment "{name}" needs an expression')
            self.parse(expression, name=name)
        elif kind == "compound":
            self._check_compound(name, op, of or [])
        elif expression or op or of:
            raise ValidationError(f'static list "{name}" takes no expression; add members instead')

    def _check_compound(self, name: str, op: str | None, of: list[str]) -> None:
        if op not in COMPOUND_OPS:
            raise ValidationError(
                f"compound operation {op!r} is not one of {', '.join(COMPOUND_OPS)}"
            )
        if len(of) < (2 if op == "difference" else 1):
            raise ValidationError(f'compound segment "{name}" needs the segments it combines')
        refs = self.schema().segments
        for part in of:
            if part not in refs:
                hint = dsl.suggest(part, list(refs))
                tip = f' (did you mean "{hint}"?)' if hint else ""
                raise NotFound(f'there is no saved segment named "{part}"{tip}')
            if part == name or name in _reachable(refs, part):
                raise ValidationError(f'segment "{name}" would include itself through "{part}"')

    def get(self, name: str) -> dict[str, Any]:
        """The saved segment's fields (`SegmentRow`'s, in order) and its size."""
        row = self.stored(name)
        return {**asdict(row), "size": repo.size(self.db, row.id)}

    def list(self) -> pd.DataFrame:
        """name, kind, size, share (of everyone), trend (size change over the last 7 days, from
        the entries and exits in the history), sizes (the size at the end of each of those
        days, oldest first, and now), refreshed_at (the last full or time-based
        re-evaluation). Days count back from the workspace's clock."""
        return repo.overview(self.db, self.clock(), TREND_DAYS)

    def population(self) -> int:
        """How many people there are: what a segment's size is a share of."""
        return repo.population(self.db)

    def delete(self, name: str) -> None:
        row = self.stored(name)
        users = sorted(n for n, refs in self.schema().segments.items() if name in refs)
        if users:
            raise Conflict(f'segment "{name}" is used by {", ".join(users)}; change those first')
        repo.delete(self.db, row.id)

    def stored(self, name: str) -> SegmentRow:
        """The saved segment's row; NotFound, with the nearest name, for an unknown one."""
        row = repo.get(self.db, name)
        if row is None:
            names = [r.name for r in repo.all_rows(self.db)]
            hint = dsl.suggest(name, names)
            tip = f' (did you mean "{hint}"?)' if hint else ""
            raise NotFound(f'there is no saved segment named "{name}"{tip}')
        return row

    # ---- static lists ------------------------------------------------------------------------

    def add_members(self, name: str, profile_ids: Iterable[int], actor: str) -> int:
        """Add profiles to a static list (unknown ids and ones already on it are skipped);
        returns how many were added."""
        row, ids = self._static(name), list(profile_ids)
        added = repo.add_list_members(self.db, row.id, _id_frame(ids), actor, utcnow())
        self.commit(Change.of(ChangeKind.LIST, ids, touches=_LISTS))
        return added

    def remove_members(self, name: str, profile_ids: Iterable[int], actor: str) -> int:
        row, ids = self._static(name), list(profile_ids)
        removed = repo.remove_list_members(self.db, row.id, _id_frame(ids))
        self.commit(Change.of(ChangeKind.LIST, ids, touches=_LISTS))
        return removed

    def add_results(self, name: str, expression: str, actor: str, *, as_of: AsOf = None) -> int:
        """Add every current member of `expression` to a static list."""
        return self.add_members(name, self.ids(expression, as_of=as_of), actor)

    def _static(self, name: str) -> SegmentRow:
        row = self.stored(name)
        if row.kind != "static":
            raise ValidationError(f'segment "{name}" is {row.kind}; only static lists take members')
        return row

    # ---- materialized membership -------------------------------------------------------------

    def refresh(
        self, name: str | None = None, *, as_of: AsOf = None, runner: Runner | None = None
    ) -> SegmentChanges:
        """Recompute members of one saved segment (or all) for everyone, through the commit
        path: entries and exits recorded, entering/leaving rules fired. With a `runner`
        (Spark over a lake) the members are computed there and stored here."""
        if name is not None:
            self.stored(name)
        moment = None if as_of is None else to_utc(as_of)  # None: the workspace's clock
        with self.membership.evaluating_on(runner):
            return self.commit(Change(ChangeKind.REFRESH, as_of=moment, segment=name))

    def history(self, name: str) -> pd.DataFrame:
        """measured_at, size: one row per full refresh."""
        return repo.sizes(self.db, self.stored(name).id)

    def member_changes(self, name: str) -> pd.DataFrame:
        """profile_id, change (entered | exited), changed_at."""
        return repo.changes(self.db, self.stored(name).id)

    def memberships(self, profile_id: int) -> builtins.list[str]:
        """Names of the saved segments the profile is a member of (as last refreshed)."""
        return repo.memberships(self.db, profile_id)


def check_name(name: str) -> None:
    """A saved segment's (or static list's) name: 1-100 letters, digits, spaces, '_' or '-'."""
    if not _NAME.match(name or ""):
        raise ValidationError(
            f"segment name {name!r} must be 1-100 letters, digits, spaces, '_' or '-'"
        )


def _check_replacing(existing: SegmentRow, kind: str, replace: bool) -> None:
    name = existing.name
    if not replace:
        raise Conflict(
            f'there is already a segment named "{name}"; choose another name, or replace it '
            "(its current definition is kept as a version you can restore)",
            details={"name": name},
        )
    if existing.kind != kind:
        raise Conflict(f'segment "{name}" is {existing.kind}; delete it to make it {kind}')


def _id_frame(profile_ids: Iterable[int]) -> pd.DataFrame:
    import pandas as pd  # here: counting a segment needs no pandas

    return pd.DataFrame({"id": pd.Series(list(profile_ids), dtype="int64")})


def _reachable(refs: Mapping[str, frozenset[str]], start: str) -> set[str]:
    """Every segment `start` refers to, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for ref in refs.get(todo.pop(), frozenset()):
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return seen
