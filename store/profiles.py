"""Profiles and identities: the static SQL.

Whole profile rows travel as JSON (DuckDB's `to_json` of the row) and come back through
`json_transform` with the table's own column types, so custom typed columns added by the catalog
need no code here and a restored row is bit-for-bit the row that was saved."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from store.db import Database

_SHAPE_SQL = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_name = $table ORDER BY ordinal_position"
)


def table_shape(db: Database, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of one of our tables (a json_transform structure)."""
    return {name: kind for name, kind in db.rows(_SHAPE_SQL, {"table": table})}


def profile_columns(db: Database) -> list[str]:
    return list(table_shape(db, "profiles"))


def row_json(db: Database, profile_id: int) -> str | None:
    return db.scalar("SELECT to_json(p) FROM profiles p WHERE id = $id", {"id": profile_id})


def display_names(db: Database, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, what a person is called) of the given profiles that exist: the name, else the
    email, else the phone; profiles with none of them are left out."""
    return db.rows(
        "SELECT id, coalesce(nullif(trim(name), ''), nullif(email, ''), nullif(phone, '')) "
        "AS shown FROM profiles WHERE id IN (SELECT unnest($ids::BIGINT[])) AND shown IS NOT NULL",
        {"ids": [int(i) for i in ids]},
    )


def row(db: Database, profile_id: int) -> dict[str, Any] | None:
    rows = db.dicts("SELECT * FROM profiles WHERE id = $id", {"id": profile_id})
    return rows[0] if rows else None


def insert_row(db: Database, row_text: str) -> None:
    """Insert one profile row given as JSON (missing columns stay NULL)."""
    shape = json.dumps(table_shape(db, "profiles"))
    db.execute(
        "INSERT INTO profiles BY NAME SELECT unnest(json_transform($row, $shape))",
        {"row": row_text, "shape": shape},
    )


def replace_row(db: Database, profile_id: int, row_text: str) -> None:
    with db.transaction():
        delete(db, profile_id)
        insert_row(db, row_text)


def delete(db: Database, profile_id: int) -> None:
    db.execute("DELETE FROM profiles WHERE id = $id", {"id": profile_id})


def existing_ids(db: Database, ids: Sequence[int]) -> set[int]:
    rows = db.rows(
        "SELECT id FROM profiles WHERE id IN (SELECT unnest($ids))", {"ids": [int(i) for i in ids]}
    )
    return {int(r[0]) for r in rows}


# ---- identities ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdentityRow:
    """One identity a profile holds, as stored."""

    type: str
    value: str
    created_at: dt.datetime
    source: str | None


_IDENTITIES = (
    "SELECT type, value, created_at, source FROM identities WHERE profile_id = $id "
    "ORDER BY type, value"
)


def identities(db: Database, profile_id: int) -> pd.DataFrame:
    return db.df(_IDENTITIES, {"id": profile_id})


def identity_rows(db: Database, profile_id: int) -> list[IdentityRow]:
    """`identities` as rows, for building one profile."""
    return [IdentityRow(**row) for row in db.dicts(_IDENTITIES, {"id": profile_id})]


def owners(db: Database, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """(type, value, profile id) for each given identity that already belongs to a profile."""
    return db.rows(
        "SELECT i.type, i.value, i.profile_id FROM identities i "
        "JOIN (SELECT unnest($types) AS type, unnest($values) AS value) q "
        "ON i.type = q.type AND i.value = q.value ORDER BY i.type, i.value",
        {"types": [p[0] for p in pairs], "values": [p[1] for p in pairs]},
    )


def find(db: Database, identity_type: str, value: str) -> int | None:
    found = db.scalar(
        "SELECT min(profile_id) FROM identities WHERE type = $type AND value = $value",
        {"type": identity_type, "value": value},
    )
    return None if found is None else int(found)


def insert_identities(
    db: Database,
    profile_id: int,
    pairs: Sequence[tuple[str, str]],
    at: dt.datetime,
    source: str,
) -> None:
    db.execute(
        "INSERT INTO identities SELECT $id, unnest($types), unnest($values), $at, $source",
        {
            "id": profile_id,
            "types": [p[0] for p in pairs],
            "values": [p[1] for p in pairs],
            "at": at,
            "source": source,
        },
    )


def labels_of(db: Database, profile_id: int) -> list[str]:
    rows = db.rows(
        "SELECT label FROM labels WHERE profile_id = $id ORDER BY label", {"id": profile_id}
    )
    return [r[0] for r in rows]


# ---- activity -------------------------------------------------------------------------------


def timeline(
    db: Database,
    profile_id: int,
    types: Sequence[str] | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> pd.DataFrame:
    return db.df(
        "SELECT id, ts, type, channel, source, session_id, properties, context FROM events "
        "WHERE profile_id = $id AND ($types IS NULL OR list_contains($types, type)) "
        "AND ($start IS NULL OR ts >= $start) AND ($end IS NULL OR ts < $end) "
        "ORDER BY ts DESC, id DESC LIMIT $limit",
        {
            "id": profile_id,
            "types": None if types is None else list(types),
            "start": start,
            "end": end,
            "limit": limit,
        },
    )


def sessions(db: Database, profile_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT id, channel, started_at, ended_at, "
        "date_diff('second', started_at, ended_at) AS duration_seconds, event_count, source, "
        "device FROM sessions WHERE profile_id = $id ORDER BY started_at DESC, id DESC",
        {"id": profile_id},
    )


def session_events(db: Database, session_id: str) -> pd.DataFrame:
    return db.df(
        "SELECT id, ts, type, channel, source, properties FROM events "
        "WHERE session_id = $sid ORDER BY ts, id",
        {"sid": session_id},
    )


# ---- duplicates -----------------------------------------------------------------------------

# The profile's emails and phones (identities and fields, in their stored forms), the last 8
# digits of its phone-like ids, and its name; then every other profile sharing an email or a
# phone, or the name and a phone ending in the same 8 digits.
_DUPLICATES = (
    "WITH me AS (SELECT * FROM profiles WHERE id = $id), "
    "mine AS (SELECT type AS kind, value FROM identities WHERE profile_id = $id "
    "AND type IN ('email', 'phone') UNION SELECT 'email', email FROM me WHERE email <> '' "
    "UNION SELECT 'phone', phone FROM me WHERE phone <> ''), "
    "tails AS (SELECT DISTINCT right(regexp_replace(value, '[^0-9]', '', 'g'), 8) AS tail "
    "FROM (SELECT value FROM identities WHERE profile_id = $id AND type IN ('phone', "
    "'whatsapp', 'sms') UNION SELECT phone FROM me WHERE phone <> '') "
    "WHERE length(regexp_replace(value, '[^0-9]', '', 'g')) >= 8), "
    "found AS (SELECT i.profile_id AS id, 'same ' || i.type AS reason FROM identities i "
    "JOIN mine m ON m.kind = i.type AND m.value = i.value "
    "UNION SELECT p.id, 'same email' FROM profiles p JOIN mine m ON m.kind = 'email' "
    "AND p.email = m.value UNION SELECT p.id, 'same phone' FROM profiles p JOIN mine m "
    "ON m.kind = 'phone' AND p.phone = m.value "
    "UNION SELECT p.id, 'same name, similar phone' FROM profiles p, me "
    "WHERE lower(trim(p.name)) = lower(trim(me.name)) AND p.id IN (SELECT profile_id FROM "
    "identities WHERE type IN ('phone', 'whatsapp', 'sms') AND right(regexp_replace(value, "
    "'[^0-9]', '', 'g'), 8) IN (SELECT tail FROM tails) UNION SELECT id FROM profiles WHERE "
    "right(regexp_replace(phone, '[^0-9]', '', 'g'), 8) IN (SELECT tail FROM tails))) "
    "SELECT p.id, p.name, p.email, p.phone, list(f.reason ORDER BY f.reason) AS reasons "
    "FROM found f JOIN profiles p ON p.id = f.id WHERE f.id <> $id "
    "GROUP BY p.id, p.name, p.email, p.phone ORDER BY count(*) DESC, p.id LIMIT $limit"
)


def duplicates(db: Database, profile_id: int, limit: int) -> pd.DataFrame:
    """id, name, email, phone, reasons: other profiles that may be the same person."""
    return db.df(_DUPLICATES, {"id": profile_id, "limit": limit})
