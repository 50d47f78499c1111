"""Rules: event-, schedule- and segment-triggered automations.

After every commit (`after_commit`, engine/changes.py) the rules it triggers run in priority
order (lowest number first) in one transaction: for an ingestion batch its event rules and the
segment rules, for any other change the entering/leaving rules of the segments someone entered
or left. Rules whose trigger event is not in the batch are skipped. The
firings of every event rule whose condition reads nothing an earlier rule writes
(engine/rules/deps.py) come from one query (engine/rules/query.py, rendered once per rule set and
schema): the batch's events of the trigger type that pass its `where` filter, restricted to
profiles meeting the condition. A rule that must see earlier rules' writes (and a segment rule)
is evaluated at its turn, after those writes are applied. The actions apply set-based
(engine/rules/actions.py) and every firing is logged in `rule_runs`, all in one INSERT. Events a
rule emits are stored one level deeper; at `MAX_DEPTH` the emit is skipped and the firing logged
with outcome 'loop_bound'. What the actions wrote is committed as one change one level deeper,
so the segments it moves fire their rules in turn; past `MAX_DEPTH` those firings are logged
with outcome 'loop_bound' and their actions skipped. What the rules did (runs, the inbox, the
webhook queue) is read through the base class (engine/rules/activity.py).
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

import dsl
from dsl.ast import EventTrigger, Rule, ScheduleTrigger, SegmentTrigger
from dsl.schema import Schema
from engine.changes import Change, ChangeKind, Commit
from engine.clock import as_of_or_now, to_utc, utcnow
from engine.compiler import Context
from engine.rules import deps as rule_deps
from engine.rules import emits
from engine.rules.actions import MAX_DEPTH, Actions, describe, event_refs
from engine.rules.activity import RuleActivity, due
from engine.rules.checks import REFUSED, check_writes
from engine.rules.firing import Firing
from engine.rules.query import BATCH, conditioned, event_select, ref_name
from kith_errors import Conflict, KithError, NotFound, RuleFailed, StoreError, ValidationError
from store import rules as repo
from store.db import Prepared

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from engine.batch import IngestBatch
    from engine.catalog.service import Catalog
    from engine.profiles.consent import Consent
    from engine.segments.membership import SegmentChanges
    from engine.segments.service import Segments
    from store import Database

_PLANS = 64  # firing queries kept rendered (rule sets x schemas; a workspace uses a few)
_FIRING_COLUMNS = ["profile_id", "event_id", "ts"]
_DATABASE_REFUSED = "error: the database refused an action (see the server log)"
# collects the changes committed on this thread inside the block instead of running them
HoldCommits = Callable[[], AbstractContextManager[builtins.list[Change]]]


class Rules(RuleActivity):
    """The rules over the database, the settings (webhooks), the catalog (checks, the
    language's schema) and the segments (firing context, lists); `consent` takes their consent
    actions. The commit path comes as three callables: `commit` runs what follows a change,
    `hold_commits` collects the changes the rules' own writes commit until their transaction is
    in, and `clock` is the commit path's "now"."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        catalog: Catalog,
        segments: Segments,
        consent: Consent,
        *,
        commit: Commit,
        hold_commits: HoldCommits,
        clock: Callable[[], dt.datetime],
    ) -> None:
        super().__init__(db, settings)
        self.catalog = catalog
        self.segments = segments
        self.commit = commit
        self.hold_commits = hold_commits
        self.clock = clock
        self._plans: dict[tuple[tuple[int, str], ...], _Plan] = {}
        self._actions = Actions(db, catalog, segments, consent, commit)

    # ---- managing rules ----------------------------------------------------------------------

    def parse(self, source: str) -> Rule:
        """Parse and check a rule against the workspace's names (raises a DslError)."""
        rule = dsl.parse_rule(source)
        dsl.check_rule(rule, self.catalog.dsl_schema(), source)
        return rule

    def add(
        self, name: str, source: str, *, priority: int = 100, enabled: bool = True
    ) -> repo.RuleRow:
        if not name.strip():
            raise ValidationError("a rule needs a name")
        self.parse(source)
        db = self.db
        with db.transaction():
            if repo.get(db, name) is not None:
                raise Conflict(f"there is already a rule named {name!r}", details={"name": name})
            rule_id = db.allocate_ids("rules", 1)
            repo.insert(db, repo.NewRule(rule_id, name, source, priority, enabled, utcnow()))
        return self.get(name)

    def get(self, name: str) -> repo.RuleRow:
        found = repo.get(self.db, name)
        if found is None:
            raise NotFound(f"there is no rule named {name!r}", details={"name": name})
        return found

    def list(self) -> pd.DataFrame:
        return repo.all_rules(self.db)

    def enable(self, name: str) -> None:
        self.get(name)
        repo.set_enabled(self.db, name, True)

    def disable(self, name: str) -> None:
        self.get(name)
        repo.set_enabled(self.db, name, False)

    def delete(self, name: str) -> None:
        """Remove the rule; its firing log stays (append-only)."""
        self.get(name)
        repo.delete(self.db, name)

    def log(self, name: str | None = None, *, limit: int = 100) -> pd.DataFrame:
        if name is not None:
            self.get(name)
        return repo.runs(self.db, name, limit)

    # ---- running -----------------------------------------------------------------------------

    def after_commit(self, change: Change, moved: SegmentChanges) -> None:
        """Fire the rules a committed change triggers: an ingestion batch's event rules, and the
        entering/leaving rules of the segments someone entered or left, whatever the change.
        What the rules write is committed in turn, one chain level deeper, at the same moment."""
        now = change.as_of or self.clock()
        if change.batch is not None:
            batch = change.batch
            self._run(self._batch_rules(batch), batch.batch_id, change.depth, moved, now)
        elif moved:
            self._run(self._segment_rules(moved), None, change.depth, moved, now)

    def _batch_rules(self, batch: IngestBatch) -> builtins.list[tuple[repo.RuleRow, Rule]]:
        """The enabled event and segment rules, less event rules whose trigger type is not in
        the batch."""
        active = self._active((EventTrigger, SegmentTrigger))
        if any(_event_rule(rule) for _, rule in active):  # skip rules with no trigger event
            present = set(repo.batch_event_types(self.db, batch.batch_id))
            active = [(r, rule) for r, rule in active if _triggered(rule, present)]
        return active

    def _segment_rules(self, moved: SegmentChanges) -> builtins.list[tuple[repo.RuleRow, Rule]]:
        """The enabled entering/leaving rules of the segments someone entered or left."""
        entered = {name for name, _ in moved.entered}
        exited = {name for name, _ in moved.exited}
        return [
            (row, rule)
            for row, rule in self._active((SegmentTrigger,))
            if isinstance(rule.trigger, SegmentTrigger)
            and rule.trigger.segment in (entered if rule.trigger.change == "entering" else exited)
        ]

    def _run(
        self,
        active: builtins.list[tuple[repo.RuleRow, Rule]],
        batch_id: int | None,
        depth: int,
        moved: SegmentChanges,
        now: dt.datetime,
    ) -> None:
        if not active:
            return
        with self.db.writing():  # the queued actions are shared with the server's clock
            with self.hold_commits() as held:
                try:  # one transaction for all the rules: one commit instead of dozens
                    with self.db.transaction():
                        self._run_batch(active, batch_id, depth, moved, now, shared=True)
                except StoreError:  # a database error aborted it: rule by rule, each on its own
                    self._run_batch(active, batch_id, depth, moved, now, shared=False)
            self._commit_writes(held, depth, now)
            self._actions.flush_emits()  # rule chains: emitted events are stored one level deeper

    def _commit_writes(self, held: builtins.list[Change], depth: int, now: dt.datetime) -> None:
        """The rules' writes (and the changes the services they used committed meanwhile) as
        one change, one chain level deeper: memberships they move fire rules in turn."""
        touched = self._actions.take_touched()
        ids = touched.union(*(c.profile_ids for c in held))
        removed = set().union(*(c.removed_ids for c in held))
        if ids or removed:
            change = Change.of(ChangeKind.RULE_WRITE, ids, removed_ids=removed, depth=depth + 1)
            self.commit(replace(change, as_of=now))

    def _run_batch(
        self,
        active: builtins.list[tuple[repo.RuleRow, Rule]],
        batch_id: int | None,
        depth: int,
        changes: SegmentChanges,
        now: dt.datetime,
        shared: bool,
    ) -> None:
        schema = self.segments.schema()
        self._actions.writes.follow(schema.properties)
        self._actions.drop_emits()
        self._actions.discard()
        # one query finds the firings of every event rule whose condition (if any) reads
        # nothing an earlier rule writes; the others are evaluated at their turn, after the
        # queued changes they could see are applied (in a shared transaction, property writes,
        # labels and notifications queue up so that many rules' changes share one statement)
        self._actions.deferred = shared
        upfront = self._firings(_upfront(active), schema, now, batch_id)
        runs: builtins.list[_Run] = []
        try:
            for row, rule in active:
                frame = upfront.get(row.id)
                if frame is None:
                    self._actions.flush_for(rule_deps.reads(rule.condition), now)
                    frame = self._turn_firings(row, rule, batch_id, changes, now, schema)
                runs += self._fire(row, rule, frame, depth, now, shared=shared)
            self._write_log(runs, now, depth)
        finally:
            self._actions.deferred = False
            self._actions.discard()

    def _turn_firings(
        self,
        row: repo.RuleRow,
        rule: Rule,
        batch_id: int | None,
        changes: SegmentChanges,
        now: dt.datetime,
        schema: Schema,
    ) -> pd.DataFrame:
        if isinstance(rule.trigger, EventTrigger):
            assert batch_id is not None  # event rules run only for a batch
            return self._firings([(row, rule)], schema, now, batch_id)[row.id]
        return self._segment_firings(rule, changes, now, schema)

    def run_schedules(self, as_of: dt.datetime | None = None) -> dict[str, int]:
        """Fire the `every ...` rules that are due; returns firings per rule fired. A rule due
        several times over (the server was down) fires once."""
        now = as_of_or_now(as_of)
        fired: dict[str, int] = {}
        failed: builtins.list[str] = []
        if not any(due(row, rule, now) for row, rule in self._active((ScheduleTrigger,))):
            return fired  # the server asks every second: nothing due, no lock taken
        with self.db.writing():  # the queued actions are shared with the ingest thread
            self._actions.writes.follow(self.segments.schema().properties)
            for row, rule in self._active((ScheduleTrigger,)):  # read again under the lock
                if not due(row, rule, now):
                    continue
                try:
                    fired[row.name] = self._run_schedule(row, rule, now)
                except KithError as err:  # the others still run; this one waits a period
                    repo.set_scheduled(self.db, row.id, now)
                    failed.append(f"{row.name}: {err.message}")
        if failed:
            raise RuleFailed(
                "schedule rules failed: " + "; ".join(failed), details={"fired": fired}
            )
        return fired

    def _run_schedule(self, row: repo.RuleRow, rule: Rule, now: dt.datetime) -> int:
        """One due schedule rule: its actions, its log and the time it ran commit together, so
        a crash leaves it done or still due, never done twice; returns its firings."""
        frame = self._profile_firings(rule, now, None)
        self._actions.drop_emits()
        with self.hold_commits() as held:
            try:
                with self.db.transaction():
                    runs = self._fire(row, rule, frame, 0, now, shared=True)
                    self._write_log(runs, now, 0)
                    repo.set_scheduled(self.db, row.id, now)
            except StoreError:
                self._actions.discard()
                self._actions.drop_emits()
                self._actions.take_touched()  # rolled back: nothing to commit
                failed = _Run(row.id, describe(rule.actions), frame, _DATABASE_REFUSED)
                with self.db.transaction():
                    self._write_log([failed], now, 0)
                raise
        self._commit_writes(held, 0, now)
        self._actions.flush_emits()
        return sum(len(run.frame) for run in runs)

    def dry_run(self, name_or_source: str, start: Any, end: Any) -> pd.DataFrame:
        """What the rule would have done over [start, end): the firings it would have had, with
        its actions as the rule writes them; nothing is applied. Conditions are evaluated as of
        `end`."""
        rule = self._rule_for(name_or_source)
        lo, hi = to_utc(start), to_utc(end)
        if isinstance(rule.trigger, EventTrigger):
            frame = self._event_firings(rule, hi, start=lo)
        elif isinstance(rule.trigger, SegmentTrigger):
            trig = rule.trigger
            change = "entered" if trig.change == "entering" else "exited"
            moved = repo.segment_changes(self.db, trig.segment, change, lo, hi)
            frame = self._profile_firings(rule, hi, moved)
        else:
            frame = self._profile_firings(rule, hi, None)
        shown = frame[_FIRING_COLUMNS].copy()
        shown["actions"] = dsl.format_actions(rule.actions)
        return shown.reset_index(drop=True)

    # ---- internals ---------------------------------------------------------------------------

    def _rule_for(self, name_or_source: str) -> Rule:
        found = repo.get(self.db, name_or_source)
        return self.parse(found.source if found else name_or_source)

    def _active(self, kinds: tuple[type, ...]) -> builtins.list[tuple[repo.RuleRow, Rule]]:
        """Enabled rules with one of the trigger kinds, parsed once per source text."""
        rows = repo.enabled(self.db)
        parsed = [(row, self._cached(row)) for row in rows]
        return [(row, rule) for row, rule in parsed if isinstance(rule.trigger, kinds)]

    def _firings(
        self,
        rules: builtins.list[tuple[repo.RuleRow, Rule]],
        schema: Schema,
        now: dt.datetime,
        batch_id: int | None,
    ) -> dict[int, pd.DataFrame]:
        """The batch's firings of these event rules, from one UNION ALL query ordered by rule,
        sliced per rule (no group-by)."""
        if not rules:
            return {}
        plan = self._union(rules, schema, now)
        frame = self.db.df(plan.sql, plan.ctx.params_at(now) | {BATCH: batch_id})
        ids = frame["rule_id"].to_numpy("int64")
        found = {}
        for row, _ in rules:
            rule_id = row.id
            lo, hi = np.searchsorted(ids, [rule_id, rule_id + 1])
            found[rule_id] = frame.iloc[lo:hi] if hi > lo else _empty()
        return found

    def _union(
        self, rules: builtins.list[tuple[repo.RuleRow, Rule]], schema: Schema, now: dt.datetime
    ) -> _Plan:
        """The firing query's text, compiled once for a set of rules and a language schema
        (rendering it costs more than running it); not kept when a condition inlines a saved
        segment, whose definition may change under the same schema."""
        key = tuple((row.id, row.source) for row, _ in rules)
        cached = self._plans.get(key)
        if cached is not None and cached.schema == schema:
            return cached
        ctx = self.segments.context(now, schema)
        paths = sorted({p.dotted: p for _, r in rules for p in event_refs(r.actions)}.items())
        branches = []
        for row, rule in rules:
            query = event_select(ctx, rule, [p for _, p in paths], batch_id=0)
            query = conditioned(query, ctx, rule, "e")
            rule_id = exp.alias_(exp.Literal.number(row.id), "rule_id")
            branches.append(query.select(rule_id, copy=False))
        union = branches[0] if len(branches) == 1 else exp.union(*branches, distinct=False)
        ordered = exp.select("*").from_(union.subquery("f")).order_by("rule_id")
        plan = _Plan(key, schema, self.db.prepare(ordered), ctx)
        if len(self._plans) >= _PLANS:
            self._plans.clear()
        if not any(rule_deps.reads(r.condition).all for _, r in rules):
            self._plans[key] = plan
        return plan

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
        ctx = self.segments.context(now, schema)
        query = event_select(ctx, rule, event_refs(rule.actions), batch_id=batch_id, start=start)
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
        ctx = self.segments.context(now, schema)
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
        return self.db.df(conditioned(query, ctx, rule, alias), ctx.params)

    def _fire(
        self,
        row: repo.RuleRow,
        rule: Rule,
        frame: pd.DataFrame,
        depth: int,
        now: dt.datetime,
        *,
        shared: bool = False,
    ) -> builtins.list[_Run]:
        """Apply the actions for the firings whose property writes pass the catalog's check
        (engine/rules/checks.py) and whose emitted events the event schemas accept
        (engine/rules/emits.py); returns the runs to log: those applied (or failed) and those
        refused, per reason. In a `shared` transaction a database error must abort it; alone,
        it is logged."""
        rule_id, actions = row.id, describe(rule.actions)
        if frame.empty:
            return [_Run(rule_id, actions, frame, "applied")]
        if depth > MAX_DEPTH:  # rules moving each other's segments: bounded like emits
            return [_Run(rule_id, actions, frame, "loop_bound")]
        refs = {path.dotted: ref_name(path) for path in event_refs(rule.actions)}
        for column in refs.values():  # segment and schedule firings have no event to read
            if column not in frame:
                frame = frame.assign(**{column: None})
        checked = check_writes(self.db, self.catalog, rule.actions, frame, refs)
        checked = emits.check(self.db, self.catalog, rule.actions, checked, refs)
        refused = [
            _Run(rule_id, actions, group.drop(columns="reason"), REFUSED + str(reason))
            for reason, group in checked.refused.groupby("reason", sort=True)
        ]
        if checked.passed.empty:
            return refused
        firing = Firing(rule_id, row.name, checked.passed, refs, depth, now)
        try:
            with self.db.transaction():
                outcome = self._actions.apply(rule.actions, firing)
        except StoreError:
            if shared:
                raise
            self._actions.discard()  # its own transaction rolled back what it had staged
            outcome = _DATABASE_REFUSED
        except KithError as err:  # the batch is stored; the failure is logged, not raised
            if not shared:
                self._actions.discard()
            outcome = f"error: {err.message}"
        return [_Run(rule_id, actions, checked.passed, outcome), *refused]

    def _write_log(self, runs: builtins.list[_Run], now: dt.datetime, depth: int) -> None:
        """Apply what is still queued, then log every firing into `rule_runs` and count the
        rules' firings: one INSERT and one UPDATE, ids reserved with the queued changes'."""
        fired = [r for r in runs if not r.frame.empty]
        total = sum(len(r.frame) for r in fired)
        db = self.db
        with db.transaction():
            first = self._actions.flush(now, {"rule_runs": total})
            if not fired:
                return
            runs_frame = _log_rows(fired, first["rule_runs"])
            repo.log_runs(db, runs_frame, _log_meta(fired), now, depth)


