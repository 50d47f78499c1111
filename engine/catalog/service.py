"""The catalog: custom profile properties (typed columns with validation), event types, and the
schema the segment language checks names against.

Defining a property adds a real typed column to `profiles` (segments then scan a typed column,
not JSON) and moves values already stored under that key in the `properties` JSON into it.
Unregistered keys stay in the JSON column, reachable in the language as `properties.<key>`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from enum import Enum, auto
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from dsl import names, reserved_words
from dsl.schema import Schema
from engine.admin import audit
from engine.catalog import event_types
from engine.catalog.event_types import UNDECLARED
from engine.catalog.values import (
    JSON_PROPERTY,
    RESERVED,
    checked_value,
    typed,
)
from engine.catalog.vocab import (
    CHANNELS,
    STANDARD_EVENT_TYPES,
    STANDARD_PROPERTIES,
    SYSTEM_PROPERTIES,
)
from engine.clock import to_utc, utcnow
from kith_errors import Conflict, NotFound, StoreError, ValidationError
from store import catalog as repo
from store import settings as settings_repo
from store.catalog import EventTypeRow, NewProperty, SegmentRef
from store.db import Database

if TYPE_CHECKING:
    import pandas as pd

    # The definitions are pydantic models, imported where one is made: reading the language's
    # schema (every `kith segment` command) needs no pydantic.
    from engine.models import EventTypeDefinition, PropertyDefinition, PropertyType

SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "TIMESTAMP",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_UNDECLARED_KEY = "events."  # + unregistered_types / extra_properties, in the settings table


class Unset(Enum):
    """Marks an argument of `update_property` that was not given (None means "remove")."""

    UNSET = auto()


UNSET = Unset.UNSET
# update_property keyword -> PropertyDefinition field
_EDITABLE = {
    "description": "description",
    "enum": "enum_values",
    "pattern": "pattern",
    "min": "min_value",
    "max": "max_value",
    "required": "required",
}


def moment(value: dt.datetime | dt.date | str | None, what: str) -> dt.datetime | None:
    """A naive UTC datetime from user input, or a ValidationError naming the input."""
    if value is None:
        return None
    try:
        return to_utc(value)
    except (ValueError, TypeError, AttributeError):
        raise ValidationError(f"{what}: {value!r} is not an ISO 8601 date or timestamp") from None


def check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        example = "order_completed" if what == "event type" else "lifetime_value"
        raise ValidationError(
            f"{what} name {name!r} must be lowercase letters, digits and underscores, "
            f"starting with a letter (e.g. '{example}')",
            details={"name": name},
        )


def check_event_type_name(name: str) -> None:
    """An event type's name: as `check_name`, or a name in another script as ingestion stores
    one (folded: `Ürün Görüntülendi` is `ürün_görüntülendi`), so a type tracked under such a
    name can be registered and used in a segment."""
    if not isinstance(name, str) or name.isascii():
        check_name(name, "event type")
        return
    if names.is_stored_event_name(name):
        return
    folded = names.fold(name)
    usable = names.refused_character(name) is None and names.is_stored_event_name(folded)
    raise ValidationError(
        f"event type name {name!r} must be letters of any script, digits and underscores in "
        "lower case, starting with a letter, as ingestion stores a tracked name"
        + (f": use {folded!r}" if usable else ""),
        details={"name": name},
    )


def check_not_keyword(name: str, what: str, *, in_where: bool = False) -> None:
    """A property named like a keyword that may begin a condition could not be used in a
    segment (`did = 1` reads as the start of `did <event>`): refuse it, suggesting a usable
    name. The words come from the grammar (`dsl.reserved_words`); an event's properties are
    tested inside `where`, where fewer words begin a test."""
    if name.lower() in _reserved(in_where):
        raise ValidationError(
            f"{what} name {name!r} is a word of the segment language, so segments could not "
            f"use it; choose another name, e.g. '{name}_value'",
            details={"name": name, "reserved": True},
        )


@functools.cache
def _reserved(in_where: bool) -> frozenset[str]:
    return reserved_words(in_where=in_where)


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._generation = 0  # bumped by invalidate(), so a schema built meanwhile is not kept
        self._schema: tuple[int, tuple[Any, ...], Schema] | None = None
        self._screening: tuple[int, event_types.Screening] | None = None

    @property
    def generation(self) -> int:
        """Bumped by every change to what the catalog lists, so callers may cache reads."""
        return self._generation

    def invalidate(self) -> None:
        """Forget the cached language schema. Writers of what it lists call this after their
        change; row-count changes in those tables are also caught by `change_marker`."""
        self._generation += 1
        self._schema = None

    # ---- custom properties -------------------------------------------------------------------

    def define_property(
        self,
        name: str,
        type: PropertyType,
        *,
        description: str | None = None,
        enum: list[Any] | None = None,
        pattern: str | None = None,
        min: float | None = None,
        max: float | None = None,
        required: bool = False,
        actor: str = "admin",
    ) -> PropertyDefinition:
        """Register a custom property, add its typed column and move existing JSON values in."""
        check_name(name, "property")
        check_not_keyword(name, "property")
        definition = _definition(name, type, description, enum, pattern, min, max, required)
        db = self.db
        with db.transaction():
            if name in self.custom():
                raise Conflict(f"property {name!r} is already defined", details={"name": name})
            _check_existing_values(self.db, name, type)
            repo.insert_property(db, _stored(definition), utcnow())
            db.execute(_add_column(name, type))
            db.execute(_move_json_values(name, type), {"key": name, "path": f"$.{name}"})
            audit.record(self, actor, "property", name, "define", after=asdict(_stored(definition)))
        self.invalidate()
        return self.custom()[name]

    def update_property(
        self,
        name: str,
        *,
        type: PropertyType | Unset = UNSET,
        description: str | Unset | None = UNSET,
        enum: list[Any] | Unset | None = UNSET,
        pattern: str | Unset | None = UNSET,
        min: float | Unset | None = UNSET,
        max: float | Unset | None = UNSET,
        required: bool | Unset = UNSET,
        actor: str = "admin",
    ) -> PropertyDefinition:
        """Change the given fields of a custom property (None removes a rule). A tighter rule
        that stored values would break is refused and nothing changes."""
        given = {"description": description, "enum": enum, "pattern": pattern, "min": min}
        given |= {"max": max, "required": required}
        given = {k: v for k, v in given.items() if v is not UNSET}
        db = self.db
        with db.transaction():
            old = self._editable(name, type)
            new = _updated(old, given)
            changes = [(f, getattr(old, f), getattr(new, f)) for f in _EDITABLE.values()]
            changes = [c for c in changes if c[1] != c[2]]
            _check_stored_values(self.db, new, {c[0] for c in changes})
            repo.update_property(db, _stored(new))
            audit.record_changes(self, actor, "property", name, "update", changes)
        self.invalidate()
        return self.custom()[name]

    def _editable(self, name: str, kind: PropertyType | Unset) -> PropertyDefinition:
        if name in STANDARD_PROPERTIES or name in SYSTEM_PROPERTIES or name in RESERVED:
            raise ValidationError(
                f"{name!r} is a built-in property and cannot be edited", details={"name": name}
            )
        current = self.custom().get(name)
        if current is None:
            raise NotFound(f"no custom property named {name!r}", details={"name": name})
        if kind is not UNSET and kind != current.type:
            raise ValidationError(
                f"the type of {name!r} cannot change (it is {current.type}, not {kind}); "
                "define a new property instead",
                details={"name": name, "type": current.type},
            )
        return current

    def custom(self) -> dict[str, PropertyDefinition]:
        """Registered custom properties by name."""
        from engine.models import PropertyDefinition

        return {r.name: PropertyDefinition(**asdict(r)) for r in repo.properties(self.db)}

    def properties(self) -> pd.DataFrame:
        """Built-in and custom properties with their type, validation and a builtin flag."""
        import pandas as pd

        from engine.models import PropertyDefinition

        builtin = [
            PropertyDefinition.model_validate({"name": n, "type": t, "builtin": True})
            for n, t in {**STANDARD_PROPERTIES, **SYSTEM_PROPERTIES}.items()
        ]
        rows = [d.model_dump() for d in [*builtin, *self.custom().values()]]
        return pd.DataFrame(rows, columns=list(PropertyDefinition.model_fields))

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The standard vocabularies the workspace sets for itself: its lifecycle stages."""
        from engine.admin.settings import Settings

        return {"lifecycle": tuple(Settings(self.db).lifecycle_stages)}

    def validate_properties(self, values: dict[str, Any], *, partial: bool = True) -> dict:
        """Coerced values, or a ValidationError naming each bad field and the rule it broke."""
        custom, choices = self.custom(), self.choices()
        problems: list[dict[str, str]] = []
        clean = {k: checked_value(k, v, custom, problems, choices) for k, v in values.items()}
        if not partial:
            problems += [
                {"field": n, "rule": "required", "message": f"{n}: is required"}
                for n, d in custom.items()
                if d.required and clean.get(n) is None
            ]
        if problems:
            text = "; ".join(p["message"] for p in problems)
            raise ValidationError(f"invalid properties: {text}", details={"errors": problems})
        return clean

    # ---- event types (engine/catalog/event_types.py) ------------------------------------------

    def register_event_type(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        properties: dict[str, str] | None = None,
        actor: str = "admin",
    ) -> EventTypeDefinition:
        """Register a custom event type with its properties. Registering a built-in type adds
        the given properties to it (like `extend_event_type`)."""
        check_event_type_name(name)
        props = self._event_properties(name, properties or {})
        if name in STANDARD_EVENT_TYPES and props:
            return self.extend_event_type(name, props, actor=actor)
        if name in STANDARD_EVENT_TYPES:
            raise Conflict(
                f"{name!r} is a built-in event type; add properties to it with "
                f"`kith event-type extend {name} --property NAME:TYPE`",
                details={"name": name},
            )
        if repo.event_type_exists(self.db, name):
            raise Conflict(
                f"event type {name!r} already exists; add properties to it with "
                f"`kith event-type extend {name} --property NAME:TYPE`",
                details={"name": name},
            )
        row: dict[str, Any] = {"name": name, "display_name": display_name}
        row |= {"description": description, "properties": props}
        with self.db.transaction():
            repo.insert_event_type(self.db, repo.NewEventType(**row), utcnow())
            audit.record(self, actor, "event_type", name, "register", after=row)
        self.invalidate()
        return self._event_type(name)

    def extend_event_type(
        self, name: str, properties: dict[str, str], *, actor: str = "admin"
    ) -> EventTypeDefinition:
        """Add custom properties to an event type, built-in or registered; properties it has
        already (with the same type) are left as they are."""
        props = self._event_properties(name, properties)
        if not props:
            raise ValidationError(f"name at least one property to add to {name!r}")
        with self.db.transaction():
            row = self._stored_event_type(name)
            current = {**STANDARD_EVENT_TYPES.get(name, {}), **row.properties}
            added = event_types.added_properties(name, current, props)
            if added:
                repo.set_event_properties(self.db, name, {**row.properties, **added})
                audit.record(self, actor, "event_type", name, "extend", after=added)
        self.invalidate()
        return self._event_type(name)

    def _event_properties(self, name: str, given: dict[str, str]) -> dict[str, str]:
        """The properties' names and types checked; a name the language reserves is refused."""
        props = event_types.checked_properties(name, given)
        for prop in props:
            check_not_keyword(prop, f"property of event type {name!r}:", in_where=True)
        return props

    def set_enforcement(self, name: str, policy: str, *, actor: str = "admin") -> str:
        """How ingestion treats an event of the type that breaks its schema: `off` (stored as
        it is), `warn` (stored and flagged), `block` (refused with the reason)."""
        policy = event_types.checked_policy(policy)
        with self.db.transaction():
            row = self._stored_event_type(name)
            if row.enforcement != policy:
                repo.set_enforcement(self.db, name, policy)
                audit.record(
                    self,
                    actor,
                    "event_type",
                    name,
                    "enforce",
                    "enforcement",
                    row.enforcement,
                    policy,
                )
        self.invalidate()
        return policy

    def enforced(self) -> dict[str, event_types.Enforced]:
        """The event types checked on ingestion (policy warn, the default, or block) with
        their schemas."""
        return dict(self.screening().enforced)

    def screening(self) -> event_types.Screening:
        """What every ingested event is checked against: the enforced types (a registered
        type nobody set a policy for is under `warn`), every registered type's name, and the
        workspace's choices for unregistered types and extra properties. Cached until the
        catalog changes (ingestion and admission read it for every batch)."""
        cached = self._screening
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        generation = self._generation
        rows = {row.name: row for row in repo.event_types(self.db)}
        names = [*STANDARD_EVENT_TYPES, *(n for n in rows if n not in STANDARD_EVENT_TYPES)]
        enforced = {}
        for name in names:
            row = rows.get(name)
            policy = _policy(row)
            if policy != "off":
                props = {**STANDARD_EVENT_TYPES.get(name, {}), **_added(row)}
                enforced[name] = event_types.Enforced(policy, props)
        choices = self.undeclared()
        found = event_types.Screening(enforced, frozenset(names), **choices)
        self._screening = (generation, found)
        return found

    def undeclared(self) -> dict[str, str]:
        """The workspace's choices for events of an unregistered type (`unregistered_types`)
        and for properties an enforced type's schema does not list (`extra_properties`):
        accept (the default), warn (stored and flagged) or block (refused with the reason)."""
        stored = {
            which: settings_repo.get(self.db, _UNDECLARED_KEY + which) for which in UNDECLARED
        }
        return {which: policy or "accept" for which, policy in stored.items()}

    def set_undeclared(self, which: str, policy: str, *, actor: str = "admin") -> str:
        """Choose what happens to events of an unregistered type (`unregistered_types`) or to
        properties an enforced type's schema does not list (`extra_properties`)."""
        which, policy = event_types.checked_undeclared(which, policy)
        with self.db.transaction():
            before = self.undeclared()[which]
            if before != policy:
                settings_repo.put(self.db, _UNDECLARED_KEY + which, policy)
                audit.record(self, actor, "event_schema", which, "policy", which, before, policy)
        self.invalidate()
        return policy

    def event_types(self) -> pd.DataFrame:
        """Standard and registered event types: properties (a built-in's with those added to
        it), enforcement policy, and how many events were flagged under `warn`."""
        import pandas as pd

        stored = {r.name: r for r in repo.event_types(self.db)}
        flagged = repo.flag_counts(self.db)
        rows = [
            _type_row(n, props, stored.get(n), flagged) for n, props in STANDARD_EVENT_TYPES.items()
        ]
        rows += [
            _type_row(n, {}, row, flagged)
            for n, row in stored.items()
            if n not in STANDARD_EVENT_TYPES
        ]
        return pd.DataFrame(rows)

    def flagged_events(self, limit: int = 100) -> pd.DataFrame:
        """The newest events stored under `warn` that break their type's schema."""
        return repo.flagged_events(self.db, limit)

    def discovered(self, event_type: str | None = None) -> pd.DataFrame:
        """Event types in the data that are not registered, and unregistered properties of
        every type, with event counts, first/last seen and an inferred type (one scan of the
        events' properties; `event_type` narrows it to one type)."""
        return event_types.discovered(self.db, self.dsl_schema().event_types, event_type)

    def register_from_data(
        self, names: list[str] | None = None, *, actor: str = "admin"
    ) -> pd.DataFrame:
        """Register what the data holds: each named event type (default: every type with
        something discovered) is registered, or extended, with its discovered properties and
        their inferred types. One row per type: what was done, properties added, skipped."""
        import pandas as pd

        found = self.discovered(names[0] if names and len(names) == 1 else None)
        wanted = list(dict.fromkeys(names)) if names else sorted(set(found["event_type"]))
        done = [self._register_found(found, name, actor) for name in wanted]
        return pd.DataFrame(done, columns=["event_type", "action", "added", "skipped"])

    def _register_found(self, found: pd.DataFrame, name: str, actor: str) -> dict[str, Any]:
        mine = found[found["event_type"] == name]
        known = name in self.dsl_schema().event_types
        if mine.empty:
            what = "has nothing unregistered in the data" if known else "is not in the data"
            raise NotFound(f"event type {name!r} {what}", details={"name": name})
        props = event_types.registrable(found, name)
        skipped = mine[mine["property"].notna() & (mine["note"] != "")]["property"].tolist()
        if not known:
            self.register_event_type(
                name, description="registered from the data", properties=props, actor=actor
            )
        elif props:
            self.extend_event_type(name, props, actor=actor)
        action = "extended" if known else "registered"
        return {"event_type": name, "action": action, "added": props, "skipped": skipped}

    def _stored_event_type(self, name: str) -> EventTypeRow:
        """The type's row, made for a built-in type that has none yet; NotFound for others.
        Inside the caller's transaction."""
        rows = {r.name: r for r in repo.event_types(self.db)}
        if name in rows:
            return rows[name]
        if name not in STANDARD_EVENT_TYPES:
            raise NotFound(
                f"no event type named {name!r}; register it first with "
                f"`kith event-type register {name}`",
                details={"name": name},
            )
        made = repo.NewEventType(
            name, None, None, enforcement=event_types.DEFAULT_POLICY, builtin=True
        )
        at = utcnow()
        repo.insert_event_type(self.db, made, at)
        return EventTypeRow(**asdict(made), created_at=at)

    def _event_type(self, name: str) -> EventTypeDefinition:
        from engine.models import EventTypeDefinition

        row = {r.name: r for r in repo.event_types(self.db)}.get(name)
        props: dict[str, Any] = {**STANDARD_EVENT_TYPES.get(name, {}), **_added(row)}
        return EventTypeDefinition(
            name=name,
            properties=props,
            builtin=name in STANDARD_EVENT_TYPES,
            enforcement=_policy(row),
            display_name=None if row is None else row.display_name,
            description=None if row is None else row.description,
            created_at=None if row is None else row.created_at,
        )

    # ---- the language's schema ---------------------------------------------------------------

    def dsl_schema(self) -> Schema:
        """Every name a segment, rule or goal may use, with its type. Cached: rebuilt only after
        `invalidate()` or when the change marker (one query over table counts and the latest
        segment save) moves."""
        generation, marker = self._generation, repo.change_marker(self.db)
        cached = self._schema
        if cached is not None and cached[:2] == (generation, marker):
            return cached[2]
        schema = self._build_schema()
        if generation == self._generation:
            self._schema = (generation, marker, schema)
        return schema

    def _build_schema(self) -> Schema:
        db = self.db
        props: dict[str, Any] = {**STANDARD_PROPERTIES, **SYSTEM_PROPERTIES}
        props.update({r.name: r.type for r in repo.properties(db)})
        props[JSON_PROPERTY] = "json"
        events: dict[str, dict[str, Any]] = {n: dict(p) for n, p in STANDARD_EVENT_TYPES.items()}
        for row in repo.event_types(db):
            events[row.name] = {**events.get(row.name, {}), **row.properties}
        rows = repo.segments(db)
        return Schema(
            properties=props,
            event_types=events,
            segments=SegmentReferences(rows, repo.segment_names_by_id(db)),
            labels=frozenset(repo.labels(db)),
            channels=frozenset(CHANNELS) | frozenset(repo.identity_types(db)),
            consent_channels=frozenset(CHANNELS) | frozenset(repo.consent_channels(db)),
            lists=frozenset(r.name for r in rows if r.kind == "static"),
            unlisted=lambda event, prop: event_types.unlisted_hint(db, events, event, prop),
        )


