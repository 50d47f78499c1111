"""Applying a rule's actions to the profiles it fired for, set-based.

A firing frame has one row per (profile, triggering event): profile_id, event_id (None for
segment and schedule triggers), ts, and one `ref_<n>` column per event property the actions read
(`event.channel`). Property writes queue up and apply as one UPDATE per group of distinct
properties, audited (engine/rules/writes.py); label and list changes queue up too and apply per
label (one DELETE and one INSERT for all labels) and per list; notifications queue and are
inserted once per batch with the audit entries; consent is per profile (its service records
each change in the consent log); emitted events are stored one level deeper
(engine/rules/emits.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
from engine.admin.audit import AUDIT_IDS
from engine.changes import Change, Touches
from engine.profiles.labels import check_label
from engine.rules import checks
from engine.rules import deps as rule_deps
from engine.rules import emits as emits
from engine.rules.emits import Emit
from engine.rules.firing import Firing
from engine.rules.writes import PropertyWrites, Write
from kith_errors import ValidationError
from store import ingest as ingest_repo
from store import rules as repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.changes import Commit
    from engine.profiles.consent import Consent
    from engine.segments.service import Segments
    from store import Database

MAX_DEPTH = 5  # rules emitting events that trigger rules: at most this many levels


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
    """The rules' actions over the database, checked against the catalog; lists change
    through `segments`, consent through `consent`; emitted events go to `commit`."""

    def __init__(
        self, db: Database, catalog: Catalog, segments: Segments, consent: Consent, commit: Commit
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.segments = segments
        self.consent = consent
        self.commit = commit
        self.writes = PropertyWrites(db)
        self._emits: list[Emit] = []
        self._notes: list[pd.DataFrame] = []
        self._members: list[_Membership] = []
        self._touched: set[int] = set()  # profiles whose state the actions changed
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

    def take_touched(self) -> set[int]:
        """The profiles the actions changed since the last call (for the commit path)."""
        touched, self._touched = self._touched, set()
        return touched

    def drop_emits(self) -> None:
        self._emits = []

    def flush_emits(self) -> None:
        """Store the events emitted since the last flush, one batch per depth, and run the
        rules on each (after the rules' transaction: a batch commits before its rules run)."""
        pending, self._emits = self._emits, []
        for depth in sorted({e.depth for e in pending}):
            batch = emits.store(
                self.db, self.catalog, [e for e in pending if e.depth == depth], depth
            )
            if batch is not None:
                self.commit(Change.ingested(batch))

    def apply(self, actions: tuple[Action, ...], firing: Firing) -> str:
        """Apply the actions in order; the outcome is 'applied' or 'loop_bound' (an emit
        skipped because the chain is too deep)."""
        outcomes = [self._dispatch(action, firing) for action in actions]
        if not self.deferred:
            self.flush(firing.now)
        return "loop_bound" if "loop_bound" in outcomes else "applied"

    def flush_for(self, needs: Touches, now: dt.datetime) -> None:
        """Apply the queued changes a condition reading `needs` could see."""
        if needs.all:
            self.writes.flush(now)
        elif needs.props:
            self.writes.flush(now, needs.props)
        if needs.members:
            self._flush_members(now)

    def flush(self, now: dt.datetime, extra: dict[str, int] | None = None) -> dict[str, int]:
        """Apply everything queued: property writes in order, labels and lists, then the
        notifications and staged audit entries, their ids reserved in one statement with the
        `extra` ones asked for (returns the first id of each `extra` space)."""
        self.writes.flush(now)
        self._flush_members(now)
        notes, self._notes = self._notes, []
        frame = pd.concat(notes, ignore_index=True) if notes else None
        counts = {"notifications": 0 if frame is None else len(frame)}
        counts |= {AUDIT_IDS: self.writes.staged} | (extra or {})
        db = self.db
        with db.transaction():
            first = ingest_repo.allocate(db, counts)
            if frame is not None:
                repo.insert_notifications(db, frame, first["notifications"])
            if self.writes.staged:
                repo.insert_staged_audit(db, first[AUDIT_IDS], now)
        self.writes.staged = 0
        return {k: v for k, v in first.items() if k in (extra or {})}

    def discard(self) -> None:
        """Forget what is queued (its transaction was rolled back)."""
        self.writes.discard()
        self._notes, self._members = [], []

    def _dispatch(self, action: Action, firing: Firing) -> str | None:
        apply = self._apply.get(type(action))
        if apply is None:
            raise ValidationError(f"rules cannot apply the action {type(action).__name__}")
        outcome = apply(action, firing)
        if rule_deps.writes((action,)).any():  # emits commit as a batch of their own
            self._touched.update(firing.profile_ids)
        return outcome

    # ---- profile properties: queued in engine/rules/writes.py -------------------------------

    def _set(self, action: SetProperty, firing: Firing) -> None:
        targets = _last_per_profile(firing.frame)
        if isinstance(action.value, EventRef):
            column = firing.refs[action.value.path.dotted]
            targets = targets[targets[column].notna()].rename(columns={column: "v"})
            targets = targets.assign(v=checks.coerced(self.catalog, action.prop, targets["v"]))
            write = Write(
                action.prop, "set_from_event", None, targets[["profile_id", "v"]], firing.actor
            )
        else:
            value = checks.coerced_value(self.catalog, action.prop, action.value.value)
            write = Write(action.prop, "set", _scalar(value), targets[["profile_id"]], firing.actor)
        self.writes.queue(write)

    def _unset(self, action: UnsetProperty, firing: Firing) -> None:
        targets = _last_per_profile(firing.frame)[["profile_id"]]
        self.writes.queue(Write(action.prop, "unset", None, targets, firing.actor))

    def _increment(self, action: Increment, firing: Firing) -> None:
        ids, n = np.unique(firing.frame["profile_id"].to_numpy("int64"), return_counts=True)
        counts = pd.DataFrame({"profile_id": ids, "v": n})
        self.writes.queue(Write(action.prop, "increment", action.by, counts, firing.actor))

    # ---- labels and lists: queued, applied per label and per list ---------------------------

    def _label(self, action: LabelAction, firing: Firing) -> None:
        label = check_label(action.label)  # a bad label fails its own rule, not the flush
        self._members.append(_Membership("label", label, action.remove, firing))

    def _list(self, action: ListAction, firing: Firing) -> None:
        if self.segments.stored(action.list_name).kind != "static":
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
            segments = self.segments
            change = segments.remove_members if remove else segments.add_members
            change(str(name), group["profile_id"].tolist(), str(actor))

    def _apply_labels(self, frame: pd.DataFrame, now: dt.datetime) -> None:
        """One DELETE and one INSERT for every label change, audited like `Labels` does."""
        ops = pa.Table.from_pandas(
            frame[["profile_id", "label", "actor", "remove"]], preserve_index=False
        )
        db = self.db
        with db.transaction():
            staged = repo.apply_labels(db, ops, now, bool(frame["remove"].any()))
        self.writes.staged += staged
        if staged:
            self.catalog.invalidate()  # the language checks label names against those in use

    def _consent(self, action: SetConsent, firing: Firing) -> None:
        for profile_id in firing.profile_ids:  # the consent log is per profile and channel
            self.consent.set(
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
        self._emits.append(Emit(firing.depth + 1, action, firing))
        return None

    def _webhook(self, action: CallWebhook, firing: Firing) -> None:
        frame = _base(firing).assign(url=action.url)
        db = self.db
        with db.transaction():
            repo.enqueue_webhooks(db, frame, db.allocate_ids("webhooks", len(frame)), firing.rule)

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


@dataclass(frozen=True)
class _Membership:
    """A queued label or list change for the profiles of one firing."""

    kind: str  # "label" or "list"
    name: str
    remove: bool
    firing: Firing


def _final_changes(queued: list[_Membership]) -> pd.DataFrame:
    """kind, name, remove, actor, profile_id: the last queued change per (kind, name, profile),
    built column-wise (one frame for all queued changes)."""
    ids = [np.unique(m.firing.frame["profile_id"].to_numpy("int64")) for m in queued]
    sizes = [len(i) for i in ids]
    changes = pd.DataFrame(
        {
            "kind": np.repeat([m.kind for m in queued], sizes),
            "name": np.repeat([m.name for m in queued], sizes),
            "remove": np.repeat([m.remove for m in queued], sizes),
            "actor": np.repeat([m.firing.actor for m in queued], sizes),
            "profile_id": np.concatenate(ids),
        }
    )
    return changes.drop_duplicates(["kind", "name", "profile_id"], keep="last")


def _last_per_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest firing row per profile: when several events fire, the last one wins."""
    if len(frame) < 2:
        return frame.reset_index(drop=True)
    profile = frame["profile_id"].to_numpy("int64")
    ts = pd.to_datetime(frame["ts"]).to_numpy("datetime64[ns]").view("int64")
    event = pd.to_numeric(frame["event_id"]).fillna(-1).to_numpy("int64")  # none first
    order = np.lexsort((event, ts, profile))  # by profile, then time, then event id
    ranked = profile[order]
    last = np.append(ranked[1:] != ranked[:-1], True)
    return frame.iloc[order[last]].reset_index(drop=True)


def _scalar(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