@dataclass(frozen=True)
class _Plan:
    """The batch firing query of a set of rules, rendered, with its compilation context."""

    key: tuple[tuple[int, str], ...]
    schema: Schema
    sql: Prepared
    ctx: Context


@dataclass(frozen=True)
class _Run:
    """One rule's firings in a batch and what applying its actions came to."""

    rule_id: int
    actions: str
    frame: pd.DataFrame
    outcome: str


def _log_rows(runs: list[_Run], first_id: int) -> pa.Table:
    """id, rule_id, profile_id, event_id, outcome of every firing, built column-wise."""
    sizes = [len(r.frame) for r in runs]
    events = pd.concat([r.frame["event_id"] for r in runs], ignore_index=True).astype("Int64")
    outcomes = pa.DictionaryArray.from_arrays(
        np.repeat(np.arange(len(runs), dtype="int32"), sizes), [r.outcome for r in runs]
    )
    return pa.table(
        {
            "id": np.arange(first_id, first_id + sum(sizes), dtype="int64"),
            "rule_id": np.repeat(np.array([r.rule_id for r in runs], dtype="int64"), sizes),
            "profile_id": np.concatenate([r.frame["profile_id"].to_numpy("int64") for r in runs]),
            "event_id": pa.array(events, type=pa.int64()),
            "outcome": outcomes,
        }
    )


