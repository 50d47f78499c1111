"""Rules, their firing log, notifications and the webhook outbox: the static SQL.

Bulk writes take the DataFrame they read and register it as a view for their own statements;
the two statements the engine builds (an emit's INSERT, a property write's audit and UPDATE)
read the views named by FIRINGS and TARGETS, which the functions running them register."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlglot import exp

from store.db import Database, Sql


@dataclass(frozen=True, slots=True)
class NewRule:
    id: int
    name: str
    source: str
    priority: int
    enabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A stored rule: its text, order and state, and when it last fired or ran on schedule."""

    id: int
    name: str
    source: str
    priority: int
    enabled: bool
    created_at: dt.datetime
    last_fired_at: dt.datetime | None
    fire_count: int
    last_scheduled_at: dt.datetime | None


_SELECT_RULES = (
    "SELECT id, name, source, priority, enabled, created_at, last_fired_at, fire_count, "
    "last_scheduled_at FROM rules "
)


def insert(db: Database, rule: NewRule) -> None:
    db.execute(
        "INSERT INTO rules (id, name, source, priority, enabled, created_at) "
        "VALUES ($id, $name, $source, $priority, $enabled, $created_at)",
        asdict(rule),
    )


def get(db: Database, name: str) -> RuleRow | None:
    found = db.dicts(_SELECT_RULES + "WHERE name = $name", {"name": name})
    return RuleRow(**found[0]) if found else None


def all_rules(db: Database) -> pd.DataFrame:
    return db.df(_SELECT_RULES + "ORDER BY priority, id")


def rows(db: Database) -> list[RuleRow]:
    """Every rule in the order they apply: priority (low first), then age."""
    return [RuleRow(**row) for row in db.dicts(_SELECT_RULES + "ORDER BY priority, id")]


def enabled(db: Database) -> list[RuleRow]:
    """Enabled rules in the order they apply: priority (low first), then age."""
    found = db.dicts(_SELECT_RULES + "WHERE enabled ORDER BY priority, id")
    return [RuleRow(**row) for row in found]


def set_enabled(db: Database, name: str, flag: bool) -> None:
    db.execute("UPDATE rules SET enabled = $flag WHERE name = $name", {"flag": flag, "name": name})


def delete(db: Database, name: str) -> None:
    db.execute("DELETE FROM rules WHERE name = $name", {"name": name})


def batch_event_types(db: Database, batch_id: int) -> list[str]:
    """The event types one ingestion batch stored (rules whose trigger is absent skip it)."""
    rows = db.rows("SELECT DISTINCT type FROM events WHERE batch_id = $batch", {"batch": batch_id})
    return [str(r[0]) for r in rows]


def log_runs(
    db: Database, runs: pd.DataFrame, meta: pd.DataFrame, at: dt.datetime, depth: int
) -> None:
    """From `runs` (id, rule_id, profile_id, event_id, outcome): one log row per firing; each
    rule's actions, from `meta` (rule_id, actions, outcome, n), kept once in `rule_actions`;
    and the rules' fire counts and times."""
    with db.views(kith_rule_runs=runs, kith_rule_meta=meta):
        _insert_runs(db, at, depth)
        db.execute(
            "UPDATE rules SET fire_count = fire_count + m.n, last_fired_at = $at "
            "FROM kith_rule_meta m WHERE rules.id = m.rule_id",
            {"at": at},
        )


def set_scheduled(db: Database, rule_id: int, at: dt.datetime) -> None:
    db.execute("UPDATE rules SET last_scheduled_at = $at WHERE id = $id", {"at": at, "id": rule_id})


def _insert_runs(db: Database, at: dt.datetime, depth: int) -> None:
    db.execute(
        "INSERT INTO rule_actions SELECT rule_id, actions::JSON FROM kith_rule_meta "
        "ON CONFLICT (rule_id) DO NOTHING"
    )
    db.execute(
        "INSERT INTO rule_runs (id, rule_id, profile_id, event_id, fired_at, depth, outcome) "
        "SELECT id, rule_id, profile_id, event_id, $at, $depth, outcome FROM kith_rule_runs",
        {"at": at, "depth": depth},
    )


