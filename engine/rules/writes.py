"""Profile property writes of rules: queued, applied set-based, audited.

Writes queue up per rule firing and apply in queue order: consecutive writes to different
properties share one UPDATE of `profiles`; a write to a property already written in the group
starts the next one, so a later rule's write wins. Before each UPDATE, one INSERT stages the
audit entries of the changed values (profile, actor `rule:<name>`, field, before, after) from the
same expressions; `Actions` moves the staged entries into `audit_log` once per batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from dsl.ast import Path
from engine.changes import overlap
from engine.rules.deps import stored_path
from store import analytics as analytics_repo
from store import rules as repo
from store.db import Database, Prepared

_RENDERED = 64  # statement shapes kept rendered (a workspace's rules make a handful)


@dataclass(frozen=True)
class Write:
    """A queued property write: `set` a literal, `set_from_event` (targets column v),
    `unset`, or `increment` by `value` per firing (targets column v counts them)."""

    prop: Path
    kind: str
    value: Any
    targets: pd.DataFrame
    actor: str


@dataclass(frozen=True)
class _Change:
    """Write i of an UPDATE: the audited field, its value before and after."""

    field: str
    before: exp.Expr
    after: exp.Expr


class PropertyWrites:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._columns: dict[str, str] | None = None
        self._known: dict[str, Any] = {}
        self._queue: list[Write] = []
        self.staged = 0  # audit entries staged in the store since the last take
        self._rendered: dict[tuple, tuple[_Statement, _Statement]] = {}

    def follow(self, properties: dict[str, Any]) -> None:
        """Re-read the profile columns when the language's properties changed (a property
        defined since becomes a column)."""
        if properties != self._known:
            self._columns, self._known = None, dict(properties)

    def columns(self) -> dict[str, str]:
        if self._columns is None:
            self._columns = analytics_repo.profile_columns(self.db)
        return self._columns

    def queue(self, write: Write) -> None:
        if not write.targets.empty:
            self._queue.append(write)

    def discard(self) -> None:
        self._queue, self.staged = [], 0

    def flush(self, now: dt.datetime, paths: frozenset[tuple[str, ...]] | None = None) -> None:
        """Apply the queued writes in order, one UPDATE per group of distinct properties; with
        `paths`, only the writes to those (stored) paths: writes to other properties commute
        with them and stay queued for one UPDATE later."""
        wanted = [w for w in self._queue if paths is None or _touches(w, paths)]
        self._queue = [w for w in self._queue if paths is not None and not _touches(w, paths)]
        group: list[Write] = []
        for write in wanted:
            if any(_overlap(write.prop, w.prop) for w in group):
                self._update(group, now)
                group = []
            group.append(write)
        if group:
            self._update(group, now)

    def _update(self, writes: list[Write], now: dt.datetime) -> None:
        """Stage the audit entries, then one UPDATE of profiles for writes to distinct
        properties, both reading one targets frame (profile_id; f<i>: write i applies;
        v<i>: its value or count)."""
        audit, update = self._statements(writes)
        db = self.db
        with db.transaction():
            params = (audit.params, update.params | {"r_now": now})
            self.staged += repo.write_properties(
                db, _targets(writes), audit.sql, update.sql, params
            )

    def _statements(self, writes: list[Write]) -> tuple[_Statement, _Statement]:
        """The audit INSERT and the UPDATE for a group of writes, rendered once per shape: the
        same rules write the same way batch after batch, and rendering costs more than running."""
        columns = self.columns()
        key = tuple(
            (
                w.prop.parts,
                w.kind,
                type(w.value).__name__,
                w.value,
                w.actor,
                columns.get(w.prop.dotted),
            )
            for w in writes
        )
        if key not in self._rendered:
            params: dict[str, Any] = {}
            sets, changes = self._assignments(writes, params)
            values: dict[str, object] = {**sets, "updated_at": exp.Placeholder(this="r_now")}
            match = exp.column("id", "profiles").eq(exp.column("profile_id", "t"))
            targets = exp.From(this=exp.to_table(repo.TARGETS).as_("t"))
            update = exp.update("profiles", values, where=match, from_=targets)
            audit = _audit_insert(writes, changes, params)
            if len(self._rendered) >= _RENDERED:
                self._rendered.clear()
            db = self.db
            self._rendered[key] = (_prepared(db, audit, params), _prepared(db, update, params))
        return self._rendered[key]

    def _assignments(
        self, writes: list[Write], params: dict[str, Any]
    ) -> tuple[dict[str, exp.Expr], list[_Change]]:
        """The UPDATE's SET clauses, and each write's field with its value before and after."""
        columns = self.columns()
        sets: dict[str, exp.Expr] = {}
        changes = []
        for i, write in enumerate(writes):
            applies = exp.column(f"f{i}", "t")
            if write.prop.dotted in columns:
                current: exp.Expr = exp.column(write.prop.dotted)
                new = _new_value(write, i, current, columns[write.prop.dotted], params)
                sets[write.prop.dotted] = exp.If(this=applies, true=new, false=current)
                changes.append(_Change(write.prop.dotted, _json(current), _json(new)))
                continue
            parts = stored_path(write.prop)
            params[f"r_path{i}"] = "$." + ".".join(parts)
            path = exp.Placeholder(this=f"r_path{i}")
            current = exp.JSONExtractScalar(this=exp.column("properties"), expression=path)
            new = _new_value(write, i, current, "JSON", params)
            base = sets.get("properties", _json_or_empty(exp.column("properties")))
            sets["properties"] = _json_patch(parts, i, base, applies, new, params)
            before = exp.func("json_extract", exp.column("properties"), path)
            changes.append(_Change(".".join(parts), before, _json(new)))
        return sets, changes


def _audit_insert(
    writes: list[Write], changes: list[_Change], params: dict[str, Any]
) -> exp.Insert:
    """INSERT INTO the audit stage: per write, the targeted profiles whose value changes, from
    one join of profiles and targets (a list of per-write structs, unnested)."""
    entries = []
    for i, (write, change) in enumerate(zip(writes, changes, strict=True)):
        params[f"r_actor{i}"], params[f"r_field{i}"] = write.actor, change.field
        applies = exp.column(f"f{i}", "t")
        fields = {  # values only where the write applies: CASE spares the others' to_json
            "applies": applies,
            "actor": exp.Placeholder(this=f"r_actor{i}"),
            "field": exp.Placeholder(this=f"r_field{i}"),
            "before": exp.If(this=applies, true=change.before),
            "after": exp.If(this=applies, true=change.after),
        }
        entries.append(
            exp.Struct(
                expressions=[
                    exp.PropertyEQ(this=exp.to_identifier(k), expression=v)
                    for k, v in fields.items()
                ]
            )
        )
    on = exp.column("id", "profiles").eq(exp.column("profile_id", "t"))
    unnested = exp.Unnest(expressions=[exp.Array(expressions=entries)])
    inner = (
        exp.select(exp.column("id", "profiles").as_("profile_id"), exp.alias_(unnested, "w"))
        .from_("profiles")
        .join(exp.to_table(repo.TARGETS).as_("t"), on=on)
    )
    w = exp.column
    changed = exp.NullSafeNEQ(this=w("before", "w"), expression=w("after", "w"))
    outer = (
        exp.select(
            "profile_id", w("actor", "w"), w("field", "w"), w("before", "w"), w("after", "w")
        )
        .from_(inner.subquery("x"))
        .where(exp.and_(w("applies", "w"), changed))
    )
    columns = ["profile_id", "actor", "field", "before", "after"]
    return exp.insert(outer, repo.AUDIT_STAGE, columns=columns)


@dataclass(frozen=True)
class _Statement:
    sql: Prepared
    params: dict[str, Any]


def _prepared(db: Database, query: exp.Expr, params: dict[str, Any]) -> _Statement:
    """The statement prepared with the parameters it binds (DuckDB refuses named values it does
    not use); `r_now` is bound at each run."""
    names = {p.name for p in query.find_all(exp.Placeholder)} - {"r_now"}
    return _Statement(db.prepare(query), {k: v for k, v in params.items() if k in names})


def _json(value: exp.Expr) -> exp.Expr:
    return exp.func("to_json", value)


def _touches(write: Write, paths: frozenset[tuple[str, ...]]) -> bool:
    mine = stored_path(write.prop)
    return any(overlap(mine, path) for path in paths)


def _overlap(a: Path, b: Path) -> bool:
    """Writes to these paths must not share an UPDATE (one lies within the other)."""
    n = min(len(a.parts), len(b.parts))
    return a.parts[:n] == b.parts[:n]


def _targets(writes: list[Write]) -> pa.Table:
    """One row per profile any write targets: f<i> whether write i applies, v<i> its value
    where it has one (each write's targets hold a profile once). Built with numpy and Arrow:
    this runs for every group of writes of every batch."""
    mine = [w.targets["profile_id"].to_numpy("int64") for w in writes]
    ids = np.unique(np.concatenate(mine))
    columns: dict[str, Any] = {"profile_id": ids}
    for i, (write, pids) in enumerate(zip(writes, mine, strict=True)):
        at = np.full(len(ids), -1, dtype="int64")
        at[np.searchsorted(ids, pids)] = np.arange(len(pids))
        columns[f"f{i}"] = at >= 0
        if "v" in write.targets:
            values = pa.array(write.targets["v"].to_numpy(), from_pandas=True)
            columns[f"v{i}"] = values.take(pa.array(at, mask=at < 0))
    return pa.table(columns)


def _new_value(
    write: Write, i: int, current: exp.Expr, kind: str, params: dict[str, Any]
) -> exp.Expr:
    """The property's value after write i (number i of its UPDATE), typed for `kind`."""
    value = exp.column(f"v{i}", "t")
    if write.kind == "unset":
        return exp.Null()
    if write.kind == "set":
        params[f"r_value{i}"] = write.value
        return _typed(exp.Placeholder(this=f"r_value{i}"), kind)
    if write.kind == "set_from_event":
        return _typed(value, kind)
    params[f"r_by{i}"] = write.value
    base = exp.Coalesce(this=_typed(current, "DOUBLE"), expressions=[exp.Literal.number(0)])
    step = exp.Mul(this=exp.Placeholder(this=f"r_by{i}"), expression=value)
    return _typed(exp.Add(this=base, expression=step), kind)


def _typed(value: exp.Expr, kind: str) -> exp.Expr:
    if kind == "JSON":
        return value
    return exp.TryCast(this=value, to=exp.DataType.build(kind, dialect="duckdb"))


def _json_or_empty(value: exp.Expr) -> exp.Expr:
    empty = exp.Cast(this=exp.Literal.string("{}"), to=exp.DataType.build("JSON"))
    return exp.Coalesce(this=value, expressions=[empty])


def _json_patch(
    parts: tuple[str, ...],
    i: int,
    base: exp.Expr,
    applies: exp.Expr,
    value: exp.Expr,
    params: dict[str, Any],
) -> exp.Expr:
    """`base` with the key path `parts` set to `value` where write i applies; NULL removes
    the key (merge patch). Elsewhere the patch is empty and leaves `base` as it is."""
    patch: exp.Expr = value
    for j, part in enumerate(reversed(parts)):
        params[f"r_key{i}_{j}"] = part
        patch = exp.func("json_object", exp.Placeholder(this=f"r_key{i}_{j}"), patch)
    patch = exp.If(this=applies, true=patch, false=_json_or_empty(exp.Null()))
    return exp.func("json_merge_patch", base, patch)
