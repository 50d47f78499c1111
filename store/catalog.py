"""The catalog: static SQL over `property_schema` and `event_types`, and the names the
segment language checks against (labels, channels, consent channels, segments)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from store.db import Database

if TYPE_CHECKING:
    import pandas as pd  # only for the annotation: reading the schema imports no pandas


@dataclass(frozen=True, slots=True)
class PropertyRow:
    """A custom property's definition as stored (`enum_values` parsed)."""

    name: str
    type: str
    description: str | None
    enum_values: list[Any] | None
    pattern: str | None
    min_value: float | None
    max_value: float | None
    required: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewProperty:
    """A definition to store or rewrite; `enum` is the allowed values as JSON text (the audit
    log records this row as it is)."""

    name: str
    type: str
    description: str | None
    enum: str | None
    pattern: str | None
    min: float | None
    max: float | None
    required: bool


@dataclass(frozen=True, slots=True)
class EventTypeRow:
    """A row of `event_types`: a registered custom type, or a built-in one (`builtin`) that
    was extended with properties or given an enforcement policy."""

    name: str
    display_name: str | None
    description: str | None
    properties: dict[str, str]
    created_at: dt.datetime
    enforcement: str
    builtin: bool


@dataclass(frozen=True, slots=True)
class NewEventType:
    name: str
    display_name: str | None
    description: str | None
    properties: dict[str, str] = field(default_factory=dict)
    enforcement: str = "warn"  # a type's schema is enforced unless a steward says otherwise
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class SeenEventType:
    """An event type as the stored events have it: how many, first and last event time."""

    type: str
    events: int
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class SeenProperty:
    """A key of one event type's property objects: how many events carry it, first and last,
    the JSON types of its values, and whether every text value reads as a timestamp."""

    type: str
    property: str
    events: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    json_types: list[str]
    dates: bool


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """What the language's schema needs of a saved segment: `compound_of` holds the ids (or,
    in older files, names) of a compound's parts, empty for others."""

    name: str
    kind: str
    expression: str | None
    compound_of: list[int | str]


_PROPERTY = (
    "SELECT name, type, description, enum_values, pattern, min_value, max_value, required, "
    "created_at FROM property_schema "
)
_EVENT_TYPE = (
    "SELECT name, display_name, description, properties, created_at, enforcement, builtin "
    "FROM event_types "
)


def properties(db: Database) -> list[PropertyRow]:
    rows = db.dicts(_PROPERTY + "ORDER BY name")
    return [PropertyRow(**{**row, "enum_values": _loads(row["enum_values"], None)}) for row in rows]


def _loads(text: str | None, missing: Any) -> Any:
    return missing if text is None else json.loads(text)


