"""Activation's static SQL: destinations, segment syncs and what each told its destination,
broadcasts with their send log, and the delivery outbox (engine/activation/)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from store.db import Database

if TYPE_CHECKING:
    import pandas as pd

# ---- destinations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DestinationRow:
    """A destination as stored: `config` is its kind's settings (docs/activation.md), parsed;
    `secret` unmasked."""

    id: int
    name: str
    kind: str
    channel: str | None
    config: dict[str, Any]
    secret: str | None
    created_at: dt.datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class NewDestination:
    id: int
    name: str
    kind: str
    channel: str | None
    config: dict[str, Any]
    secret: str | None
    at: dt.datetime
    actor: str


def _destination(row: dict[str, Any]) -> DestinationRow:
    config = row["config"]
    parsed = json.loads(config) if isinstance(config, str) else config
    return DestinationRow(**{**row, "config": parsed})


_DESTINATION = (
    "SELECT id, name, kind, channel, config, secret, created_at, created_by FROM destinations "
)


def insert_destination(db: Database, row: NewDestination) -> None:
    db.execute(
        "INSERT INTO destinations VALUES ($id, $name, $kind, $channel, $config, $secret, $at, "
        "$actor)",
        {**asdict(row), "config": json.dumps(row.config)},
    )


def destination(db: Database, name: str) -> DestinationRow | None:
    rows = db.dicts(_DESTINATION + "WHERE name = $name", {"name": name})
    return _destination(rows[0]) if rows else None


def destination_by_id(db: Database, destination_id: int) -> DestinationRow | None:
    rows = db.dicts(_DESTINATION + "WHERE id = $id", {"id": destination_id})
    return _destination(rows[0]) if rows else None


def destinations(db: Database) -> list[DestinationRow]:
    return [_destination(row) for row in db.dicts(_DESTINATION + "ORDER BY name")]


def delete_destination(db: Database, destination_id: int) -> None:
    """The destination, its syncs with what they told it, and its outbox. Broadcast logs stay
    (they are the record of what was sent): its scheduled broadcasts are cancelled and what was
    still queued is marked failed."""
    params = {"id": destination_id}
    with db.transaction():
        db.execute(
            "UPDATE broadcasts SET status = 'cancelled' WHERE destination_id = $id "
            "AND status = 'scheduled'",
            params,
        )
        db.execute(
            "UPDATE broadcast_sends SET status = 'failed', reason = 'destination deleted' "
            "WHERE status = 'queued' AND broadcast_id IN "
            "(SELECT id FROM broadcasts WHERE destination_id = $id)",
            params,
        )
        db.execute(
            "DELETE FROM sync_state WHERE sync_id IN "
            "(SELECT id FROM destination_syncs WHERE destination_id = $id)",
            params,
        )
        db.execute("DELETE FROM destination_syncs WHERE destination_id = $id", params)
        db.execute("DELETE FROM activation_outbox WHERE destination_id = $id", params)
        db.execute("DELETE FROM destinations WHERE id = $id", params)


def health(db: Database) -> pd.DataFrame:
    """Per destination: its outbox by status, the last delivery and the last error."""
    return db.df(
        "SELECT d.name, d.kind, d.channel, "
        "count(o.id) FILTER (WHERE o.status = 'pending') AS pending, "
        "count(o.id) FILTER (WHERE o.status = 'delivered') AS delivered, "
        "count(o.id) FILTER (WHERE o.status = 'dead') AS dead, "
        "max(o.delivered_at) AS last_delivered_at, "
        "arg_max(o.last_error, o.id) FILTER (WHERE o.last_error IS NOT NULL) AS last_error "
        "FROM destinations d LEFT JOIN activation_outbox o ON o.destination_id = d.id "
        "GROUP BY d.name, d.kind, d.channel ORDER BY d.name"
    )


# ---- syncs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncRow:
    """A sync as listed: its destination and segment by name and id, and how many members it
    has told its destination so far."""

    id: int
    destination: str
    segment: str
    destination_id: int
    segment_id: int
    created_at: dt.datetime
    created_by: str | None
    last_run_at: dt.datetime | None
    synced_members: int


@dataclass(frozen=True, slots=True)
class SyncRun:
    """What the clock's pass needs of a sync."""

    id: int
    segment: str
    destination_id: int
    segment_id: int
    last_run_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class NewSync:
    id: int
    destination_id: int
    segment_id: int
    at: dt.datetime
    actor: str


