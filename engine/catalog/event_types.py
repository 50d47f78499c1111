"""Event schemas for the data steward: the property names and types an event type may be
given (a custom type's, or those added to a built-in one), the enforcement policy a type is
checked by on ingestion (`off`, `warn`: stored and flagged, `block`: refused with a reason;
`warn` unless a steward chose otherwise), the workspace's choice for events of an unregistered
type and for properties an enforced type's schema does not list (`accept`, `warn`, `block`),
and the discovered schema (types and properties the stored events hold that nobody registered,
with counts, first and last seen and an inferred type).

The checks here are pure: the catalog service (engine/catalog/service.py) stores what they
accept, and every door events come through (bulk and JSONL ingestion and the tracking API's
admission, engine/ingest/schemas.py; events rules emit, engine/rules/emits.py) asks
`Screening.verdict` about each event."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kith_errors import ValidationError
from store import catalog as repo
from store.catalog import SeenEventType, SeenProperty
from store.db import Database

if TYPE_CHECKING:
    import pandas as pd

# The type words a steward may use for an event property -> the language's type.
TYPE_NAMES: Mapping[str, str] = {
    "string": "string",
    "text": "string",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
}
POLICIES = ("off", "warn", "block")
DEFAULT_POLICY = "warn"  # a registered type nobody chose a policy for
# what happens to an event of an unregistered type, or to a property its schema does not list
UNDECLARED_POLICIES = ("accept", "warn", "block")
UNDECLARED = ("unregistered_types", "extra_properties")
# read from every event's own columns in a `where`, never from its properties
EVENT_COLUMNS = frozenset({"channel", "source"})
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_NUMBER_JSON = frozenset({"BIGINT", "UBIGINT", "DOUBLE"})
_NESTED_JSON = frozenset({"OBJECT", "ARRAY"})
_WORDS = {
    "string": "text",
    "number": "a number",
    "boolean": "true or false",
    "date": "an ISO 8601 date",
}
DISCOVERED_COLUMNS = (
    "event_type",
    "property",
    "events",
    "first_seen",
    "last_seen",
    "inferred",
    "note",
)


@dataclass(frozen=True)
class Enforced:
    """An event type checked on ingestion: its policy and its properties' types."""

    policy: str  # warn | block
    properties: Mapping[str, str]


@dataclass(frozen=True)
class Screening:
    """What ingestion checks every event against: the enforced types, every registered type's
    name, and the workspace's choices for unregistered types and extra properties."""

    enforced: Mapping[str, Enforced]
    registered: frozenset[str]
    unregistered_types: str = "accept"
    extra_properties: str = "accept"

    def checked_types(self) -> list[str]:
        """The enforced types whose events can break something (a type with an empty schema
        breaks nothing while extra properties are accepted)."""
        extra = self.extra_properties != "accept"
        return [name for name, e in self.enforced.items() if e.properties or extra]

    def refusing(self) -> Screening | None:
        """Only what can refuse an event (where a verdict's warnings do not matter, as at the
        tracking API's admission); None when nothing can."""
        block = self.extra_properties == "block"
        enforced = {n: e for n, e in self.enforced.items() if block or e.policy == "block"}
        unregistered = "block" if self.unregistered_types == "block" else "accept"
        if not enforced and unregistered == "accept":
            return None
        return Screening(enforced, self.registered, unregistered, "block" if block else "accept")

    def verdict(self, event: str, properties: str | None) -> tuple[str | None, str | None]:
        """(why the event is refused, what to flag it with): None where nothing applies."""
        schema = self.enforced.get(event)
        if schema is None:
            if event in self.registered or self.unregistered_types == "accept":
                return None, None
            if self.unregistered_types == "block":
                return unregistered_refusal(event), None
            return None, "event type not registered"
        payload = _payload(properties)
        refused: list[str] = []
        warned: list[str] = []
        problems = _schema_problems(payload, schema.properties)
        if problems is not None:
            if schema.policy == "block":
                refused.append(refusal(event, problems))
            else:
                warned.append(problems)
        extra = self._extra(payload, schema.properties)
        if extra:
            if self.extra_properties == "block":
                refused.append(extra_refusal(event, extra))
            else:
                warned.append("not in the schema: " + ", ".join(extra))
        return ("; ".join(refused) or None), ("; ".join(warned) or None)

    def _extra(self, payload: dict[str, Any] | None, schema: Mapping[str, str]) -> list[str]:
        if self.extra_properties == "accept" or not payload:
            return []
        return sorted(name for name in payload if name not in schema)