def _type_row(
    name: str, builtin_props: dict[str, str], row: EventTypeRow | None, flagged: dict[str, int]
) -> dict[str, Any]:
    """One event type as the catalog lists it (`row`: its stored row, if any)."""
    return {
        "name": name,
        "display_name": None if row is None else row.display_name,
        "description": None if row is None else row.description,
        "properties": {**builtin_props, **_added(row)},
        "builtin": name in STANDARD_EVENT_TYPES,
        "registered": row is not None and name not in STANDARD_EVENT_TYPES,
        "enforcement": _policy(row),
        "flagged": flagged.get(name, 0),
        "created_at": None if row is None else row.created_at,
    }


def _policy(row: EventTypeRow | None) -> str:
    """The type's enforcement policy; the default for a type with no stored row."""
    return (None if row is None else row.enforcement) or event_types.DEFAULT_POLICY


def _added(row: EventTypeRow | None) -> dict[str, str]:
    """The properties stored for the type (for a built-in one: those added to it)."""
    return {} if row is None else row.properties


# ---- definition helpers ----------------------------------------------------------------------


def _definition(
    name: str,
    kind: str,
    description: str | None,
    enum: list[Any] | None,
    pattern: str | None,
    low: float | None,
    high: float | None,
    required: bool,
) -> PropertyDefinition:
    check_name(name, "property")
    if name in STANDARD_PROPERTIES or name in SYSTEM_PROPERTIES or name in RESERVED:
        raise Conflict(f"{name!r} is a built-in property; choose another name")
    if kind not in SQL_TYPES:
        raise ValidationError(f"property type {kind!r} is not one of {', '.join(SQL_TYPES)}")
    _check_rules(name, kind, enum, pattern, low, high)
    from engine.models import PropertyDefinition

    return PropertyDefinition.model_validate(
        {
            "name": name,
            "type": kind,
            "description": description,
            "enum_values": _enum_values(kind, enum),
            "pattern": pattern,
            "min_value": low,
            "max_value": high,
            "required": required,
        }
    )


