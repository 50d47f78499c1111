"""Privacy: the static SQL behind erasure and access requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from store.db import Database


def tables_with_profile_id(db: Database) -> list[str]:
    """Every table that ties rows to a profile through a `profile_id` column."""
    rows = db.rows(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'main' "
        "AND column_name = 'profile_id' ORDER BY table_name"
    )
    return [r[0] for r in rows]


def identity_values(db: Database, ids: Sequence[int]) -> list[str]:
    rows = db.rows(
        "SELECT DISTINCT value FROM identities WHERE profile_id IN (SELECT unnest($ids))",
        {"ids": list(ids)},
    )
    return [r[0] for r in rows]


def names(db: Database, ids: Sequence[int]) -> list[str]:
    rows = db.rows(
        "SELECT DISTINCT name FROM profiles WHERE id IN (SELECT unnest($ids)) AND name <> ''",
        {"ids": list(ids)},
    )
    return [r[0] for r in rows]


def own_values(db: Database, ids: Sequence[int]) -> list[str]:
    """The person's identity values and email/phone fields, except values another profile also
    holds as an identity (those are that person's data too, and redacting them would break
    their identity). Two steps: the person's few values first, so the check of everyone
    else's identities is an IN filter pushed into the scan rather than a join."""
    params: dict[str, Any] = {"ids": list(ids)}
    rows = db.rows(
        "SELECT value FROM identities WHERE profile_id IN (SELECT unnest($ids)) "
        "UNION SELECT email FROM profiles WHERE id IN (SELECT unnest($ids)) "
        "UNION SELECT phone FROM profiles WHERE id IN (SELECT unnest($ids))",
        params,
    )
    params["values"] = sorted({r[0] for r in rows if r[0] is not None})
    if not params["values"]:
        return []
    shared = db.rows(
        "SELECT DISTINCT value FROM identities WHERE value IN (SELECT unnest($values)) "
        "AND profile_id NOT IN (SELECT unnest($ids))",
        params,
    )
    return sorted(set(params["values"]) - {r[0] for r in shared})


# Bookkeeping tables hold no personal data, and rewriting them would break the workspace.
_NOT_REDACTED = ("api_keys", "counters", "schema_version")


