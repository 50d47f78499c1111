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
from enum import Enum, auto
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from dsl import reserved_words
from dsl.schema import Schema
from engine.admin import audit
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
            audit.record(self, actor, "property", name, "define", after=_stored(definition))
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

        return {r["name"]: PropertyDefinition(**r) for r in repo.properties(self.db)}

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

    def validate_properties(self, values: dict[str, Any], *, partial: bool = True) -> dict:
        """Coerced values, or a ValidationError naming each bad field and the rule it broke."""
        custom = self.custom()
        problems: list[dict[str, str]] = []
        clean = {k: checked_value(k, v, custom, problems) for k, v in values.items()}
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

    # ---- event types -------------------------------------------------------------------------

    def register_event_type(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        properties: dict[str, str] | None = None,
        actor: str = "admin",
    ) -> EventTypeDefinition:
        check_name(name, "event type")
        props = dict(properties or {})
        for prop, kind in props.items():
            check_name(prop, f"property of event type {name!r}:")
            check_not_keyword(prop, f"property of event type {name!r}:", in_where=True)
            if kind not in SQL_TYPES:
                raise ValidationError(
                    f"event property {prop!r} has type {kind!r}; use one of {', '.join(SQL_TYPES)}"
                )
        if name in STANDARD_EVENT_TYPES or repo.event_type_exists(self.db, name):
            raise Conflict(f"event type {name!r} already exists", details={"name": name})
        row: dict[str, Any] = {"name": name, "display_name": display_name}
        row |= {"description": description, "properties": props}
        with self.db.transaction():
            repo.insert_event_type(self.db, row, utcnow())
            audit.record(self, actor, "event_type", name, "register", after=row)
        self.invalidate()
        from engine.models import EventTypeDefinition

        return EventTypeDefinition(**row, created_at=utcnow())

    def event_types(self) -> pd.DataFrame:
        """Standard and registered event types (`registered` is False for standard ones)."""
        standard = [
            {"name": n, "display_name": None, "description": None, "properties": p}
            | {"builtin": True, "registered": False, "created_at": None}
            for n, p in STANDARD_EVENT_TYPES.items()
        ]
        custom = [r | {"builtin": False, "registered": True} for r in repo.event_types(self.db)]
        import pandas as pd

        return pd.DataFrame(standard + custom)

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
        props.update({r["name"]: r["type"] for r in repo.properties(db)})
        props[JSON_PROPERTY] = "json"
        events: dict[str, dict[str, Any]] = {n: dict(p) for n, p in STANDARD_EVENT_TYPES.items()}
        events.update({r["name"]: r["properties"] for r in repo.event_types(db)})
        rows = repo.segments(db)
        return Schema(
            properties=props,
            event_types=events,
            segments=segment_references(rows, repo.segment_names_by_id(db)),
            labels=frozenset(repo.labels(db)),
            channels=frozenset(CHANNELS) | frozenset(repo.identity_types(db)),
            consent_channels=frozenset(CHANNELS) | frozenset(repo.consent_channels(db)),
            lists=frozenset(r["name"] for r in rows if r["kind"] == "static"),
        )


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


def _stored(d: PropertyDefinition) -> dict[str, Any]:
    return {
        "name": d.name,
        "type": d.type,
        "description": d.description,
        "enum": None if d.enum_values is None else json.dumps(d.enum_values),
        "pattern": d.pattern,
        "min": d.min_value,
        "max": d.max_value,
        "required": d.required,
    }


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


def segment_references(
    rows: list[dict[str, Any]], names_by_id: dict[int, str]
) -> dict[str, frozenset[str]]:
    """Segment name -> names it references: parsed from its expression, or its compound parts."""
    import dsl

    refs: dict[str, frozenset[str]] = {}
    for row in rows:
        parts = [
            names_by_id.get(p, str(p)) if isinstance(p, int) else p for p in row["compound_of"]
        ]
        found = set(parts)
        if row["expression"] and row["kind"] == "dynamic":
            found |= set(dsl.segment_references(dsl.parse_segment(row["expression"])))
        refs[row["name"]] = frozenset(found)
    return refs
