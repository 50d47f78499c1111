"""The catalog: static SQL over `property_schema` and `event_types`, and the names the
segment language checks against (labels, channels, consent channels, segments)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from store.db import Database


def properties(db: Database) -> list[dict[str, Any]]:
    rows = db.dicts("SELECT * FROM property_schema ORDER BY name")
    for row in rows:
        row["enum_values"] = None if row["enum_values"] is None else json.loads(row["enum_values"])
    return rows


def insert_property(db: Database, row: dict[str, Any], at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO property_schema (name, type, description, enum_values, pattern, min_value, "
        "max_value, required, created_at) VALUES ($name, $type, $description, $enum, $pattern, "
        "$min, $max, $required, $at)",
        {**row, "at": at},
    )


def update_property(db: Database, row: dict[str, Any]) -> None:
    """Rewrite the editable fields of one definition (its name, type and created_at stay)."""
    db.execute(
        "UPDATE property_schema SET description = $description, enum_values = $enum, "
        "pattern = $pattern, min_value = $min, max_value = $max, required = $required "
        "WHERE name = $name",
        {k: v for k, v in row.items() if k != "type"},
    )


def event_types(db: Database) -> list[dict[str, Any]]:
    rows = db.dicts("SELECT * FROM event_types ORDER BY name")
    for row in rows:
        row["properties"] = json.loads(row["properties"] or "{}")
    return rows


def insert_event_type(db: Database, row: dict[str, Any], at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO event_types (name, display_name, description, properties, created_at) "
        "VALUES ($name, $display_name, $description, $properties, $at)",
        {**row, "properties": json.dumps(row["properties"]), "at": at},
    )


def event_type_exists(db: Database, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM event_types WHERE name = $n", {"n": name}))


def labels(db: Database) -> list[str]:
    return [r[0] for r in db.rows("SELECT DISTINCT label FROM labels ORDER BY label")]


def identity_types(db: Database) -> list[str]:
    return [r[0] for r in db.rows("SELECT DISTINCT type FROM identities ORDER BY type")]


def consent_channels(db: Database) -> list[str]:
    rows = db.rows(
        "SELECT channel FROM consents UNION SELECT channel FROM consent_log ORDER BY channel"
    )
    return [r[0] for r in rows]


def segments(db: Database) -> list[dict[str, Any]]:
    rows = db.dicts("SELECT name, kind, expression, compound_of FROM segments ORDER BY name")
    for row in rows:
        row["compound_of"] = json.loads(row["compound_of"]) if row["compound_of"] else []
    return rows


def segment_names_by_id(db: Database) -> dict[int, str]:
    return {int(i): n for i, n in db.rows("SELECT id, name FROM segments")}


# One row per input of the language's schema, answered from table counts (no scan of the 4M
# identities): any insert or delete moves a count, any segment save moves its updated_at.
_MARKER = (
    "SELECT 1 AS k, count(*) AS n FROM identities UNION ALL SELECT 2, count(*) FROM labels "
    "UNION ALL SELECT 3, count(*) FROM consents UNION ALL SELECT 4, count(*) FROM consent_log "
    "UNION ALL SELECT 5, count(*) FROM property_schema "
    "UNION ALL SELECT 6, count(*) FROM event_types UNION ALL SELECT 7, count(*) FROM segments "
    "UNION ALL SELECT 8, epoch_us(max(updated_at)) FROM segments ORDER BY k"
)


def change_marker(db: Database) -> tuple[Any, ...]:
    """Changes whenever a row is added to or removed from any table the schema reads."""
    return tuple(r[1] for r in db.rows(_MARKER))