# ---- names, types and policies -------------------------------------------------------------


def checked_properties(event: str, given: Mapping[str, Any]) -> dict[str, str]:
    """The properties with their names checked and their types in the language's words."""
    clean: dict[str, str] = {}
    for prop, kind in given.items():
        if not isinstance(prop, str) or not _PROPERTY_NAME.match(prop):
            raise ValidationError(
                f"property {prop!r} of event type {event!r}: a name is letters, digits and "
                "underscores, starting with a letter or _ (e.g. 'order_id')",
                details={"event_type": event, "property": prop},
            )
        if prop in EVENT_COLUMNS:
            raise ValidationError(
                f"{prop!r} is a column of every event, not a property; choose another name",
                details={"event_type": event, "property": prop},
            )
        clean[prop] = property_type(event, prop, kind)
    return clean


def property_type(event: str, prop: str, kind: Any) -> str:
    canonical = TYPE_NAMES.get(str(kind).strip().lower())
    if canonical is None:
        raise ValidationError(
            f"property {prop!r} of event type {event!r} has type {kind!r}; use one of "
            "string (or text), number, boolean, date",
            details={"event_type": event, "property": prop, "type": str(kind)},
        )
    return canonical


def added_properties(
    event: str, current: Mapping[str, str], given: Mapping[str, str]
) -> dict[str, str]:
    """The given properties the type does not have yet; one it has with another type is
    refused (a stored event's value would change meaning)."""
    for prop, kind in given.items():
        if prop in current and current[prop] != kind:
            raise ValidationError(
                f"{event}.{prop} is already a {current[prop]} property; its type cannot "
                f"become {kind}",
                details={"event_type": event, "property": prop, "type": current[prop]},
            )
    return {prop: kind for prop, kind in given.items() if prop not in current}


def checked_policy(policy: Any) -> str:
    if policy not in POLICIES:
        raise ValidationError(
            f"enforcement {policy!r} is not one of {', '.join(POLICIES)}",
            details={"enforcement": str(policy)},
        )
    return str(policy)


def checked_undeclared(which: Any, policy: Any) -> tuple[str, str]:
    """(which choice, its policy) checked: unregistered_types or extra_properties, and accept,
    warn or block."""
    if which not in UNDECLARED:
        raise ValidationError(
            f"{which!r} is not one of {', '.join(UNDECLARED)}", details={"choice": str(which)}
        )
    if policy not in UNDECLARED_POLICIES:
        raise ValidationError(
            f"{which}: {policy!r} is not one of {', '.join(UNDECLARED_POLICIES)}",
            details={"choice": which, "policy": str(policy)},
        )
    return str(which), str(policy)


# ---- enforcement on ingestion ----------------------------------------------------------------


def _payload(properties: str | None) -> dict[str, Any] | None:
    """The event's properties as an object; None when they are not one (staging refuses
    those itself)."""
    if not properties:
        return None
    try:
        payload = json.loads(properties)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _schema_problems(payload: dict[str, Any] | None, schema: Mapping[str, str]) -> str | None:
    """What in one event's properties breaks its type's schema, in words; None when nothing
    does. A value that is missing or null breaks nothing."""
    if not payload or not schema:
        return None
    found = [_value_problem(name, kind, payload.get(name)) for name, kind in schema.items()]
    return "; ".join(p for p in found if p is not None) or None


def refusal(event: str, problems: str) -> str:
    """The reason a `block` type gives for an event it refuses."""
    return f"{event} event does not follow its registered schema (enforcement block): {problems}"


def extra_refusal(event: str, names: list[str]) -> str:
    """The reason an event is refused for properties its type's schema does not list."""
    listed = ", ".join(repr(n) for n in names)
    return (
        f"{event} event has properties its registered schema does not list: {listed} (extra "
        f"properties: block); add them with `kith event-type extend {event} --property "
        f"{names[0]}:TYPE`"
    )


def unregistered_refusal(event: str) -> str:
    """The reason an event of an unregistered type is refused."""
    return (
        f"event type {event!r} is not registered (unregistered event types: block); register "
        f"it with `kith event-type register {event} --property NAME:TYPE`"
    )