def _enum_values(kind: str, enum: list[Any] | None) -> list[Any] | None:
    """Allowed values kept in the property's own type, so "10" typed in a form allows 10."""
    if enum is None:
        return None
    return [typed(kind, v) for v in enum] if kind in ("number", "boolean") else list(enum)


def _check_rules(
    name: str, kind: str, enum: Any, pattern: str | None, low: float | None, high: float | None
) -> None:
    if pattern is not None:
        if kind != "string":
            raise ValidationError(f"{name}: a pattern applies only to string properties")
        try:
            re.compile(pattern)
        except re.error as err:
            msg = f"{name}: pattern {pattern!r} is not a valid regex: {err}"
            raise ValidationError(msg) from None
    if (low is not None or high is not None) and kind != "number":
        raise ValidationError(f"{name}: min/max apply only to number properties")
    if low is not None and high is not None and low > high:
        raise ValidationError(f"{name}: min {low} is greater than max {high}")
    if enum is not None and (not isinstance(enum, list | tuple) or not enum):
        raise ValidationError(f"{name}: enum must be a non-empty list of allowed values")
    for value in enum or ():
        try:
            typed(kind, value)
        except ValueError:
            raise ValidationError(f"{name}: enum value {value!r} is not a {kind}") from None


def _stored(d: PropertyDefinition) -> NewProperty:
    return NewProperty(
        name=d.name,
        type=d.type,
        description=d.description,
        enum=None if d.enum_values is None else json.dumps(d.enum_values),
        pattern=d.pattern,
        min=d.min_value,
        max=d.max_value,
        required=d.required,
    )