def insert_notifications(db: Database, notes: pd.DataFrame, first_id: int) -> None:
    """From `notes` (rule_id, profile_id, message, created_at)."""
    with db.views(kith_rule_notes=notes):
        db.execute(
            "INSERT INTO notifications (id, rule_id, profile_id, message, created_at) "
            "SELECT $first + row_number() OVER () - 1, rule_id, profile_id, message, created_at "
            "FROM kith_rule_notes",
            {"first": first_id},
        )


def enqueue_webhooks(db: Database, hooks: pd.DataFrame, first_id: int, rule: str) -> None:
    """From `hooks` (rule_id, profile_id, event_id, url, created_at); the payload says which
    rule fired for which profile and event."""
    with db.views(kith_rule_hooks=hooks):
        _enqueue(db, first_id, rule)


def _enqueue(db: Database, first_id: int, rule: str) -> None:
    db.execute(
        "INSERT INTO webhook_outbox (id, rule_id, profile_id, url, payload, status, attempts, "
        "next_attempt_at, created_at) SELECT $first + row_number() OVER () - 1, rule_id, "
        "profile_id, url, json_object('rule', $rule, 'profile_id', profile_id, 'event_id', "
        "event_id, 'fired_at', strftime(created_at, '%Y-%m-%dT%H:%M:%S')), 'pending', 0, "
        "created_at, created_at FROM kith_rule_hooks",
        {"first": first_id, "rule": rule},
    )


def apply_labels(db: Database, changes: pa.Table, at: dt.datetime, removes: bool) -> int:
    """From `changes` (profile_id, label, actor, remove): the changes that change something (a
    removed label was held; an added one was not, on an existing profile) are applied and
    staged for the audit trail, shaped like those ws.labels records; returns how many were
    staged. `removes`: whether any row removes (else the DELETE is skipped)."""
    with db.views(kith_rule_labels=changes):
        return _apply_labels(db, at, removes)


def _apply_labels(db: Database, at: dt.datetime, removes: bool) -> int:
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_rule_label_done AS SELECT t.profile_id, t.label, "
        "t.actor, t.remove FROM kith_rule_labels t WHERE CASE WHEN t.remove THEN EXISTS "
        "(SELECT 1 FROM labels l WHERE l.profile_id = t.profile_id AND l.label = t.label) "
        "ELSE EXISTS (SELECT 1 FROM profiles p WHERE p.id = t.profile_id) AND NOT EXISTS "
        "(SELECT 1 FROM labels l WHERE l.profile_id = t.profile_id AND l.label = t.label) END"
    )
    if removes:
        db.execute(
            "DELETE FROM labels USING kith_rule_label_done d WHERE d.remove "
            "AND labels.profile_id = d.profile_id AND labels.label = d.label"
        )
    db.execute(
        "INSERT INTO labels (profile_id, label, added_at, actor) "
        "SELECT profile_id, label, $at, actor FROM kith_rule_label_done WHERE NOT remove",
        {"at": at},
    )
    create_audit_stage(db)
    staged = db.scalar(
        "INSERT INTO kith_rule_audit (profile_id, actor, action, field) SELECT profile_id, "
        "actor, CASE WHEN remove THEN 'label_remove' ELSE 'label_add' END, label "
        "FROM kith_rule_label_done"
    )
    db.execute("DROP TABLE kith_rule_label_done")
    return int(staged)


# ---- the audit stage: a batch's audit entries, moved into audit_log at once ---------------------

AUDIT_STAGE = "kith_rule_audit"
TARGETS = "kith_rule_targets"  # the view of a property write's targets its statements read


def write_properties(
    db: Database, targets: Any, audit: Sql, update: Sql, params: tuple[Any, Any]
) -> int:
    """Stage the audit entries (`audit`), then run the UPDATE of profiles (`update`), both
    reading `targets` as the view TARGETS; `params`: each statement's. Returns how many audit
    entries were staged."""
    with db.views(**{TARGETS: targets}):
        create_audit_stage(db)
        staged = int(db.scalar(audit, params[0]))
        db.execute(update, params[1])
    return staged


def create_audit_stage(db: Database) -> None:
    """The temporary table rules stage their audit entries in (rolled back with its batch)."""
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS kith_rule_audit (profile_id BIGINT, actor VARCHAR, "
        "action VARCHAR DEFAULT 'update', field VARCHAR, before JSON, after JSON)"
    )


