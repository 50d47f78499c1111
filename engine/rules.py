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
from dsl.ast import EventTrigger, Path, Rule, ScheduleTrigger, SegmentTrigger
from dsl.schema import Schema
from engine.actions import Actions, Firing, describe, event_refs
from engine.clock import as_of_or_now, to_utc, utcnow
from engine.compiler import Context, compile_condition, compile_where
from engine.compiler.events import event_field
from engine.webhooks import DeliveryStats, deliver
from kith_errors import Conflict, KithError, NotFound, StoreError, ValidationError
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
        self._actions.forget_columns()
        try:  # one transaction for the whole batch's rules: one commit instead of dozens
            with self.ws.db.transaction():
                self._run_batch(active, batch, changes, shared=True)
        except StoreError:  # a database error aborted it: rule by rule, each on its own
            self._run_batch(active, batch, changes, shared=False)
        self._actions.flush_emits()  # rule chains: emitted events are ingested one level deeper

    def _run_batch(
        self,
        active: list[tuple[dict[str, Any], Rule]],
        batch: IngestBatch,
        changes: SegmentChanges,
        shared: bool,
    ) -> None:
        now, schema = utcnow(), self.ws.segments.schema()
        self._actions.drop_emits()
        self._actions.discard()
        # rules without a condition do not depend on what earlier rules did: one query finds
        # all their firings; a rule with a condition is evaluated at its turn, after the
        # queued writes of the rules before it are applied (in a shared transaction, property
        # writes and notifications queue up so that many rules' writes share one statement)
        self._actions.deferred = shared
        upfront = self._unconditional_firings(active, schema, now, batch.batch_id)
        runs = []
        try:
            for row, rule in active:
                frame = upfront.get(int(row["id"]))
                if frame is None:
                    self._actions.flush(now)
                if frame is None and isinstance(rule.trigger, EventTrigger):
                    frame = self._event_firings(rule, now, batch_id=batch.batch_id, schema=schema)
                elif frame is None:
                    frame = self._segment_firings(rule, changes, now, schema)
                runs.append(self._fire(row, rule, frame, batch.depth, now, shared=shared))
            self._actions.flush(now)
        finally:
            self._actions.deferred = False
            self._actions.discard()
        self._write_log(runs)

    def run_schedules(self, as_of: dt.datetime | None = None) -> dict[str, int]:
        """Fire the `every ...` rules that are due; returns firings per rule fired."""
        now = as_of_or_now(as_of)
        fired: dict[str, int] = {}
        for row, rule in self._active((ScheduleTrigger,)):
            last = row["last_scheduled_at"]
            assert isinstance(rule.trigger, ScheduleTrigger)
            if last is not None and last + _PERIODS[rule.trigger.every] > now:
                continue
            runs = self._fire(row, rule, self._profile_firings(rule, now, None), 0, now)
            self._write_log([runs])
            self._actions.flush_emits()
            fired[row["name"]] = 0 if runs is None else len(runs)
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

    def _unconditional_firings(
        self,
        active: list[tuple[dict[str, Any], Rule]],
        schema: Schema,
        now: dt.datetime,
        batch_id: int,
    ) -> dict[int, pd.DataFrame]:
        """Firings of every event rule without a condition, from one UNION ALL query."""
        free = [(row, r) for row, r in active if _event_rule(r) and r.condition is None]
        if not free:
            return {}
        ctx = self.ws.segments.context(now, schema)
        paths = sorted({p.dotted: p for _, r in free for p in event_refs(r.actions)}.items())
        branches = [
            _event_select(ctx, r, [p for _, p in paths], batch_id=batch_id).select(
                exp.alias_(exp.Literal.number(int(row["id"])), "rule_id")
            )
            for row, r in free
        ]
        union = (
            branches[0] if len(branches) == 1 else exp.union(*branches, distinct=False, copy=False)
        )
        frame = self.ws.db.df(union, ctx.params)
        groups = dict(tuple(frame.groupby("rule_id"))) if len(frame) else {}
        return {int(row["id"]): groups.get(int(row["id"]), _empty()) for row, _ in free}

    def _event_firings(
        self,
        rule: Rule,
        now: dt.datetime,
        *,
        batch_id: int | None = None,
        start: dt.datetime | None = None,
        schema: Schema | None = None,
    ) -> pd.DataFrame:
        """The trigger's events (of one batch, or from `start` to `now`) whose profile meets the
        condition now, with the event properties the actions read."""
        ctx = self.ws.segments.context(now, schema)
        query = _event_select(ctx, rule, event_refs(rule.actions), batch_id=batch_id, start=start)
        return self._with_condition(query, ctx, rule, "e")

    def _segment_firings(
        self, rule: Rule, changes: SegmentChanges, now: dt.datetime, schema: Schema
    ) -> pd.DataFrame:
        assert isinstance(rule.trigger, SegmentTrigger)
        pairs = changes.entered if rule.trigger.change == "entering" else changes.exited
        ids = sorted({pid for segment, pid in pairs if segment == rule.trigger.segment})
        if not ids:
            return _empty()
        moved = pd.DataFrame({"profile_id": ids, "ts": now})
        return self._profile_firings(rule, now, moved, schema)

    def _profile_firings(
        self,
        rule: Rule,
        now: dt.datetime,
        moved: pd.DataFrame | None,
        schema: Schema | None = None,
    ) -> pd.DataFrame:
        """Profiles (all, or the `moved` ones) meeting the condition now; no triggering event."""
        if moved is not None and moved.empty:
            return _empty()
        ctx = self.ws.segments.context(now, schema)
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
        self,
        row: dict[str, Any],
        rule: Rule,
        frame: pd.DataFrame,
        depth: int,
        now: dt.datetime,
        *,
        shared: bool = False,
    ) -> pd.DataFrame | None:
        """Apply the actions for the firings; returns their log rows (None if none fired).
        In a `shared` transaction a database error must abort it; alone, it is logged."""
        if frame.empty:
            return None
        refs = {path.dotted: _ref_name(path) for path in event_refs(rule.actions)}
        for column in refs.values():  # segment and schedule firings have no event to read
            if column not in frame:
                frame = frame.assign(**{column: None})
        firing = Firing(int(row["id"]), str(row["name"]), frame, refs, depth, now)
        try:
            with self.ws.db.transaction():
                outcome = self._actions.apply(rule.actions, firing)
        except StoreError:
            if shared:
                raise
            outcome = "error: the database refused an action (see the server log)"
        except KithError as err:  # the batch is stored; the failure is logged, not raised
            outcome = f"error: {err.message}"
        return pd.DataFrame(
            {
                "rule_id": firing.rule_id,
                "profile_id": frame["profile_id"].astype("int64"),
                "event_id": frame["event_id"].astype("Int64"),
                "actions": describe(rule.actions),
                "fired_at": now,
                "depth": depth,
                "outcome": outcome,
            }
        )

    def _write_log(self, runs: list[pd.DataFrame | None]) -> None:
        """Every firing of a batch into `rule_runs`, and the rules' fire counts, at once."""
        frames = [r for r in runs if r is not None]
        if not frames:
            return
        log = pd.concat(frames, ignore_index=True)
        db = self.ws.db
        db.register("kith_rule_runs", log)
        try:
            with db.transaction():
                repo.insert_runs(db, db.allocate_ids("rule_runs", len(log)))
                repo.record_fired(db)
        finally:
            db.unregister("kith_rule_runs")