_SYNC_FROM = (
    "FROM destination_syncs y JOIN destinations d ON d.id = y.destination_id "
    "JOIN segments s ON s.id = y.segment_id "
)
_SYNC = (
    "SELECT y.id, d.name AS destination, s.name AS segment, y.destination_id, y.segment_id, "
    "y.created_at, y.created_by, y.last_run_at, "
    "(SELECT count(*) FROM sync_state t WHERE t.sync_id = y.id AND t.member) AS synced_members "
    + _SYNC_FROM
)


def insert_sync(db: Database, row: NewSync) -> None:
    db.execute(
        "INSERT INTO destination_syncs VALUES ($id, $destination_id, $segment_id, $at, $actor, "
        "NULL)",
        asdict(row),
    )


def syncs(db: Database) -> list[SyncRow]:
    return [SyncRow(**row) for row in db.dicts(_SYNC + "ORDER BY d.name, s.name")]


def sync_runs(db: Database) -> list[SyncRun]:
    """What the clock's pass needs of every sync (no member counts: it runs every second)."""
    rows = db.dicts(
        "SELECT y.id, s.name AS segment, y.destination_id, y.segment_id, y.last_run_at "
        + _SYNC_FROM
        + "ORDER BY y.id"
    )
    return [SyncRun(**row) for row in rows]


def sync(db: Database, destination_id: int, segment_id: int) -> SyncRow | None:
    rows = db.dicts(
        _SYNC + "WHERE y.destination_id = $d AND y.segment_id = $s",
        {"d": destination_id, "s": segment_id},
    )
    return SyncRow(**rows[0]) if rows else None


def delete_sync(db: Database, sync_id: int) -> None:
    with db.transaction():
        db.execute("DELETE FROM sync_state WHERE sync_id = $id", {"id": sync_id})
        db.execute("DELETE FROM destination_syncs WHERE id = $id", {"id": sync_id})


def sync_started(db: Database, sync_id: int) -> bool:
    """Whether the sync has told its destination anything yet (else its next run is full)."""
    sql = "SELECT count(*) FROM sync_state WHERE sync_id = $id"
    return int(db.scalar(sql, {"id": sync_id})) > 0


# The people whose membership differs from what the sync told the destination: who entered
# (a member now, not told so) and who exited (told a member, no longer one), with the next
# version of their record. A person erased since is gone from both and from the delta.
_DELTA_QUERY = (
    "WITH live AS (SELECT m.profile_id FROM segment_members m WHERE m.segment_id = $segment "
    "AND ($channel IS NULL OR m.profile_id IN (SELECT profile_id FROM consents "
    "WHERE channel = $channel AND purpose = $purpose AND status = 'granted'))), "
    "told AS (SELECT profile_id, member, version FROM sync_state WHERE sync_id = $sync) "
    "SELECT coalesce(l.profile_id, t.profile_id) AS profile_id, "
    "l.profile_id IS NOT NULL AS entered, coalesce(t.version, 0) + 1 AS version "
    "FROM live l FULL JOIN told t ON l.profile_id = t.profile_id "
    "WHERE (l.profile_id IS NOT NULL AND NOT coalesce(t.member, FALSE)) "
    "OR (l.profile_id IS NULL AND t.member)"
)
_DELTA = "CREATE OR REPLACE TEMP TABLE _sync_delta AS " + _DELTA_QUERY
_DELTA_ROWS = (
    "SELECT d.profile_id, d.entered, d.version, p.name, p.email, p.phone, p.country, "
    "(SELECT min(i.value) FROM identities i WHERE i.profile_id = d.profile_id "
    "AND i.type = 'user_id') AS user_id "
    "FROM _sync_delta d LEFT JOIN profiles p ON p.id = d.profile_id ORDER BY d.profile_id"
)
_TOLD = (
    "INSERT INTO sync_state SELECT $sync, profile_id, entered, version FROM _sync_delta "
    "ON CONFLICT (sync_id, profile_id) DO UPDATE SET member = excluded.member, "
    "version = excluded.version"
)


def delta_size(
    db: Database, sync_id: int, segment_id: int, channel: str | None, purpose: str
) -> int:
    """How many people the sync's next run would send (a read: no write lock taken)."""
    params = {"sync": sync_id, "segment": segment_id, "channel": channel, "purpose": purpose}
    return int(db.scalar("SELECT count(*) FROM (" + _DELTA_QUERY + ")", params))