def insert_staged_audit(db: Database, first_id: int, at: dt.datetime) -> None:
    """Move the staged entries into `audit_log` (entity 'profile'), ids from `first_id`."""
    db.execute(
        "INSERT INTO audit_log (id, changed_at, actor, entity, entity_id, action, field, before, "
        "after) SELECT $first + row_number() OVER () - 1, $at, actor, 'profile', "
        "CAST(profile_id AS VARCHAR), action, field, before, after FROM kith_rule_audit",
        {"first": first_id, "at": at},
    )
    db.execute("DROP TABLE kith_rule_audit")


def runs(db: Database, name: str | None, limit: int) -> pd.DataFrame:
    return db.df(
        "SELECT r.name AS rule, u.profile_id, u.event_id, coalesce(u.actions, a.actions) AS "
        "actions, u.fired_at, u.depth, u.outcome FROM rule_runs u LEFT JOIN rules r ON "
        "r.id = u.rule_id LEFT JOIN rule_actions a ON a.rule_id = u.rule_id "
        "WHERE $name IS NULL OR r.name = $name ORDER BY u.fired_at DESC, u.id DESC LIMIT $limit",
        {"name": name, "limit": limit},
    )


def notifications(db: Database, limit: int, unread: bool = False) -> pd.DataFrame:
    """The newest notifications first (only the unread ones with `unread`)."""
    return db.df(
        "SELECT n.id, r.name AS rule, n.profile_id, n.message, n.created_at, n.read_at "
        "FROM notifications n LEFT JOIN rules r ON r.id = n.rule_id "
        "WHERE NOT $unread OR n.read_at IS NULL "
        "ORDER BY n.created_at DESC, n.id DESC LIMIT $limit",
        {"limit": limit, "unread": unread},
    )


def unread_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM notifications WHERE read_at IS NULL"))


def mark_read(db: Database, ids: list[int] | None, at: dt.datetime) -> int:
    """Mark these notifications (all with None) read; returns how many were unread."""
    rows = db.rows(
        "UPDATE notifications SET read_at = $at WHERE read_at IS NULL "
        "AND ($ids IS NULL OR list_contains($ids::BIGINT[], id)) RETURNING id",
        {"at": at, "ids": ids},
    )
    return len(rows)


def rule_outcomes(db: Database) -> pd.DataFrame:
    """rule_id, failures (firings logged as an error or a refused write), last_run_at."""
    return db.df(
        "SELECT rule_id, count(*) FILTER (WHERE outcome LIKE 'error%' OR outcome LIKE "
        "'refused%') AS failures, max(fired_at) AS last_run_at FROM rule_runs GROUP BY rule_id"
    )


# ---- events emitted by rules ---------------------------------------------------------------------

EMIT_STAGE = "kith_rule_emitted"
FIRINGS = "kith_rule_emit"  # the view of a firing's rows that an emit's INSERT reads


def stage_emitted(
    db: Database, firings: pd.DataFrame, insert: exp.Expr, params: dict[str, Any]
) -> None:
    """Run the engine's `insert` into EMIT_STAGE over one firing's rows (`firings`, as the
    view FIRINGS)."""
    with db.views(**{FIRINGS: firings}):
        db.execute(insert, params)


def emitted_payloads(
    db: Database, firings: pd.DataFrame, query: exp.Expr, params: dict[str, Any]
) -> pa.Table:
    """The engine's `query` over one firing's rows (`firings`, as the view FIRINGS): the
    events an emit would store, for the check made before it is applied."""
    with db.views(**{FIRINGS: firings}):
        rows = db.rows(query, params)
    return _payload_table(rows, ("_line", "type", "properties"))


def staged_emits(db: Database) -> pa.Table:
    """The staged emitted events, numbered from 1 (`_line`) in a stable order."""
    rows = db.rows(
        "SELECT row_number() OVER (ORDER BY message_id, profile_id) AS _line, type, "
        "CAST(properties AS VARCHAR) AS properties, message_id FROM kith_rule_emitted "
        "ORDER BY message_id, profile_id"
    )
    return _payload_table(rows, ("_line", "type", "properties", "message_id"))