def text_columns(db: Database) -> dict[str, dict[str, str]]:
    """Table -> {column: type} of every VARCHAR, VARCHAR[] and JSON column (may quote a person)."""
    rows = db.rows(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_schema = c.table_schema WHERE c.table_schema = 'main' "
        "AND t.table_type = 'BASE TABLE' AND c.data_type IN ('VARCHAR', 'JSON', 'VARCHAR[]') "
        "AND NOT list_contains($skip, c.table_name) ORDER BY c.table_name, c.ordinal_position",
        {"skip": list(_NOT_REDACTED)},
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        found.setdefault(table, {})[column] = kind
    return found


def scrub_identity_log(db: Database, values: Sequence[str]) -> None:
    """Resolution decisions about other profiles may quote this person's identity values."""
    db.execute(
        "DELETE FROM identity_log WHERE EXISTS (SELECT 1 FROM (SELECT unnest($values) AS v) q "
        "WHERE contains(CAST(detail AS VARCHAR), q.v))",
        {"values": list(values)},
    )


def delete_merges(db: Database, ids: Sequence[int]) -> None:
    """Merge records keep snapshots of both profiles: drop every merge involving them."""
    params = {"ids": list(ids)}
    db.execute(
        "DELETE FROM merge_moves WHERE merge_id IN (SELECT id FROM merges WHERE "
        "primary_id IN (SELECT unnest($ids)) OR secondary_id IN (SELECT unnest($ids)))",
        params,
    )
    db.execute(
        "DELETE FROM merges WHERE primary_id IN (SELECT unnest($ids)) "
        "OR secondary_id IN (SELECT unnest($ids))",
        params,
    )


def delete_profiles(db: Database, ids: Sequence[int]) -> int:
    rows = db.rows(
        "DELETE FROM profiles WHERE id IN (SELECT unnest($ids)) RETURNING id", {"ids": list(ids)}
    )
    return len(rows)


# ---- access requests: every row held about a person, by section ------------------------------
# JSON columns (properties, context, before, after) come back as their JSON text.


@dataclass(frozen=True, slots=True)
class HeldIdentity:
    type: str
    value: str
    created_at: dt.datetime
    source: str | None


@dataclass(frozen=True, slots=True)
class HeldEvent:
    id: int
    message_id: str
    session_id: str | None
    type: str
    ts: dt.datetime
    received_at: dt.datetime
    channel: str | None
    source: str | None
    properties: str | None
    context: str | None


@dataclass(frozen=True, slots=True)
class HeldSession:
    id: str
    channel: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    event_count: int
    source: str | None
    device: str | None


@dataclass(frozen=True, slots=True)
class HeldConsent:
    channel: str
    purpose: str
    status: str
    updated_at: dt.datetime
    source: str | None


@dataclass(frozen=True, slots=True)
class HeldConsentChange:
    channel: str
    purpose: str
    status: str
    changed_at: dt.datetime
    source: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class HeldLabel:
    label: str
    added_at: dt.datetime
    actor: str


@dataclass(frozen=True, slots=True)
class HeldMembership:
    name: str
    entered_at: dt.datetime


@dataclass(frozen=True, slots=True)
class HeldSegmentMove:
    name: str
    change: str
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class HeldListMembership:
    name: str
    added_at: dt.datetime
    actor: str | None


@dataclass(frozen=True, slots=True)
class HeldChange:
    changed_at: dt.datetime
    actor: str
    action: str
    field: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class HeldMerge:
    id: int
    primary_id: int
    secondary_id: int
    merged_at: dt.datetime
    actor: str | None
    undone_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class HeldNotification:
    message: str
    created_at: dt.datetime


_Row = TypeVar("_Row")


@dataclass(frozen=True, slots=True)
class Held:
    """Everything held about one profile besides its own row, section by section (the order
    of an access request's export)."""

    identities: list[HeldIdentity]
    events: list[HeldEvent]
    sessions: list[HeldSession]
    consents: list[HeldConsent]
    consent_history: list[HeldConsentChange]
    labels: list[HeldLabel]
    segments: list[HeldMembership]
    segment_history: list[HeldSegmentMove]
    lists: list[HeldListMembership]
    changes: list[HeldChange]
    merges: list[HeldMerge]
    notifications: list[HeldNotification]


_EXPORTS: dict[str, str] = {
    "identities": "SELECT type, value, created_at, source FROM identities "
    "WHERE profile_id = $id ORDER BY type, value",
    "events": "SELECT id, message_id, session_id, type, ts, received_at, channel, source, "
    "properties, context FROM events WHERE profile_id = $id ORDER BY ts, id",
    "sessions": "SELECT id, channel, started_at, ended_at, event_count, source, device "
    "FROM sessions WHERE profile_id = $id ORDER BY started_at, id",
    "consents": "SELECT channel, purpose, status, updated_at, source FROM consents "
    "WHERE profile_id = $id ORDER BY channel, purpose",
    "consent_history": "SELECT channel, purpose, status, changed_at, source, actor "
    "FROM consent_log WHERE profile_id = $id ORDER BY changed_at, id",
    "labels": "SELECT label, added_at, actor FROM labels WHERE profile_id = $id ORDER BY label",
    "segments": "SELECT s.name, m.entered_at FROM segment_members m JOIN segments s "
    "ON s.id = m.segment_id WHERE m.profile_id = $id ORDER BY s.name",
    "segment_history": "SELECT s.name, h.change, h.changed_at FROM segment_history h "
    "JOIN segments s ON s.id = h.segment_id WHERE h.profile_id = $id "
    "ORDER BY h.changed_at, s.name, h.change",
    "lists": "SELECT s.name, m.added_at, m.actor FROM list_members m JOIN segments s "
    "ON s.id = m.segment_id WHERE m.profile_id = $id ORDER BY s.name",
    "changes": "SELECT changed_at, actor, action, field, before, after FROM audit_log "
    "WHERE entity = 'profile' AND entity_id = CAST($id AS VARCHAR) ORDER BY changed_at, id",
    "merges": "SELECT id, primary_id, secondary_id, merged_at, actor, undone_at FROM merges "
    "WHERE primary_id = $id OR secondary_id = $id ORDER BY merged_at, id",
    "notifications": "SELECT message, created_at FROM notifications WHERE profile_id = $id "
    "ORDER BY created_at, id",
}


def export(db: Database, profile_id: int) -> Held:
    """Every row held about one profile, by section."""

    def rows(name: str, row: type[_Row]) -> list[_Row]:
        return [row(**found) for found in db.dicts(_EXPORTS[name], {"id": profile_id})]

    return Held(
        identities=rows("identities", HeldIdentity),
        events=rows("events", HeldEvent),
        sessions=rows("sessions", HeldSession),
        consents=rows("consents", HeldConsent),
        consent_history=rows("consent_history", HeldConsentChange),
        labels=rows("labels", HeldLabel),
        segments=rows("segments", HeldMembership),
        segment_history=rows("segment_history", HeldSegmentMove),
        lists=rows("lists", HeldListMembership),
        changes=rows("changes", HeldChange),
        merges=rows("merges", HeldMerge),
        notifications=rows("notifications", HeldNotification),
    )