def _updated(old: PropertyDefinition, given: dict[str, Any]) -> PropertyDefinition:
    """The definition with the given fields changed, checked like a new one."""
    merged = {arg: getattr(old, field) for arg, field in _EDITABLE.items()} | given
    if not isinstance(merged["required"], bool):
        raise ValidationError(f"{old.name}: required must be true or false")
    m = merged
    made = _definition(
        old.name,
        old.type,
        m["description"],
        m["enum"],
        m["pattern"],
        m["min"],
        m["max"],
        m["required"],
    )
    return made.model_copy(update={"created_at": old.created_at})


# ---- the typed column ------------------------------------------------------------------------


def _json_value(kind: str) -> exp.Expr:
    """properties ->> '$.<key>' cast to the column type (NULL where it does not convert)."""
    raw = exp.func("json_extract_string", exp.column("properties"), exp.Placeholder(this="path"))
    return exp.TryCast(this=raw, to=exp.DataType.build(SQL_TYPES[kind]))


def _add_column(name: str, kind: str) -> exp.Expr:
    column = exp.ColumnDef(
        this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(SQL_TYPES[kind])
    )
    return exp.Alter(this=exp.to_table("profiles"), kind="TABLE", actions=[column])


def _has_key() -> exp.Expr:
    raw = exp.func("json_extract_string", exp.column("properties"), exp.Placeholder(this="path"))
    return exp.Not(this=exp.Is(this=raw, expression=exp.Null()))


