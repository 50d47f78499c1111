"""Events that rules emit: stored straight onto the profile they fired for.

An emitted event belongs to that profile directly, whatever identities it has (none at all,
say, after an import without keys), so it is written without identity resolution: one staging
INSERT per emit action from its firing frame, then one INSERT into `events` for the whole level
(message ids say rule, event and cause, so a replayed firing is not stored twice). The batch
then goes through the commit path like any other, and its rules run one level deeper.

Emitted events pass the same check as every other door (engine/ingest/schemas.py): when the
rule fires, `check` works out each firing's emitted properties exactly as they would be stored
and moves the firings whose event the workspace refuses (its type's policy `block`, or extra
properties under `block`) to the refused ones, logged in `rule_runs` as `refused: emit <type>:
<reason>` with nothing of theirs applied; `store` flags the stored events that break their
schema under `warn` (`event_flags`, like an ingested event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from dsl.ast import Action, EmitEvent, EventRef
from engine.batch import IngestBatch
from engine.ingest import schemas as ingest_schemas
from engine.rules.checks import Checked
from engine.rules.firing import Firing
from store import ingest as ingest_repo
from store import rules as repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from store import Database

_CASTS = {"number": "DOUBLE", "boolean": "BOOLEAN"}
_ROW = "kith_row"  # a firing row's position, added to the frame the check reads
EMIT_REFUSED = "emit "  # + "<type>: <reason>", after the firing log's `refused: `


@dataclass(frozen=True)
class Emit:
    """An emit action queued for the profiles of one firing, `depth` levels deep."""

    depth: int
    action: EmitEvent
    firing: Firing


def check(
    db: Database,
    catalog: Catalog,
    actions: tuple[Action, ...],
    checked: Checked,
    refs: dict[str, str],
) -> Checked:
    """`checked` with the firings whose emitted event the workspace's event schemas refuse
    moved from `passed` to `refused` (reason `emit <type>: <why>`)."""
    emitted = [a for a in actions if isinstance(a, EmitEvent)]
    frame = checked.passed
    screening = catalog.screening().refusing()
    if not emitted or frame.empty or screening is None:  # nothing could be refused
        return checked
    numbered = frame.assign(**{_ROW: np.arange(len(frame))})
    reasons = pd.Series(None, index=frame.index, dtype=object)
    for action in emitted:
        rows = _payloads(db, catalog, action, numbered, refs)
        refused = ingest_schemas.screen(rows, screening).refused.to_pylist()
        found = [None if r is None else f"{EMIT_REFUSED}{action.event}: {r}" for r in refused]
        at = rows["_line"].to_numpy()
        reasons = reasons.fillna(pd.Series(found, index=frame.index[at], dtype=object))
    bad = reasons.notna().to_numpy()
    if not bad.any():
        return checked
    refused = frame[bad].assign(reason=reasons[bad].to_numpy())
    return Checked(frame[~bad], pd.concat([checked.refused, refused]))


def _payloads(
    db: Database, catalog: Catalog, action: EmitEvent, frame: pd.DataFrame, refs: dict[str, str]
) -> pa.Table:
    """Per firing row, the event the action would emit: `_line` (the row's position), type
    and properties as they would be stored."""
    params: dict[str, Any] = {"e_type": action.event}
    types = catalog.dsl_schema().event_types.get(action.event, {})
    query = exp.select(
        exp.alias_(exp.column(_ROW, "f"), "_line"),
        exp.alias_(exp.Placeholder(this="e_type"), "type"),
        exp.alias_(exp.cast(_properties(action, refs, params, types), "VARCHAR"), "properties"),
    ).from_(exp.to_table(repo.FIRINGS).as_("f"))
    return repo.emitted_payloads(db, frame, query, params)


def store(db: Database, catalog: Catalog, emits: list[Emit], depth: int) -> IngestBatch | None:
    """Write the emitted events of one level as one batch (those that break their schema
    under `warn` flagged); None when nothing was new."""
    now = emits[0].firing.now
    with db.transaction():
        repo.create_emit_stage(db)
        for emit in emits:
            _stage(db, catalog, emit)
        staged = repo.staged_emits(db)
        screened = ingest_schemas.screen(staged, catalog.screening())
        wanted = sum(len(e.firing.frame) for e in emits)
        first = ingest_repo.allocate(db, {"batches": 1, "events": wanted})
        profiles = repo.insert_emitted(db, first["events"], first["batches"], now)
        if len(screened.warned_lines):
            repo.flag_emitted(db, _flags(staged, screened), first["batches"], now)
    if not profiles:
        return None
    return IngestBatch(first["batches"], tuple(sorted(set(profiles))), len(profiles), now, depth)


def _flags(staged: pa.Table, screened: ingest_schemas.Screened) -> pa.Table:
    """message_id, type, problem of the staged events stored under `warn` that break their
    schema (`_line` numbers the staged rows from 1)."""
    at = pa.array(screened.warned_lines - 1, pa.int64())
    return pa.table(
        {
            "message_id": staged["message_id"].take(at),
            "type": pa.array(screened.warned_types, pa.string()),
            "problem": pa.array(screened.warnings, pa.string()),
        }
    )


def _stage(db: Database, catalog: Catalog, emit: Emit) -> None:
    """One row per firing row: its profile, the event type, message id and properties."""
    params: dict[str, Any] = {}
    types = catalog.dsl_schema().event_types.get(emit.action.event, {})
    query = exp.insert(_rows(emit, params, types), repo.EMIT_STAGE)
    repo.stage_emitted(db, emit.firing.frame, query, params)


def _rows(emit: Emit, params: dict[str, Any], types: Mapping[str, str]) -> exp.Select:
    firing, f = emit.firing, exp.column
    params["e_type"] = emit.action.event
    params["e_prefix"] = f"rule-{firing.rule_id}-{emit.action.event}-"
    params["e_stamp"] = "-" + firing.now.isoformat() + "Z"
    per_profile = exp.DPipe(
        this=exp.DPipe(
            this=exp.Literal.string("p"),
            expression=exp.cast(f("profile_id", "f"), "VARCHAR"),
        ),
        expression=exp.Placeholder(this="e_stamp"),
    )
    cause = exp.Coalesce(this=exp.cast(f("event_id", "f"), "VARCHAR"), expressions=[per_profile])
    message_id = exp.DPipe(this=exp.Placeholder(this="e_prefix"), expression=cause)
    return exp.select(
        f("profile_id", "f"),
        exp.Placeholder(this="e_type"),
        message_id,
        _properties(emit.action, emit.firing.refs, params, types),
    ).from_(exp.to_table(repo.FIRINGS).as_("f"))


def _properties(
    action: EmitEvent, refs: dict[str, str], params: dict[str, Any], types: Mapping[str, str]
) -> exp.Expr:
    """json_object(key, value, ...): literals bound, `event.<path>` from the firing's column
    (read as text) in the type the emitted event type gives the property."""
    args: list[exp.Expr] = []
    for i, (key, value) in enumerate(action.properties):
        params[f"e_key{i}"] = key
        args.append(exp.Placeholder(this=f"e_key{i}"))
        if isinstance(value, EventRef):
            column = exp.column(refs[value.path.dotted], "f")
            args.append(_typed(column, types.get(key)))
        else:
            raw = value.value
            params[f"e_value{i}"] = raw.isoformat() if hasattr(raw, "isoformat") else raw
            args.append(exp.Placeholder(this=f"e_value{i}"))
    return exp.func("json_object", *args)


def _typed(value: exp.Expr, kind: str | None) -> exp.Expr:
    """Numbers and booleans as such (text that is not one becomes null); the rest as text."""
    if kind not in _CASTS:
        return value
    return exp.TryCast(this=value, to=exp.DataType.build(_CASTS[kind]))