def _event_rule(rule: Rule) -> bool:
    return isinstance(rule.trigger, EventTrigger)


def _ref_name(path: Path) -> str:
    return "ref_" + "__".join(path.parts)


def _event_select(
    ctx: Context,
    rule: Rule,
    refs: list[Path],
    *,
    batch_id: int | None = None,
    start: dt.datetime | None = None,
) -> exp.Select:
    """The trigger's events of one batch (or from `start` to as_of) with the `refs` columns."""
    assert isinstance(rule.trigger, EventTrigger)
    match, e = rule.trigger.match, exp.column
    where: list[exp.Expression] = [e("type", "e").eq(ctx.bind(match.event))]
    if batch_id is not None:
        where.append(e("batch_id", "e").eq(ctx.bind(batch_id)))
    else:
        where += [e("ts", "e") >= ctx.bind(start), e("ts", "e") < ctx.now()]
    if match.where is not None:
        where.append(compile_where(ctx, match.where, event_field(ctx, match.event, "e")))
    return (
        exp.select(e("profile_id", "e"), exp.alias_(e("id", "e"), "event_id"), e("ts", "e"))
        .select(*_ref_columns(ctx, rule, refs), copy=False)
        .from_(exp.to_table("events").as_("e"), copy=False)
        .where(exp.and_(*where, copy=False), copy=False)
    )


def _ref_columns(ctx: Context, rule: Rule, refs: list[Path]) -> list[exp.Expression]:
    """The event properties in `refs` as ref_<path> columns: values for those the rule's actions
    read, NULL for the others (so UNION branches line up)."""
    used = {p.dotted for p in event_refs(rule.actions)}
    cols: list[exp.Expression] = []
    for path in refs:
        if path.dotted not in used:
            value: exp.Expression = exp.Null()
        elif path.parts in (("channel",), ("source",)):
            value = exp.column(path.parts[0], "e")
        else:
            path_value = ctx.bind("$." + path.dotted)
            value = exp.JSONExtractScalar(this=exp.column("properties", "e"), expression=path_value)
        cols.append(exp.alias_(value, _ref_name(path)))
    return cols


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_FIRING_COLUMNS)