def _value_problem(name: str, kind: str, value: Any) -> str | None:
    if value is None or _fits(kind, value):
        return None
    return f"{name} must be {_WORDS[kind]}, got {json.dumps(value)}"


def _fits(kind: str, value: Any) -> bool:
    """Whether the language reads the value as the type (a JSON value cast like a segment's
    `where` casts it)."""
    if kind == "number":
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.strip().lower() in ("true", "false")
        )
    if kind == "date":
        return isinstance(value, str) and _is_moment(value)
    return not isinstance(value, dict | list)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return math.isfinite(float(value))
        except ValueError:
            return False
    return False


def _is_moment(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# ---- the discovered schema -------------------------------------------------------------------


def inferred_type(json_types: list[str], dates: bool) -> str | None:
    """The language type of a key's values from their JSON types (None: objects or lists,
    which a property cannot hold)."""
    kinds = set(json_types) - {"NULL"}
    if kinds & _NESTED_JSON:
        return None
    if kinds and kinds <= _NUMBER_JSON:
        return "number"
    if kinds == {"BOOLEAN"}:
        return "boolean"
    if kinds == {"VARCHAR"} and dates:
        return "date"
    return "string"


def _note(prop: str, inferred: str | None) -> str:
    """Why a discovered property cannot be registered as it is ("" when it can)."""
    if inferred is None:
        return "holds objects or lists; register its fields' parent another way"
    if not _PROPERTY_NAME.match(prop):
        return "not a usable property name (letters, digits and underscores)"
    if prop in EVENT_COLUMNS:
        return "the event's own column is used in its place"
    return ""


def discovered(
    db: Database, known: Mapping[str, Mapping[str, str]], event_type: str | None = None
) -> pd.DataFrame:
    """Unregistered event types (one row each, `property` empty) and unregistered properties
    of every type, from the stored events; `known`: the registered types' properties."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for seen in repo.seen_event_types(db):
        if seen.type not in known and event_type in (None, seen.type):
            rows.append(_type_row(seen))
    for key in repo.seen_event_properties(db, event_type):
        if key.property in known.get(key.type, {}):
            continue
        inferred = inferred_type(key.json_types, key.dates)
        rows.append(_property_row(key, inferred))
    frame = pd.DataFrame(rows, columns=list(DISCOVERED_COLUMNS))
    order = frame.assign(_t=frame["property"].notna())
    order = order.sort_values(["event_type", "_t", "property"], kind="stable")
    found = order.drop(columns="_t").reset_index(drop=True)
    for name in ("property", "inferred"):  # None, not NaN, where a type row has none
        found[name] = found[name].astype(object).where(found[name].notna(), None)
    return found


def _type_row(seen: SeenEventType) -> dict[str, Any]:
    return {
        "event_type": seen.type,
        "property": None,
        "events": seen.events,
        "first_seen": seen.first_seen,
        "last_seen": seen.last_seen,
        "inferred": None,
        "note": "event type not registered",
    }


def _property_row(seen: SeenProperty, inferred: str | None) -> dict[str, Any]:
    return {
        "event_type": seen.type,
        "property": seen.property,
        "events": seen.events,
        "first_seen": seen.first_seen,
        "last_seen": seen.last_seen,
        "inferred": inferred,
        "note": _note(seen.property, inferred),
    }


def registrable(found: pd.DataFrame, event_type: str) -> dict[str, str]:
    """The discovered properties of `event_type` that can be registered, with their type."""
    mine = found[(found["event_type"] == event_type) & found["property"].notna()]
    usable = mine[mine["note"] == ""]
    return dict(zip(usable["property"], usable["inferred"], strict=True))


def unlisted_hint(
    db: Database, known: Mapping[str, Mapping[str, str]], event: str, prop: str | None
) -> str | None:
    """For an error naming an event type (or a property of one) the schema does not list:
    whether the data holds it, and the command that registers it; None if it does not."""
    if prop is None:
        if event in known or not repo.has_events(db, event):
            return None
        return (
            f"'{event}' is in the data but not registered; register it with "
            f"`kith event-type register {event} --from-data`"
        )
    if event not in known:
        return None
    seen = repo.seen_event_properties(db, event, prop)
    if not seen:
        return None
    kind = inferred_type(seen[0].json_types, seen[0].dates) or "string"
    return (
        f"'{prop}' is in the data of {event} events but not registered; register it with "
        f"`kith event-type extend {event} --property {prop}:{kind}`"
    )