def _move_json_values(name: str, kind: str) -> exp.Expr:
    drop_key = exp.func(
        "json_merge_patch",
        exp.column("properties"),
        exp.func("json_object", exp.Placeholder(this="key"), exp.Null()),
    )
    return exp.update(
        "profiles",
        # sqlglot takes Identifier keys as they are (its annotation says str): no re-parsing.
        {exp.to_identifier(name, quoted=True): _json_value(kind), "properties": drop_key},  # type: ignore[dict-item]
        where=_has_key(),
    )


def _check_existing_values(db: Database, name: str, kind: str) -> None:
    """Refuse the definition (changing nothing) if stored values would not fit the type."""
    bad = (
        exp.select(exp.column("id"))
        .from_("profiles")
        .where(exp.and_(_has_key(), exp.Is(this=_json_value(kind), expression=exp.Null())))
        .order_by("id")
        .limit(5)
    )
    ids = [r[0] for r in db.rows(bad, {"path": f"$.{name}"})]
    if ids:
        raise ValidationError(
            f"cannot define {name!r} as {kind}: profiles {', '.join(map(str, ids))} hold a "
            f"value under that key that is not a {kind}; fix them first",
            details={"name": name, "profile_ids": ids},
        )


def _breaks(d: PropertyDefinition, changed: set[str]) -> tuple[list[exp.Expr], dict]:
    """Conditions true for a profile whose stored value breaks a changed rule."""
    col = exp.column(d.name, quoted=True)
    found: list[exp.Expr] = []
    params: dict[str, Any] = {}
    if "required" in changed and d.required:
        found.append(exp.Is(this=col, expression=exp.Null()))
    if "enum_values" in changed and d.enum_values is not None:
        names = [f"enum_{i}" for i in range(len(d.enum_values))]
        params |= {n: typed(d.type, v) for n, v in zip(names, d.enum_values, strict=True)}
        allowed = exp.In(this=col, expressions=[exp.Placeholder(this=n) for n in names])
        found.append(exp.Not(this=allowed))
    if "pattern" in changed and d.pattern is not None:
        params["pattern"] = d.pattern
        match = exp.func("regexp_full_match", col, exp.Placeholder(this="pattern"))
        found.append(exp.Not(this=match))
    for field, op in (("min_value", exp.LT), ("max_value", exp.GT)):
        if field in changed and getattr(d, field) is not None:
            params[field] = getattr(d, field)
            found.append(op(this=col, expression=exp.Placeholder(this=field)))
    return found, params


