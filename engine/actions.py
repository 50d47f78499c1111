"""Applying a rule's actions to the profiles it fired for, set-based.

A firing frame has one row per (profile, triggering event): profile_id, event_id (None for
segment and schedule triggers), ts, and one `ref_<n>` column per event property the actions read
(`event.channel`). Property writes are one UPDATE per action over all firing profiles; label and
list changes queue up like them and apply per label (one DELETE and one INSERT for all labels)
and per list; consent is per profile (its service records
each change in the consent log); emitted events go through ingestion one level deeper.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

from dsl.ast import (
    Action,
    CallWebhook,
    EmitEvent,
    EventRef,
    Increment,
    LabelAction,
    ListAction,
    Notify,
    Path,
    SetConsent,
    SetProperty,
    UnsetProperty,
    Value,
)
from engine.audit import AUDIT_IDS
from engine.catalog import JSON_PROPERTY
from engine.labels import check_label
from kith_errors import ValidationError
from store import analytics as analytics_repo
from store import rules as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace

MAX_DEPTH = 5  # rules emitting events that trigger rules: at most this many levels
TARGETS = "kith_rule_targets"
_TOP_LEVEL = {"user_id": "userId", "anonymous_id": "anonymousId"}


@dataclass(frozen=True)
class Firing:
    """One rule firing for a set of profiles; `refs` maps `event.<path>` to its frame column."""

    rule_id: int
    rule: str
    frame: pd.DataFrame
    refs: dict[str, str]
    depth: int
    now: dt.datetime

    @property
    def actor(self) -> str:
        return f"rule:{self.rule}"

    @property
    def profile_ids(self) -> list[int]:
        return sorted({int(p) for p in self.frame["profile_id"]})


def event_refs(actions: tuple[Action, ...]) -> list[Path]:
    """Every `event.<path>` the actions read, in a stable order."""
    found: dict[str, Path] = {}
    for action in actions:
        values = [action.value] if isinstance(action, SetProperty) else []
        if isinstance(action, EmitEvent):
            values = [v for _, v in action.properties]
        for value in values:
            if isinstance(value, EventRef):
                found.setdefault(value.path.dotted, value.path)
    return [found[k] for k in sorted(found)]


def describe(actions: tuple[Action, ...]) -> str:
    """The actions as JSON for the firing log."""
    items = [
        {"action": type(a).__name__, **{k: v for k, v in _fields(a).items() if k != "pos"}}
        for a in actions
    ]
    return json.dumps(items, default=_plain)


def _fields(action: Action) -> dict[str, Any]:
    return {f.name: getattr(action, f.name) for f in dataclasses.fields(action)}


def _plain(value: Any) -> Any:
    if isinstance(value, Value):
        return value.value
    if isinstance(value, EventRef):
        return "event." + value.path.dotted
    if isinstance(value, Path):
        return value.dotted
    return str(value)


class Actions:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._columns: dict[str, str] | None = None
        self._emits: list[tuple[int, list[dict[str, Any]]]] = []
        self._writes: list[_Write] = []
        self._notes: list[pd.DataFrame] = []
        self._members: list[_Membership] = []
        self.deferred = False  # queue property writes, labels, lists, notifications: flush()
        self._apply: dict[type, Callable[[Any, Firing], str | None]] = {
            SetProperty: self._set,
            UnsetProperty: self._unset,
            Increment: self._increment,
            LabelAction: self._label,
            ListAction: self._list,
            SetConsent: self._consent,
            EmitEvent: self._emit,
            CallWebhook: self._webhook,
            Notify: self._notify,
        }

    def drop_emits(self) -> None:
        self._emits = []

    def flush_emits(self) -> None:
        """Ingest the events emitted since the last flush (after the rules' transaction, since
        ingestion commits its own batch and runs the rules again one level deeper)."""
        pending, self._emits = self._emits, []
        for depth, messages in pending:
            self.ws.ingest.messages(messages, source="rule", depth=depth)

    def forget_columns(self) -> None:
        """Re-read the profile columns next time (a property may have been defined since)."""
        self._columns = None

    def _profile_columns(self) -> dict[str, str]:
        if self._columns is None:
            self._columns = analytics_repo.profile_columns(self.ws.db)
        return self._columns

    def apply(self, actions: tuple[Action, ...], firing: Firing) -> str:
        """Apply the actions in order; the outcome is 'applied' or 'loop_bound' (an emit
        skipped because the chain is too deep)."""
        outcomes = [self._dispatch(action, firing) for action in actions]
        if not self.deferred:
            self.flush(firing.now)
        return "loop_bound" if "loop_bound" in outcomes else "applied"

    def flush(self, now: dt.datetime) -> None:
        """Apply what is queued: property writes in order, labels and lists, notifications."""
        self.flush_writes(now)
        self._flush_members(now)
        notes, self._notes = self._notes, []
        if notes:
            frame = pd.concat(notes, ignore_index=True)
            db = self.ws.db
            db.register("kith_rule_notes", frame)
            try:
                with db.transaction():
                    repo.insert_notifications(db, db.allocate_ids("notifications", len(frame)))
            finally:
                db.unregister("kith_rule_notes")

    def discard(self) -> None:
        """Forget what is queued (its transaction was rolled back)."""
        self._writes, self._notes, self._members = [], [], []

    def _dispatch(self, action: Action, firing: Firing) -> str | None:
        apply = self._apply.get(type(action))
        if apply is None:
            raise ValidationError(f"rules cannot apply the action {type(action).__name__}")
        return apply(action, firing)

    # ---- profile properties: queued, one UPDATE per group ------------------------------------

    def _set(self, action: SetProperty, firing: Firing) -> None:
        targets = _last_per_profile(firing.frame)
        if isinstance(action.value, EventRef):
            column = firing.refs[action.value.path.dotted]
            targets = targets[targets[column].notna()].rename(columns={column: "v"})
            self._queue(_Write(action.prop, "set_from_event", None, targets[["profile_id", "v"]]))
        else:
            self._queue(_Write(action.prop, "set", _scalar(action.value), targets[["profile_id"]]))

    def _unset(self, action: UnsetProperty, firing: Firing) -> None:
        targets = _last_per_profile(firing.frame)[["profile_id"]]
        self._queue(_Write(action.prop, "unset", None, targets))

    def _increment(self, action: Increment, firing: Firing) -> None:
        counts = firing.frame.groupby("profile_id").size().rename("v").reset_index()
        self._queue(_Write(action.prop, "increment", action.by, counts))

    def _queue(self, write: _Write) -> None:
        if not write.targets.empty:
            self._writes.append(write)

    def flush_writes(self, now: dt.datetime) -> None:
        """Apply the queued property writes in queue order: consecutive writes to different
        properties share one UPDATE; a write to a property already written in the group
        starts the next one, so a later rule's write wins."""
        group: list[_Write] = []
        for write in self._writes:
            if any(_overlap(write.prop, w.prop) for w in group):
                self._update(group, now)
                group = []
            group.append(write)
        self._writes = []
        if group:
            self._update(group, now)

    def _update(self, writes: list[_Write], now: dt.datetime) -> None:
        """One UPDATE of profiles for writes to distinct properties, from one targets frame
        (profile_id, then f<i>: write i applies, v<i>: its value or count)."""
        columns, params = self._profile_columns(), {"r_now": now}
        sets: dict[str, exp.Expression] = {}
        for i, write in enumerate(writes):
            applies = exp.column(f"f{i}", "t")
            if write.prop.dotted in columns:
                current = exp.column(write.prop.dotted)
                new = _new_value(write, i, current, columns[write.prop.dotted], params)
                sets[write.prop.dotted] = exp.If(this=applies, true=new, false=current)
            else:
                if write.kind == "increment":  # the only write that reads the current value
                    params[f"r_path{i}"] = "$." + ".".join(_json_parts(write.prop))
                path = exp.Placeholder(this=f"r_path{i}")
                current = exp.JSONExtractScalar(this=exp.column("properties"), expression=path)
                new = _new_value(write, i, current, "JSON", params)
                base = sets.get("properties", _json_or_empty(exp.column("properties")))
                sets["properties"] = _json_patch(write.prop, i, base, applies, new, params)
        sets["updated_at"] = exp.Placeholder(this="r_now")
        match = exp.EQ(this=exp.column("id", "profiles"), expression=exp.column("profile_id", "t"))
        update = exp.update(
            "profiles", sets, where=match, from_=exp.From(this=exp.to_table(TARGETS).as_("t"))
        )
        db = self.ws.db
        db.register(TARGETS, _targets(writes))
        try:
            with db.transaction():
                db.execute(update, params)
        finally:
            db.unregister(TARGETS)

    # ---- labels, lists, consent --------------------------------------------------------------

    # ---- labels and lists: queued, applied per label and per list ---------------------------

    def _label(self, action: LabelAction, firing: Firing) -> None:
        label = check_label(action.label)  # a bad label fails its own rule, not the flush
        self._members.append(_Membership("label", label, action.remove, firing))

    def _list(self, action: ListAction, firing: Firing) -> None:
        if self.ws.segments.get(action.list_name)["kind"] != "static":
            raise ValidationError(
                f'segment "{action.list_name}" is not a static list; only lists take members'
            )
        self._members.append(_Membership("list", action.list_name, action.remove, firing))

    def _flush_members(self, now: dt.datetime) -> None:
        """Per (label or list, profile) only the last queued change counts (a later rule wins);
        labels change in two statements for all labels, lists one call per list and kind."""
        queued, self._members = self._members, []
        if not queued:
            return
        final = _final_changes(queued)
        labels = final[final["kind"] == "label"]
        if not labels.empty:
            self._apply_labels(labels.rename(columns={"name": "label"}), now)
        lists = final[final["kind"] == "list"]
        for (name, remove, actor), group in lists.groupby(["name", "remove", "actor"]):
            segments = self.ws.segments
            change = segments.remove_members if remove else segments.add_members
            change(str(name), group["profile_id"].tolist(), str(actor))

    def _apply_labels(self, frame: pd.DataFrame, now: dt.datetime) -> None:
        """One DELETE and one INSERT for every label change, audited like ws.labels does."""
        db, ops = self.ws.db, frame[["profile_id", "label", "actor", "remove"]]
        db.register("kith_rule_labels", ops)
        try:
            with db.transaction():
                removed = repo.remove_labels(db)
                added = repo.add_labels(db, now)
        finally:
            db.unregister("kith_rule_labels")
        removed = removed.merge(ops[["profile_id", "label", "actor"]], on=["profile_id", "label"])
        audit = pd.concat(
            [added.assign(action="label_add"), removed.assign(action="label_remove")],
            ignore_index=True,
        )
        if audit.empty:
            return
        db.register("kith_rule_label_audit", audit)
        try:
            with db.transaction():
                repo.audit_labels(db, db.allocate_ids(AUDIT_IDS, len(audit)), now)
        finally:
            db.unregister("kith_rule_label_audit")
        self.ws.catalog.invalidate()  # the language checks label names against those in use

    def _consent(self, action: SetConsent, firing: Firing) -> None:
        for profile_id in firing.profile_ids:  # the consent log is per profile and channel
            self.ws.consent.set(
                profile_id,
                action.channel,
                action.status,
                source="rule",
                actor=firing.actor,
                at=firing.now,
            )

    # ---- outputs: events, webhooks, notifications --------------------------------------------

    def _emit(self, action: EmitEvent, firing: Firing) -> str | None:
        if firing.depth + 1 > MAX_DEPTH:
            return "loop_bound"
        messages = _messages(action, firing, self._addresses(firing.profile_ids))
        if messages:
            self._emits.append((firing.depth + 1, messages))
        return None

    def _addresses(self, profile_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Each profile's highest-priority identity, as the message fields that carry it."""
        found = repo.identities(self.ws.db, profile_ids)
        rank = {t: i for i, t in enumerate(self.ws.settings.identity_priority)}
        found["rank"] = found["type"].map(rank).fillna(len(rank))
        best = found.sort_values(["rank", "value"]).drop_duplicates("profile_id")
        return {
            int(p): _address(t, v)
            for p, t, v in zip(best["profile_id"], best["type"], best["value"], strict=True)
        }

    def _webhook(self, action: CallWebhook, firing: Firing) -> None:
        frame = _base(firing).assign(url=action.url)
        db = self.ws.db
        db.register("kith_rule_hooks", frame)
        try:
            with db.transaction():
                repo.enqueue_webhooks(db, db.allocate_ids("webhooks", len(frame)), firing.rule)
        finally:
            db.unregister("kith_rule_hooks")

    def _notify(self, action: Notify, firing: Firing) -> None:
        self._notes.append(_base(firing).assign(message=action.message))


def _base(firing: Firing) -> pd.DataFrame:
    """rule_id, profile_id, event_id, created_at per firing row."""
    return pd.DataFrame(
        {
            "rule_id": firing.rule_id,
            "profile_id": firing.frame["profile_id"].astype("int64"),
            "event_id": firing.frame["event_id"].astype("Int64"),
            "created_at": firing.now,
        }
    )


def _address(kind: str, value: str) -> dict[str, Any]:
    """Segment-spec fields naming a profile by one identity: userId, anonymousId, or a trait
    (email, phone, channel ids) plus the same key in context.externalIds."""
    if kind in _TOP_LEVEL:
        return {_TOP_LEVEL[kind]: value}
    return {"context": {"traits": {kind: value}, "externalIds": [{"type": kind, "id": value}]}}


def _messages(
    action: EmitEvent, firing: Firing, addresses: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One track message per firing row whose profile has an identity to address it by."""
    frame = firing.frame[firing.frame["profile_id"].isin(list(addresses))]
    stamp = firing.now.isoformat() + "Z"
    messages = []
    for row in frame.to_dict(orient="records"):
        props = {
            key: row[firing.refs[v.path.dotted]] if isinstance(v, EventRef) else _scalar(v)
            for key, v in action.properties
        }
        cause = row["event_id"] if pd.notna(row["event_id"]) else f"p{row['profile_id']}-{stamp}"
        messages.append(
            {
                "type": "track",
                "event": action.event,
                "properties": props,
                "timestamp": stamp,
                "messageId": f"rule-{firing.rule_id}-{action.event}-{cause}",
                **addresses[int(row["profile_id"])],
            }
        )
    return messages


@dataclass(frozen=True)
class _Membership:
    """A queued label or list change for the profiles of one firing."""

    kind: str  # "label" or "list"
    name: str
    remove: bool
    firing: Firing


def _final_changes(queued: list[_Membership]) -> pd.DataFrame:
    """kind, name, remove, actor, profile_id: the last queued change per (kind, name, profile)."""
    frames = [
        pd.DataFrame(
            {
                "kind": m.kind,
                "name": m.name,
                "remove": m.remove,
                "actor": m.firing.actor,
                "profile_id": m.firing.frame["profile_id"].astype("int64").unique(),
            }
        )
        for m in queued
    ]
    changes = pd.concat(frames, ignore_index=True)
    return changes.drop_duplicates(["kind", "name", "profile_id"], keep="last")


def _last_per_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest firing row per profile: when several events fire, the last one wins."""
    ordered = frame.sort_values(["ts", "event_id"], na_position="first", kind="stable")
    return ordered.drop_duplicates("profile_id", keep="last").reset_index(drop=True)


def _scalar(value: Value) -> Any:
    raw = value.value
    return raw.isoformat() if isinstance(raw, dt.date) else raw


@dataclass(frozen=True)
class _Write:
    """A queued property write: `set` a literal, `set_from_event` (targets column v),
    `unset`, or `increment` by `value` per firing (targets column v counts them)."""

    prop: Path
    kind: str
    value: Any
    targets: pd.DataFrame


def _overlap(a: Path, b: Path) -> bool:
    """Writes to these paths must not share an UPDATE (one lies within the other)."""
    n = min(len(a.parts), len(b.parts))
    return a.parts[:n] == b.parts[:n]


def _targets(writes: list[_Write]) -> pd.DataFrame:
    """One row per profile any write targets: f<i> whether write i applies, v<i> its value
    (each write's targets hold a profile once)."""
    ids = pd.Index(pd.concat([w.targets["profile_id"] for w in writes]).unique(), dtype="int64")
    columns: dict[str, Any] = {"profile_id": ids}
    for i, write in enumerate(writes):
        mine = write.targets.set_index("profile_id")
        columns[f"f{i}"] = ids.isin(mine.index)
        columns[f"v{i}"] = mine["v"].reindex(ids).to_numpy() if "v" in mine else None
    return pd.DataFrame(columns)


def _new_value(
    write: _Write, i: int, current: exp.Expression, kind: str, params: dict[str, Any]
) -> exp.Expression:
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


def _typed(value: exp.Expression, kind: str) -> exp.Expression:
    if kind == "JSON":
        return value
    return exp.TryCast(this=value, to=exp.DataType.build(kind, dialect="duckdb"))


def _json_parts(prop: Path) -> tuple[str, ...]:
    """Where a property lives inside the `properties` JSON column: `properties.x.y` (the
    language's name for unregistered custom data) is the key path x.y."""
    if prop.parts[0] == JSON_PROPERTY and len(prop.parts) > 1:
        return prop.parts[1:]
    return prop.parts


def _json_or_empty(value: exp.Expression) -> exp.Expression:
    empty = exp.Cast(this=exp.Literal.string("{}"), to=exp.DataType.build("JSON"))
    return exp.Coalesce(this=value, expressions=[empty])


def _json_patch(
    prop: Path,
    i: int,
    base: exp.Expression,
    applies: exp.Expression,
    value: exp.Expression,
    params: dict[str, Any],
) -> exp.Expression:
    """`base` with `prop` (a dotted path) set to `value` where write i applies; NULL removes
    the key (merge patch). Elsewhere the patch is empty and leaves `base` as it is."""
    patch: exp.Expression = value
    for j, part in enumerate(reversed(_json_parts(prop))):
        params[f"r_key{i}_{j}"] = part
        patch = exp.func("json_object", exp.Placeholder(this=f"r_key{i}_{j}"), patch)
    patch = exp.If(this=applies, true=patch, false=_json_or_empty(exp.Null()))
    return exp.func("json_merge_patch", base, patch)
