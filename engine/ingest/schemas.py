"""Event schemas enforced on ingestion (engine/catalog/event_types.py): each event of a type
whose policy is `warn` (the default) or `block` is checked against the type's registered
properties, and against the workspace's choices for properties the schema does not list and for
events of an unregistered type. What `block` breaks is refused with the reason (staging's
rejections in bulk and JSONL, admission's refusals for the tracking API: the same words on
every path); what `warn` breaks is stored and flagged (`event_flags`, one row per event,
counted on the Events screen). Only the rows that can break something are read, and in a
large batch DuckDB first sets aside, column-wise, the events whose every registered property is
missing or plainly of its type (`_doubtful`: a cautious filter, so the verdict on every event
it leaves is the one Python would give); the rest are judged one by one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from engine.catalog.event_types import Screening
from store import ingest as repo
from store.db import Database, Prepared

# with fewer rows to judge than this, Python reads them all (the query costs more than it saves)
FILTER_FROM = 2_000


@dataclass(frozen=True)
class Screened:
    """Per row of a canonical batch, why its schema refuses it (null: it does not); and the
    lines to store with a flag, with their types and problems."""

    refused: pa.Array
    warned_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    warned_types: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def screen(canon: pa.Table, screening: Screening, db: Database | None = None) -> Screened:
    """Check the batch's events (columns type, properties, _line) as `screening` says; with
    `db`, a large batch's plainly good events are set aside by one query first."""
    n = canon.num_rows
    rows = _checked_rows(canon["type"], screening) if n else np.zeros(0, dtype=np.int64)
    if db is not None and len(rows) >= FILTER_FROM:
        rows = _doubtful(db, canon, rows, screening)
    if len(rows) == 0:
        return Screened(pa.nulls(n, pa.string()))
    at = pa.array(rows, pa.int64())
    types = canon["type"].take(at).to_pylist()
    texts = canon["properties"].take(at).to_pylist()
    lines = canon["_line"].take(at).to_numpy()
    refused: list[str | None] = [None] * n
    warned: list[int] = []
    warned_types: list[str] = []
    warnings: list[str] = []
    for i, row in enumerate(rows):
        refusal, warning = screening.verdict(types[i], texts[i])
        if refusal is not None:
            refused[row] = refusal
        elif warning is not None:
            warned.append(int(lines[i]))
            warned_types.append(types[i])
            warnings.append(warning)
    found = np.array(warned, dtype=np.int64)
    return Screened(pa.array(refused, pa.string()), found, warned_types, warnings)


def refusals(canon: pa.Table, screening: Screening) -> pa.Array:
    """Per row, why the batch's event is refused (null: it is not), judging only what can
    refuse: a workspace that refuses nothing reads no event."""
    refusing = screening.refusing()
    if refusing is None:
        return pa.nulls(canon.num_rows, pa.string())
    return screen(canon, refusing).refused


def _checked_rows(types: pa.ChunkedArray | pa.Array, screening: Screening) -> np.ndarray:
    """The positions of the events that can break something: those of enforced types with a
    schema to break, and (unless they are accepted) those of unregistered types."""
    checked = pa.array(screening.checked_types(), pa.string())
    mask = pc.fill_null(pc.is_in(types, value_set=checked), False)
    if screening.unregistered_types != "accept":
        known = pa.array(sorted(screening.registered), pa.string())
        unknown = pc.invert(pc.fill_null(pc.is_in(types, value_set=known), True))
        mask = pc.or_(mask, unknown)
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))


def _doubtful(db: Database, canon: pa.Table, rows: np.ndarray, screening: Screening) -> np.ndarray:
    """The rows (positions, ascending) not plainly good: an event of an enforced type whose
    every registered property is missing, null or of its type as JSON (a number finite, text
    neither object nor list, a boolean true/false; a date only missing or null) is plainly
    good; anything else (an unregistered type, text that may or may not read as a number,
    JSON DuckDB cannot parse) is left for `Screening.verdict`."""
    if screening.extra_properties != "accept":  # every key matters: Python reads every row
        return rows
    prepared = _prepared(db, screening)
    if prepared is None:
        return rows
    at = pa.array(rows, pa.int64())
    table = pa.table(
        {"pos": at, "type": canon["type"].take(at), "properties": canon["properties"].take(at)}
    )
    return repo.screened_rows(db, table, *prepared)


Schemas = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (type, ((property, kind), ...))
Filter = tuple[Prepared, dict[str, Any]]
# the filter rendered once per set of enforced schemas (rendering costs more than a run; the
# loader thread and bulk ingestion may share it: a lost race renders it twice, nothing worse)
_FILTERS: dict[Schemas, Filter] = {}
_FILTERS_KEPT = 16