def _check_stored_values(db: Database, d: PropertyDefinition, changed: set[str]) -> None:
    """Refuse (changing nothing) a changed rule that values already stored would break."""
    found, params = _breaks(d, changed)
    if not found:
        return
    query = exp.select("count(*)", "min(id)").from_("profiles").where(exp.or_(*found))
    try:
        count, example = db.rows(query, params)[0]
    except StoreError as err:
        msg = f"{d.name}: the new rule cannot be checked against stored values: {err}"
        raise ValidationError(msg, details={"name": d.name}) from None
    if count:
        raise ValidationError(
            f"cannot change {d.name!r}: {count} profile(s) hold a value the new rule refuses "
            f"(e.g. profile {example}); fix them first",
            details={"name": d.name, "profiles": count, "example_profile_id": example},
        )


# ---- segment references for the schema -------------------------------------------------------


class SegmentReferences(Mapping[str, frozenset[str]]):
    """Segment name -> names it references: its compound parts, or what its expression names,
    parsed when first asked for. Checking an expression that uses no `in segment` then parses
    no saved segment at all (a `kith segment count` starts that much sooner)."""

    def __init__(self, rows: list[SegmentRef], names_by_id: dict[int, str]) -> None:
        self._rows = {row.name: row for row in rows}
        self._names_by_id = names_by_id
        self._found: dict[str, frozenset[str]] = {}

    def __getitem__(self, name: str) -> frozenset[str]:
        found = self._found.get(name)
        if found is None:
            found = self._found[name] = self._references(self._rows[name])
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def _references(self, row: SegmentRef) -> frozenset[str]:
        import dsl

        by_id = self._names_by_id
        found = {by_id.get(p, str(p)) if isinstance(p, int) else p for p in row.compound_of}
        if row.expression and row.kind == "dynamic":
            found |= set(dsl.segment_references(dsl.parse_segment(row.expression)))
        return frozenset(found)