def _log_meta(runs: list[_Run]) -> pa.Table:
    """rule_id, actions, n firings: one row per rule (a rule's runs may differ by outcome)."""
    meta: dict[int, tuple[str, int]] = {}
    for run in runs:
        n = meta.get(run.rule_id, (run.actions, 0))[1]
        meta[run.rule_id] = (run.actions, n + len(run.frame))
    return pa.table(
        {
            "rule_id": list(meta),
            "actions": [actions for actions, _ in meta.values()],
            "n": [n for _, n in meta.values()],
        }
    )


def _upfront(active: list[tuple[repo.RuleRow, Rule]]) -> list[tuple[repo.RuleRow, Rule]]:
    """Event rules whose condition reads nothing the rules before them write."""
    free, written = [], rule_deps.NOTHING
    for row, rule in active:
        if _event_rule(rule) and not written.meets(rule_deps.reads(rule.condition)):
            free.append((row, rule))
        written = written | rule_deps.writes(rule.actions)
    return free


def _triggered(rule: Rule, present: set[str]) -> bool:
    """Whether the batch holds the rule's trigger event (segment rules always run)."""
    return not isinstance(rule.trigger, EventTrigger) or rule.trigger.match.event in present


def _event_rule(rule: Rule) -> bool:
    return isinstance(rule.trigger, EventTrigger)


_EMPTY = pd.DataFrame(columns=_FIRING_COLUMNS)


def _empty() -> pd.DataFrame:
    return _EMPTY  # never changed in place: readers assign() copies
