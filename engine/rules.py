"""Rules: event-, schedule- and segment-triggered automations.

After every ingestion batch `on_batch` finds, per enabled rule and in priority order (lowest
number first), the firings in one query: the batch's events of the trigger type that pass its
`where` filter (or the profiles that entered/left the trigger segment), restricted to profiles
meeting the rule's condition at that moment. The actions then apply set-based (engine/actions.py)
and every firing is logged in `rule_runs`. Events a rule emits are ingested one level deeper; at
`MAX_DEPTH` the emit is skipped and the firing logged with outcome 'loop_bound'.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

import dsl
from dsl.ast import EventTrigger, Rule, ScheduleTrigger, SegmentTrigger
from engine.actions import Actions, Firing, describe, event_refs
from engine.clock import as_of_or_now, to_utc, utcnow
from engine.compiler import Context, compile_condition, compile_where
from engine.compiler.events import event_field
from engine.webhooks import DeliveryStats, deliver
from kith_errors import Conflict, KithError, NotFound, ValidationError
from store import rules as repo

if TYPE_CHECKING:
    from engine.batch import IngestBatch
    from engine.segments import SegmentChanges
    from engine.workspace import Workspace

_PERIODS = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(weeks=1),
}
_FIRING_COLUMNS = ["profile_id", "event_id", "ts"]


class Rules:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._parsed: dict[tuple[int, str], Rule] = {}
        self._actions = Actions(ws)

    # ---- managing rules ----------------------------------------------------------------------

    def parse(self, source: str) -> Rule:
        """Parse and check a rule against the workspace's names (raises a DslError)."""
        rule = dsl.parse_rule(source)
        dsl.check_rule(rule, self.ws.catalog.dsl_schema(), source)
        return rule

    def add(self, name: str, source: str, *, priority: int = 100, enabled: bool = True) -> dict:
        if not name.strip():
            raise ValidationError("a rule needs a name")
        self.parse(source)
        db = self.ws.db
        with db.transaction():
            if repo.get(db, name) is not None:
                raise Conflict(f"there is already a rule named {name!r}", details={"name": name})
            row = {"id": db.allocate_ids("rules", 1), "name": name, "source": source}
            repo.insert(
                db, {**row, "priority": priority, "enabled": enabled, "created_at": utcnow()}
            )
        return self.get(name)

    def get(self, name: str) -> dict[str, Any]:
        found = repo.get(self.ws.db, name)
        if found is None:
            raise NotFound(f"there is no rule named {name!r}", details={"name": name})
        return found

    def list(self) -> pd.DataFrame:
        return repo.all_rules(self.ws.db)

    def enable(self, name: str) -> None:
        self.get(name)
        repo.set_enabled(self.ws.db, name, True)

    def disable(self, name: str) -> None:
        self.get(name)
        repo.set_enabled(self.ws.db, name, False)

    def delete(self, name: str) -> None:
        """Remove the rule; its firing log stays (append-only)."""
        self.get(name)
        repo.delete(self.ws.db, name)

    def log(self, name: str | None = None, *, limit: int = 100) -> pd.DataFrame:
        if name is not None:
            self.get(name)
        return repo.runs(self.ws.db, name, limit)

    def notifications(self, *, limit: int = 100) -> pd.DataFrame:
        return repo.notifications(self.ws.db, limit)

    def webhooks(self, status: str | None = None) -> pd.DataFrame:
        return repo.webhooks(self.ws.db, status)

    def deliver_webhooks(self, now: dt.datetime | None = None, **options: Any) -> DeliveryStats:
        """POST the due outbox rows; failures back off exponentially (engine/webhooks.py)."""
        return deliver(self.ws.db, as_of_or_now(now), **options)

    # ---- running -----------------------------------------------------------------------------

    def on_batch(self, batch: IngestBatch, changes: SegmentChanges) -> None:
        """Fire the event and segment rules for one committed ingestion batch."""
        active = self._active((EventTrigger, SegmentTrigger))
        if not active:
            return
        now = utcnow()
        for row, rule in active:
            if isinstance(rule.trigger, EventTrigger):
                frame = self._event_firings(rule, now, batch_id=batch.batch_id)
            else:
                frame = self._segment_firings(rule, changes, now)
            self._fire(row, rule, frame, batch.depth, now)

    def run_schedules(self, as_of: dt.datetime | None = None) -> dict[str, int]:
        """Fire the `every ...` rules that are due; returns firings per rule fired."""
        now = as_of_or_now(as_of)
        fired: dict[str, int] = {}
        for row, rule in self._active((ScheduleTrigger,)):
            last = row["last_scheduled_at"]
            assert isinstance(rule.trigger, ScheduleTrigger)
            if last is not None and last + _PERIODS[rule.trigger.every] > now:
                continue
            frame = self._profile_firings(rule, now, None)
            fired[row["name"]] = self._fire(row, rule, frame, 0, now)
            repo.set_scheduled(self.ws.db, row["id"], now)
        return fired

    def dry_run(self, name_or_source: str, start: Any, end: Any) -> pd.DataFrame:
        """What the rule would have done over [start, end): the firings it would have had, with
        its actions; nothing is applied. Conditions are evaluated as of `end`."""
        rule = self._rule_for(name_or_source)
        lo, hi = to_utc(start), to_utc(end)
        if isinstance(rule.trigger, EventTrigger):
            frame = self._event_firings(rule, hi, start=lo)
        elif isinstance(rule.trigger, SegmentTrigger):
            trig = rule.trigger
            change = "entered" if trig.change == "entering" else "exited"
            moved = repo.segment_changes(self.ws.db, trig.segment, change, lo, hi)
            frame = self._profile_firings(rule, hi, moved)
        else:
            frame = self._profile_firings(rule, hi, None)
        shown = frame[_FIRING_COLUMNS].copy()
        shown["actions"] = describe(rule.actions)
        return shown.reset_index(drop=True)

    # ---- internals ---------------------------------------------------------------------------

    def _rule_for(self, name_or_source: str) -> Rule:
        found = repo.get(self.ws.db, name_or_source)
        return self.parse(found["source"] if found else name_or_source)

    def _active(self, kinds: tuple[type, ...]) -> list[tuple[dict[str, Any], Rule]]:
        """Enabled rules with one of the trigger kinds, parsed once per source text."""
        rows = repo.enabled(self.ws.db)
        parsed = [(row, self._cached(row)) for row in rows]
        return [(row, rule) for row, rule in parsed if isinstance(rule.trigger, kinds)]

    def _cached(self, row: dict[str, Any]) -> Rule:
        key = (int(row["id"]), str(row["source"]))
        if key not in self._parsed:
            self._parsed[key] = dsl.parse_rule(row["source"])
        return self._parsed[key]

    def _event_firings(
        self,
        rule: Rule,
        now: dt.datetime,
        *,
        batch_id: int | None = None,
        start: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """The trigger's events (of one batch, or from `start` to `now`) whose profile meets the
        condition now, with the event properties the actions read."""
        assert isinstance(rule.trigger, EventTrigger)
        ctx = self.ws.segments.context(now)
        match = rule.trigger.match
        e = exp.column
        where: list[exp.Expression] = [e("type", "e").eq(ctx.bind(match.event))]
        if batch_id is not None:
            where.append(e("batch_id", "e").eq(ctx.bind(batch_id)))
        else:
            where += [e("ts", "e") >= ctx.bind(start), e("ts", "e") < ctx.bind(now)]
        if match.where is not None:
            where.append(compile_where(ctx, match.where, event_field(ctx, match.event, "e")))
        query = (
            exp.select(e("profile_id", "e"), exp.alias_(e("id", "e"), "event_id"), e("ts", "e"))
            .select(*_ref_columns(ctx, rule))
            .from_(exp.to_table("events").as_("e"))
            .where(exp.and_(*where))
        )
        return self._with_condition(query, ctx, rule, "e")

    def _segment_firings(
        self, rule: Rule, changes: SegmentChanges, now: dt.datetime
    ) -> pd.DataFrame:
        assert isinstance(rule.trigger, SegmentTrigger)
        pairs = changes.entered if rule.trigger.change == "entering" else changes.exited
        ids = sorted({pid for segment, pid in pairs if segment == rule.trigger.segment})
        if not ids:
            return _empty()
        moved = pd.DataFrame({"profile_id": ids, "ts": now})
        return self._profile_firings(rule, now, moved)

    def _profile_firings(
        self, rule: Rule, now: dt.datetime, moved: pd.DataFrame | None
    ) -> pd.DataFrame:
        """Profiles (all, or the `moved` ones) meeting the condition now; no triggering event."""
        ctx = self.ws.segments.context(now)
        query = exp.select(exp.alias_(exp.column("id", "p"), "profile_id")).from_(
            exp.to_table("profiles").as_("p")
        )
        if moved is not None:
            ids = ctx.bind(sorted({int(p) for p in moved["profile_id"]}))
            query = query.where(exp.func("list_contains", ids, exp.column("id", "p")))
        frame = self._with_condition(query, ctx, rule, "p")
        when = dict(zip(moved["profile_id"], moved["ts"], strict=True)) if moved is not None else {}
        frame["event_id"] = pd.array([None] * len(frame), dtype="Int64")
        frame["ts"] = frame["profile_id"].map(when).fillna(now) if when else now
        return frame

    def _with_condition(
        self, query: exp.Select, ctx: Context, rule: Rule, alias: str
    ) -> pd.DataFrame:
        if rule.condition is not None:
            if alias != "p":
                on = exp.column("id", "p").eq(exp.column("profile_id", alias))
                query = query.join(exp.to_table("profiles").as_("p"), on=on)
            query = query.where(compile_condition(ctx, rule.condition))
        return self.ws.db.df(query, ctx.params)

    def _fire(
        self, row: dict[str, Any], rule: Rule, frame: pd.DataFrame, depth: int, now: dt.datetime
    ) -> int:
        """Apply the actions for the firings and log them; returns how many fired."""
        if frame.empty:
            return 0
        refs = {path.dotted: f"ref_{i}" for i, path in enumerate(event_refs(rule.actions))}
        for column in refs.values():  # segment and schedule firings have no event to read
            if column not in frame:
                frame[column] = None
        firing = Firing(int(row["id"]), str(row["name"]), frame, refs, depth, now)
        try:
            outcome = self._actions.apply(rule.actions, firing)
        except KithError as err:  # the batch is stored; the failure is logged, not raised
            outcome = f"error: {err.message}"
        self._log(firing, describe(rule.actions), outcome)
        return len(frame)

    def _log(self, firing: Firing, actions: str, outcome: str) -> None:
        frame = firing.frame
        runs = pd.DataFrame(
            {
                "rule_id": firing.rule_id,
                "profile_id": frame["profile_id"].astype("int64"),
                "event_id": frame["event_id"].astype("Int64"),
                "actions": actions,
                "fired_at": firing.now,
                "depth": firing.depth,
                "outcome": outcome,
            }
        )
        db = self.ws.db
        db.register("kith_rule_runs", runs)
        try:
            with db.transaction():
                repo.insert_runs(db, db.allocate_ids("rule_runs", len(runs)))
                repo.record_fired(db, firing.rule_id, len(runs), firing.now)
        finally:
            db.unregister("kith_rule_runs")


def _ref_columns(ctx: Context, rule: Rule) -> list[exp.Expression]:
    """`event.<path>` values the actions read, as ref_<n> columns of the firing query."""
    cols: list[exp.Expression] = []
    for i, path in enumerate(event_refs(rule.actions)):
        if path.parts in (("channel",), ("source",)):
            value: exp.Expression = exp.column(path.parts[0], "e")
        else:
            path_value = ctx.bind("$." + path.dotted)
            value = exp.JSONExtractScalar(this=exp.column("properties", "e"), expression=path_value)
        cols.append(exp.alias_(value, f"ref_{i}"))
    return cols


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_FIRING_COLUMNS)