def _payload_table(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> pa.Table:
    """Rows of (_line, then text columns) as an Arrow table."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    types = [pa.int64()] + [pa.string()] * (len(names) - 1)
    return pa.table(
        {
            name: pa.array(list(column), kind)
            for name, column, kind in zip(names, columns, types, strict=True)
        }
    )


def flag_emitted(db: Database, flags: pa.Table, batch_id: int, at: dt.datetime) -> None:
    """Flag the events of batch `batch_id` stored under `warn` though they break their schema
    (`flags`: message_id, type, problem)."""
    with db.views(kith_emit_flags=flags):
        db.execute(
            "INSERT INTO event_flags (event_id, type, problem, flagged_at) "
            "SELECT e.id, f.type, f.problem, $at FROM kith_emit_flags f "
            "JOIN events e ON e.message_id = f.message_id AND e.batch_id = $batch",
            {"batch": batch_id, "at": at},
        )


def create_emit_stage(db: Database) -> None:
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_rule_emitted (profile_id BIGINT, type VARCHAR, "
        "message_id VARCHAR, properties JSON)"
    )


def insert_emitted(db: Database, first_id: int, batch_id: int, at: dt.datetime) -> list[int]:
    """The staged events of existing profiles into `events` (each message id once, none
    already stored), as batch `batch_id`; returns their profile ids."""
    rows = db.rows(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $first + row_number() OVER () - 1, message_id, profile_id, NULL, type, $at, $at, "
        "NULL, 'rule', properties, NULL, TRUE, FALSE, $batch FROM kith_rule_emitted s "
        "WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = s.profile_id) "
        "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = s.message_id) "
        "QUALIFY row_number() OVER (PARTITION BY message_id ORDER BY profile_id) = 1 "
        "RETURNING profile_id",
        {"first": first_id, "batch": batch_id, "at": at},
    )
    db.execute("DROP TABLE kith_rule_emitted")
    return [int(r[0]) for r in rows]


def segment_changes(
    db: Database, segment: str, change: str, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """Who entered (or left) a saved segment in [start, end), from its history."""
    return db.df(
        "SELECT h.profile_id, h.changed_at AS ts FROM segment_history h "
        "JOIN segments s ON s.id = h.segment_id WHERE s.name = $segment AND h.change = $change "
        "AND h.changed_at >= $start AND h.changed_at < $end ORDER BY h.changed_at, h.profile_id",
        {"segment": segment, "change": change, "start": start, "end": end},
    )


# ---- the webhook outbox -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueWebhook:
    """A pending webhook call whose time has come; `payload` is its JSON text."""

    id: int
    url: str
    payload: str
    attempts: int


def due_webhooks(db: Database, now: dt.datetime, limit: int) -> list[DueWebhook]:
    found = db.dicts(
        "SELECT id, url, payload::VARCHAR AS payload, attempts FROM webhook_outbox "
        "WHERE status = 'pending' AND next_attempt_at <= $now "
        "ORDER BY next_attempt_at, id LIMIT $limit",
        {"now": now, "limit": limit},
    )
    return [DueWebhook(**row) for row in found]


def webhook_delivered(db: Database, hook_id: int, at: dt.datetime) -> None:
    db.execute(
        "UPDATE webhook_outbox SET status = 'delivered', attempts = attempts + 1, "
        "delivered_at = $at, last_error = NULL WHERE id = $id",
        {"at": at, "id": hook_id},
    )


def webhook_failed(
    db: Database, hook_id: int, error: str, next_at: dt.datetime, give_up: bool
) -> None:
    db.execute(
        "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $error, "
        "next_attempt_at = $next, status = CASE WHEN $give_up THEN 'failed' ELSE status END "
        "WHERE id = $id",
        {"error": error, "next": next_at, "give_up": give_up, "id": hook_id},
    )


def retry_webhook(db: Database, hook_id: int, at: dt.datetime) -> bool:
    """Put a failed (or pending) delivery back in the queue, due at `at`; False when there is
    none by that id or it was delivered."""
    rows = db.rows(
        "UPDATE webhook_outbox SET status = 'pending', next_attempt_at = $at "
        "WHERE id = $id AND status <> 'delivered' RETURNING id",
        {"at": at, "id": hook_id},
    )
    return bool(rows)


def webhook_counts(db: Database) -> dict[str, int]:
    rows = db.rows("SELECT status, count(*) FROM webhook_outbox GROUP BY status")
    return {str(status): int(n) for status, n in rows}


def webhooks(db: Database, status: str | None = None) -> pd.DataFrame:
    return db.df(
        "SELECT id, rule_id, profile_id, url, payload, status, attempts, next_attempt_at, "
        "last_error, created_at, delivered_at FROM webhook_outbox "
        "WHERE $status IS NULL OR status = $status ORDER BY id",
        {"status": status},
    )