def insert_property(db: Database, row: NewProperty, at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO property_schema (name, type, description, enum_values, pattern, min_value, "
        "max_value, required, created_at) VALUES ($name, $type, $description, $enum, $pattern, "
        "$min, $max, $required, $at)",
        {**asdict(row), "at": at},
    )


def update_property(db: Database, row: NewProperty) -> None:
    """Rewrite the editable fields of one definition (its name, type and created_at stay)."""
    db.execute(
        "UPDATE property_schema SET description = $description, enum_values = $enum, "
        "pattern = $pattern, min_value = $min, max_value = $max, required = $required "
        "WHERE name = $name",
        {k: v for k, v in asdict(row).items() if k != "type"},
    )


def event_types(db: Database) -> list[EventTypeRow]:
    """Every row of `event_types` (a type without properties has an empty object)."""
    rows = db.dicts(_EVENT_TYPE + "ORDER BY name")
    return [
        EventTypeRow(**{**row, "properties": json.loads(row["properties"] or "{}")}) for row in rows
    ]


def insert_event_type(db: Database, row: NewEventType, at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO event_types (name, display_name, description, properties, created_at, "
        "enforcement, builtin) VALUES ($name, $display_name, $description, $properties, $at, "
        "$enforcement, $builtin)",
        {**asdict(row), "properties": json.dumps(row.properties), "at": at},
    )


def event_type_exists(db: Database, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM event_types WHERE name = $n", {"n": name}))


def set_event_properties(db: Database, name: str, properties: dict[str, str]) -> None:
    db.execute(
        "UPDATE event_types SET properties = $p WHERE name = $n",
        {"n": name, "p": json.dumps(properties)},
    )


def set_enforcement(db: Database, name: str, policy: str) -> None:
    db.execute("UPDATE event_types SET enforcement = $p WHERE name = $n", {"n": name, "p": policy})


def flag_counts(db: Database) -> dict[str, int]:
    """Flagged events (stored under `warn` though they break their schema) per type."""
    rows = db.rows("SELECT type, count(*) FROM event_flags GROUP BY type")
    return {str(t): int(n) for t, n in rows}


def flagged_events(db: Database, limit: int) -> pd.DataFrame:
    """The newest flags: event id, type, profile, event time, the problem and when flagged."""
    return db.df(
        "SELECT f.event_id, f.type, e.profile_id, e.ts, f.problem, f.flagged_at "
        "FROM event_flags f LEFT JOIN events e ON e.id = f.event_id "
        "ORDER BY f.flagged_at DESC, f.event_id DESC LIMIT $limit",
        {"limit": limit},
    )


def seen_event_types(db: Database) -> list[SeenEventType]:
    """Every event type stored, with its count and first and last event time."""
    rows = db.dicts(
        "SELECT type, count(*) AS events, min(ts) AS first_seen, max(ts) AS last_seen "
        "FROM events GROUP BY type ORDER BY type"
    )
    return [SeenEventType(**row) for row in rows]


# Per (type, key) of the events' property objects: how many events carry the key, when first
# and last, the JSON types of its values, and whether every text value reads as a timestamp.
# $type and $key narrow it to one type or one key (NULL: all).
_SEEN_PROPERTIES = (
    "SELECT e.type, j.key AS property, count(*) AS events, min(e.ts) AS first_seen, "
    "max(e.ts) AS last_seen, list_sort(list(DISTINCT j.type)) AS json_types, "
    "coalesce(bool_and(try_cast(json_extract_string(j.value, '$') AS TIMESTAMP) IS NOT NULL) "
    "FILTER (WHERE j.type = 'VARCHAR'), FALSE) AS dates "
    "FROM events e, json_each(e.properties) j "
    "WHERE ($type IS NULL OR e.type = $type) AND json_type(e.properties) = 'OBJECT' "
    "AND ($key IS NULL OR j.key = $key) "
    "GROUP BY e.type, j.key ORDER BY e.type, j.key"
)


def seen_event_properties(
    db: Database, event_type: str | None = None, key: str | None = None
) -> list[SeenProperty]:
    rows = db.dicts(_SEEN_PROPERTIES, {"type": event_type, "key": key})
    return [SeenProperty(**row) for row in rows]


def has_events(db: Database, event_type: str) -> bool:
    """Whether any event of the type is stored (the type filter skips most row groups)."""
    return db.scalar("SELECT 1 FROM events WHERE type = $t LIMIT 1", {"t": event_type}) is not None


def labels(db: Database) -> list[str]:
    return [r[0] for r in db.rows("SELECT DISTINCT label FROM labels ORDER BY label")]


def identity_types(db: Database) -> list[str]:
    return [r[0] for r in db.rows("SELECT DISTINCT type FROM identities ORDER BY type")]


def consent_channels(db: Database) -> list[str]:
    rows = db.rows(
        "SELECT channel FROM consents UNION SELECT channel FROM consent_log ORDER BY channel"
    )
    return [r[0] for r in rows]


def segments(db: Database) -> list[SegmentRef]:
    rows = db.dicts("SELECT name, kind, expression, compound_of FROM segments ORDER BY name")
    return [
        SegmentRef(**{**row, "compound_of": _loads(row["compound_of"] or None, [])}) for row in rows
    ]


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