def _prepared(db: Database, screening: Screening) -> Filter | None:
    """The filter for the screening's enforced schemas (None: none has a property)."""
    key: Schemas = tuple(
        (name, tuple(sorted(e.properties.items())))
        for name, e in sorted(screening.enforced.items())
        if e.properties
    )
    if not key:
        return None
    if key not in _FILTERS:
        if len(_FILTERS) >= _FILTERS_KEPT:
            _FILTERS.clear()
        query, params = _plainly_good_query(key)
        _FILTERS[key] = (db.prepare(query), params)
    return _FILTERS[key]


def _plainly_good_query(schemas: Schemas) -> tuple[exp.Select, dict[str, Any]]:
    """SELECT pos FROM the rows WHERE the event is not plainly good, for these (type,
    properties) schemas. Each event's JSON is parsed once: every property any schema names is
    taken out in one `json_extract` (a list, missing ones null), then its type is read."""
    names = sorted({prop for _, properties in schemas for prop, _ in properties})
    at = {prop: i + 1 for i, prop in enumerate(names)}  # 1-based, as list_extract counts
    params: dict[str, Any] = {"paths": [f"$.{prop}" for prop in names]}
    kind_of_type = exp.Case(this=exp.column("type"))
    for i, (name, properties) in enumerate(schemas):
        params[f"t{i}"] = name
        tests = [_plainly_fits(kind, _value(at[prop])) for prop, kind in properties]
        kind_of_type = kind_of_type.when(exp.Placeholder(this=f"t{i}"), exp.and_(*tests))
    kind_of_type = kind_of_type.else_(exp.false())
    # only JSON DuckDB parses is looked into; anything else is left for Python
    valid = exp.func("json_valid", exp.column("properties"))
    extracted = exp.func("json_extract", exp.column("properties"), exp.Placeholder(this="paths"))
    values = exp.Case(ifs=[exp.If(this=valid, true=extracted)])
    rows = exp.select("pos", "type", exp.alias_(values, "v")).from_(repo.SCREEN)
    parsed = exp.Case(
        ifs=[exp.If(this=exp.Is(this=exp.column("v"), expression=exp.Null()), true=exp.false())],
        default=kind_of_type,
    )
    good = exp.func("coalesce", parsed, exp.false())
    query = exp.select("pos").from_(rows.subquery("r")).where(exp.not_(good)).order_by("pos")
    return query, params


def _value(at: int) -> exp.Expr:
    """The event's value of the `at`-th extracted property (JSON; null when missing)."""
    return exp.func("list_extract", exp.column("v"), exp.Literal.number(at))


def _plainly_fits(kind: str, value: exp.Expr) -> exp.Expr:
    """The property's value is missing or JSON null, or its JSON type is plainly `kind`."""
    json_type = exp.func("json_type", value)
    missing = exp.Is(this=value, expression=exp.Null())
    if kind == "number":
        finite = exp.func("isfinite", exp.TryCast(this=value, to=exp.DataType.build("DOUBLE")))
        double = exp.and_(exp.EQ(this=json_type, expression=_text("DOUBLE")), finite)
        return exp.or_(missing, _one_of(json_type, "NULL", "BIGINT", "UBIGINT"), double)
    if kind == "string":
        return exp.or_(missing, exp.not_(_one_of(json_type, "OBJECT", "ARRAY")))
    if kind == "boolean":
        return exp.or_(missing, _one_of(json_type, "NULL", "BOOLEAN"))
    return exp.or_(missing, exp.EQ(this=json_type, expression=_text("NULL")))  # a date


def _one_of(value: exp.Expr, *words: str) -> exp.Expr:
    return exp.In(this=value, expressions=[_text(w) for w in words])


def _text(word: str) -> exp.Expr:
    return exp.Literal.string(word)


def flags(screened: Screened, stored_lines: np.ndarray, first_event: int) -> pa.Table | None:
    """The flags of the warned lines that were stored (event_id, type, problem); event ids
    follow line numbers from the first stored line (engine/ingest/service.py)."""
    if len(screened.warned_lines) == 0 or len(stored_lines) == 0:
        return None
    kept = np.isin(screened.warned_lines, stored_lines)
    if not kept.any():
        return None
    ids = first_event + screened.warned_lines[kept] - int(stored_lines.min())
    return pa.table(
        {
            "event_id": pa.array(ids, pa.int64()),
            "type": pa.array(screened.warned_types, pa.string()).filter(pa.array(kept)),
            "problem": pa.array(screened.warnings, pa.string()).filter(pa.array(kept)),
        }
    )