def open_delta(
    db: Database, sync_id: int, segment_id: int, channel: str | None, purpose: str
) -> pd.DataFrame:
    """Inside the caller's transaction: find the sync's delta (kept for `close_delta`) and
    return it with each person's fields: profile_id, entered, version, name, email, phone,
    country, user_id. With a `channel`, only members whose consent for it is granted now
    count as members."""
    params = {"sync": sync_id, "segment": segment_id, "channel": channel, "purpose": purpose}
    db.execute(_DELTA, params)
    return db.df(_DELTA_ROWS)


def close_delta(db: Database, sync_id: int, at: dt.datetime) -> None:
    """Inside the caller's transaction: record the delta as told and the sync's run."""
    db.execute(_TOLD, {"sync": sync_id})
    db.execute("DROP TABLE _sync_delta")
    mark_sync_run(db, sync_id, at)


def mark_sync_run(db: Database, sync_id: int, at: dt.datetime) -> None:
    db.execute(
        "UPDATE destination_syncs SET last_run_at = $at WHERE id = $id", {"at": at, "id": sync_id}
    )


# ---- the outbox ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """One queued delivery: a sync's batch (`sync_id`) or one person's broadcast message
    (`broadcast_id` and `profile_id`); `payload` is the body as sent."""

    id: int
    sync_id: int | None
    broadcast_id: int | None
    profile_id: int | None
    payload: str
    items: int
    attempts: int
    next_attempt_at: dt.datetime


def enqueue(db: Database, rows: pd.DataFrame) -> None:
    """Outbox rows (id, destination_id, sync_id, broadcast_id, profile_id, payload, items,
    next_attempt_at) as pending deliveries."""
    with db.views(_activation_new=rows):
        db.execute(
            "INSERT INTO activation_outbox SELECT id, destination_id, sync_id, broadcast_id, "
            "profile_id, payload, items, 'pending', 0, next_attempt_at, NULL, next_attempt_at, "
            "NULL FROM _activation_new"
        )


def pending_destinations(db: Database) -> list[int]:
    rows = db.rows(
        "SELECT DISTINCT destination_id FROM activation_outbox WHERE status = 'pending' "
        "ORDER BY destination_id"
    )
    return [int(r[0]) for r in rows]


def pending(db: Database, destination_id: int, limit: int) -> list[PendingDelivery]:
    """The destination's pending deliveries in the order they were queued."""
    rows = db.dicts(
        "SELECT id, sync_id, broadcast_id, profile_id, payload, items, attempts, "
        "next_attempt_at FROM activation_outbox WHERE destination_id = $id "
        "AND status = 'pending' ORDER BY id LIMIT $limit",
        {"id": destination_id, "limit": limit},
    )
    return [PendingDelivery(**row) for row in rows]


def delivered(db: Database, ids: list[int], at: dt.datetime) -> None:
    db.execute(
        "UPDATE activation_outbox SET status = 'delivered', delivered_at = $at, "
        "attempts = attempts + 1 WHERE id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": ids, "at": at},
    )


def failed(db: Database, outbox_id: int, error: str, next_at: dt.datetime, give_up: bool) -> None:
    db.execute(
        "UPDATE activation_outbox SET attempts = attempts + 1, last_error = $error, "
        "next_attempt_at = $next, status = CASE WHEN $dead THEN 'dead' ELSE status END "
        "WHERE id = $id",
        {"id": outbox_id, "error": error, "next": next_at, "dead": give_up},
    )


def withdrawn(db: Database, ids: list[int], reason: str, at: dt.datetime) -> None:
    """Broadcast messages not sent after all (consent withdrawn after they were queued)."""
    db.execute(
        "UPDATE activation_outbox SET status = 'skipped', last_error = $reason, "
        "delivered_at = $at WHERE id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": ids, "reason": reason, "at": at},
    )


def revive(db: Database, destination_id: int, at: dt.datetime) -> int:
    """Put the destination's dead deliveries back in the queue; returns how many."""
    rows = db.rows(
        "UPDATE activation_outbox SET status = 'pending', attempts = 0, next_attempt_at = $at "
        "WHERE destination_id = $id AND status = 'dead' RETURNING id",
        {"id": destination_id, "at": at},
    )
    return len(rows)


