"""Events that rules emit: stored straight onto the profile they fired for.

An emitted event belongs to that profile directly, whatever identities it has (none at all,
say, after an import without keys), so it is written without identity resolution: one staging
INSERT per emit action from its firing frame, then one INSERT into `events` for the whole level
(message ids say rule, event and cause, so a replayed firing is not stored twice). The batch
then goes through `ws.commit` like any other, and its rules run one level deeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from dsl.ast import EmitEvent, EventRef
from engine.batch import IngestBatch
from engine.rules.firing import Firing
from store import ingest as ingest_repo
from store import rules as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace

_CASTS = {"number": "DOUBLE", "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class Emit:
    """An emit action queued for the profiles of one firing, `depth` levels deep."""

    depth: int
    action: EmitEvent
    firing: Firing


def store(ws: Workspace, emits: list[Emit], depth: int) -> IngestBatch | None:
    """Write the emitted events of one level as one batch; None when nothing was new."""
    db, now = ws.db, emits[0].firing.now
    with db.transaction():
        repo.create_emit_stage(db)
        for emit in emits:
            _stage(ws, emit)
        wanted = sum(len(e.firing.frame) for e in emits)
        first = ingest_repo.allocate(db, {"batches": 1, "events": wanted})
        profiles = repo.insert_emitted(db, first["events"], first["batches"], now)
    if not profiles:
        return None
    return IngestBatch(first["batches"], tuple(sorted(set(profiles))), len(profiles), now, depth)


def _stage(ws: Workspace, emit: Emit) -> None:
    """One row per firing row: its profile, the event type, message id and properties."""
    params: dict[str, Any] = {}
    types = ws.catalog.dsl_schema().event_types.get(emit.action.event, {})
    query = exp.insert(_rows(emit, params, types), repo.EMIT_STAGE)
    repo.stage_emitted(ws.db, emit.firing.frame, query, params)


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
        _properties(emit, params, types),
    ).from_(exp.to_table(repo.FIRINGS).as_("f"))


def _properties(emit: Emit, params: dict[str, Any], types: Mapping[str, str]) -> exp.Expr:
    """json_object(key, value, ...): literals bound, `event.<path>` from the firing's column
    (read as text) in the type the emitted event type gives the property."""
    args: list[exp.Expr] = []
    for i, (key, value) in enumerate(emit.action.properties):
        params[f"e_key{i}"] = key
        args.append(exp.Placeholder(this=f"e_key{i}"))
        if isinstance(value, EventRef):
            column = exp.column(emit.firing.refs[value.path.dotted], "f")
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