def deliveries(db: Database, destination_id: int, status: str | None, limit: int) -> pd.DataFrame:
    """The destination's delivery log, newest first."""
    return db.df(
        "SELECT o.id, o.status, o.items, o.attempts, o.created_at, o.next_attempt_at, "
        "o.delivered_at, o.last_error, s.name AS segment, o.broadcast_id, o.profile_id "
        "FROM activation_outbox o LEFT JOIN destination_syncs y ON y.id = o.sync_id "
        "LEFT JOIN segments s ON s.id = y.segment_id WHERE o.destination_id = $id "
        "AND ($status IS NULL OR o.status = $status) ORDER BY o.id DESC LIMIT $limit",
        {"id": destination_id, "status": status, "limit": limit},
    )


# ---- broadcasts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    """A broadcast with its destination's name; `status` is scheduled, sending, sent or
    cancelled."""

    id: int
    name: str
    destination: str
    destination_id: int
    audience: str
    message: str
    send_at: dt.datetime
    status: str
    created_at: dt.datetime
    created_by: str | None
    started_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class NewBroadcast:
    id: int
    name: str
    destination_id: int
    audience: str
    message: str
    send_at: dt.datetime
    at: dt.datetime
    actor: str


_BROADCAST = (
    "SELECT b.id, b.name, d.name AS destination, b.destination_id, b.audience, b.message, "
    "b.send_at, b.status, b.created_at, b.created_by, b.started_at FROM broadcasts b "
    "JOIN destinations d ON d.id = b.destination_id "
)


def insert_broadcast(db: Database, row: NewBroadcast) -> None:
    db.execute(
        "INSERT INTO broadcasts VALUES ($id, $name, $destination_id, $audience, $message, "
        "$send_at, 'scheduled', $at, $actor, NULL)",
        asdict(row),
    )


def broadcast(db: Database, broadcast_id: int) -> BroadcastRow | None:
    rows = db.dicts(_BROADCAST + "WHERE b.id = $id", {"id": broadcast_id})
    return BroadcastRow(**rows[0]) if rows else None


def broadcasts(db: Database) -> pd.DataFrame:
    """Every broadcast with its send log counted by status."""
    return db.df(
        "SELECT b.id, b.name, d.name AS destination, b.audience, b.send_at, b.status, "
        "b.created_by, count(s.profile_id) FILTER (WHERE s.status = 'queued') AS queued, "
        "count(s.profile_id) FILTER (WHERE s.status = 'sent') AS sent, "
        "count(s.profile_id) FILTER (WHERE s.status = 'failed') AS failed, "
        "count(s.profile_id) FILTER (WHERE s.status = 'skipped') AS skipped "
        "FROM broadcasts b JOIN destinations d ON d.id = b.destination_id "
        "LEFT JOIN broadcast_sends s ON s.broadcast_id = b.id "
        "GROUP BY ALL ORDER BY b.id DESC"
    )


def due_broadcasts(db: Database, now: dt.datetime) -> list[int]:
    rows = db.rows(
        "SELECT id FROM broadcasts WHERE status = 'scheduled' AND send_at <= $now ORDER BY id",
        {"now": now},
    )
    return [int(r[0]) for r in rows]


def broadcast_names(db: Database, ids: list[int]) -> dict[int, str]:
    rows = db.rows(
        "SELECT id, name FROM broadcasts WHERE id IN (SELECT unnest($ids::BIGINT[]))", {"ids": ids}
    )
    return {int(r[0]): str(r[1]) for r in rows}


def audience_ids(db: Database, segment: str) -> list[int]:
    """The saved segment's (or static list's) stored members, in id order."""
    rows = db.rows(
        "SELECT m.profile_id FROM segment_members m JOIN segments s ON s.id = m.segment_id "
        "WHERE s.name = $name ORDER BY m.profile_id",
        {"name": segment},
    )
    return [int(r[0]) for r in rows]


def cancel_broadcast(db: Database, broadcast_id: int) -> bool:
    rows = db.rows(
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = $id AND status = 'scheduled' "
        "RETURNING id",
        {"id": broadcast_id},
    )
    return bool(rows)


def start_broadcast(db: Database, broadcast_id: int, sends: pd.DataFrame, at: dt.datetime) -> None:
    """Record the audience split (profile_id, address, status, reason, outbox_id) as the send
    log and mark the broadcast sending."""
    with db.views(_broadcast_split=sends):
        db.execute(
            "INSERT INTO broadcast_sends SELECT $id, profile_id, address, status, reason, "
            "outbox_id, $at FROM _broadcast_split",
            {"id": broadcast_id, "at": at},
        )
    db.execute(
        "UPDATE broadcasts SET status = 'sending', started_at = $at WHERE id = $id",
        {"id": broadcast_id, "at": at},
    )


def sends_updated(
    db: Database, outbox_ids: list[int], status: str, reason: str | None, at: dt.datetime
) -> None:
    db.execute(
        "UPDATE broadcast_sends SET status = $status, reason = $reason, updated_at = $at "
        "WHERE outbox_id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": outbox_ids, "status": status, "reason": reason, "at": at},
    )


def finish_broadcasts(db: Database) -> None:
    """A sending broadcast with nothing queued any more is sent."""
    db.execute(
        "UPDATE broadcasts SET status = 'sent' WHERE status = 'sending' AND NOT EXISTS "
        "(SELECT 1 FROM broadcast_sends s WHERE s.broadcast_id = broadcasts.id "
        "AND s.status = 'queued')"
    )


def send_log(db: Database, broadcast_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT s.profile_id, p.name, s.address, s.status, s.reason, s.updated_at "
        "FROM broadcast_sends s LEFT JOIN profiles p ON p.id = s.profile_id "
        "WHERE s.broadcast_id = $id ORDER BY s.profile_id",
        {"id": broadcast_id},
    )


# ---- who may be sent to ----------------------------------------------------------------------

_AUDIENCE = (
    "WITH people AS (SELECT unnest($ids::BIGINT[]) AS profile_id), "
    "addresses AS (SELECT i.profile_id, i.value, "
    "row_number() OVER (PARTITION BY i.profile_id ORDER BY list_position($types, i.type), "
    "i.value) AS rank FROM identities i JOIN people USING (profile_id) "
    "WHERE list_contains($types, i.type)), "
    "consent AS (SELECT c.profile_id, arg_max(c.status, c.changed_at) AS status "
    "FROM consent_log c JOIN people USING (profile_id) WHERE c.channel = $channel "
    "AND c.purpose = $purpose AND c.changed_at <= $at GROUP BY c.profile_id) "
    "SELECT people.profile_id, p.name, p.email, p.phone, p.country, a.value AS address, "
    "coalesce(c.status, 'unknown') AS consent "
    "FROM people LEFT JOIN profiles p ON p.id = people.profile_id "
    "LEFT JOIN addresses a ON a.profile_id = people.profile_id AND a.rank = 1 "
    "LEFT JOIN consent c ON c.profile_id = people.profile_id ORDER BY people.profile_id"
)


def audience(
    db: Database,
    ids: list[int],
    channel: str,
    identity_types: list[str],
    purpose: str,
    at: dt.datetime,
) -> pd.DataFrame:
    """Per person: fields, their address on the channel (the first identity of
    `identity_types`, in that order) and their consent for the channel as of `at` (the latest
    logged change at or before it; 'unknown' when none)."""
    params = {
        "ids": ids,
        "types": identity_types,
        "channel": channel,
        "purpose": purpose,
        "at": at,
    }
    return db.df(_AUDIENCE, params)


def consent_as_of(
    db: Database, ids: list[int], channel: str, purpose: str, at: dt.datetime
) -> dict[int, str]:
    rows = db.rows(
        "SELECT profile_id, arg_max(status, changed_at) FROM consent_log "
        "WHERE profile_id IN (SELECT unnest($ids::BIGINT[])) AND channel = $channel "
        "AND purpose = $purpose AND changed_at <= $at GROUP BY profile_id",
        {"ids": ids, "channel": channel, "purpose": purpose, "at": at},
    )
    return {int(r[0]): str(r[1]) for r in rows}


@dataclass(frozen=True, slots=True)
class SentEvent:
    """A delivered broadcast message's `message_sent` event; `properties` is JSON text."""

    id: int
    message_id: str
    profile_id: int
    channel: str
    properties: str
    ts: dt.datetime
    batch: int


def insert_sent_event(db: Database, event: SentEvent) -> None:
    """One `message_sent` event on an existing profile. No check for a stored message id:
    the caller stores a message's event in the transaction that marks it sent, so it cannot
    be there already."""
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $id, $message_id, $profile_id, NULL, 'message_sent', $ts, $ts, $channel, "
        "'broadcast', $properties::JSON, NULL, TRUE, FALSE, $batch "
        "WHERE EXISTS (SELECT 1 FROM profiles WHERE id = $profile_id)",
        asdict(event),
    )
