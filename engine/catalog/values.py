"""Property values on write: emails and phones in their identity form (engine/catalog/normalize),
and each value checked against its standard vocabulary or its custom property definition (type,
enum, pattern, range)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.catalog.normalize import normalize, rule
from engine.catalog.vocab import (
    LIFECYCLE_STAGES,
    PLATFORMS,
    SOURCES,
    STANDARD_PROPERTIES,
    SYSTEM_PROPERTIES,
)
from engine.clock import to_utc

if TYPE_CHECKING:
    from engine.models import PropertyDefinition

JSON_PROPERTY = "properties"  # the language's name for unregistered custom data (type "json")
IDENTITY_FIELDS = ("email", "phone")  # profile fields that are also identities
RESERVED = {"id", JSON_PROPERTY, "identities", "labels", "channels", "consent", "segment"}

_JSON_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
_STANDARD_CHOICES = {"lifecycle": LIFECYCLE_STAGES, "source": SOURCES, "platform": PLATFORMS}
# standard properties with a fixed vocabulary: every write path checks them like custom ones
CHOICE_PROPERTIES = frozenset(_STANDARD_CHOICES)


# a workspace's own vocabularies (its lifecycle stages), overriding the built-in ones
Choices = Mapping[str, Sequence[str]]


def standard_choices(name: str, choices: Choices | None = None) -> Sequence[str] | None:
    """The allowed values of a standard property with a vocabulary (None: any text)."""
    return {**_STANDARD_CHOICES, **(choices or {})}.get(name)


def checked_value(
    name: str,
    value: Any,
    custom: dict[str, PropertyDefinition],
    problems: list[dict[str, str]],
    choices: Choices | None = None,
) -> Any:
    """The coerced value; a failed rule is appended to `problems` (all are reported at once).
    `choices`: the workspace's own vocabularies (Catalog.choices)."""
    try:
        return _coerce(name, value, custom, choices)
    except (ValueError, TypeError) as err:
        rule = err.args[1] if len(err.args) > 1 else "type"
        problems.append({"field": name, "rule": rule, "message": f"{name}: {err.args[0]}"})
        return None


def _coerce(
    name: str, value: Any, custom: dict[str, PropertyDefinition], choices: Choices | None
) -> Any:
    if name in SYSTEM_PROPERTIES or name in RESERVED:
        raise ValueError("is maintained by Kith and cannot be set", "system")
    if name in custom:
        return _custom_value(custom[name], value)
    if name in STANDARD_PROPERTIES:
        return None if value is None else _standard_value(name, value, choices)
    if not _JSON_KEY.match(name):
        raise ValueError("is not a valid property name (letters, digits, underscores)", "name")
    json.dumps(value, default=str)
    return value


def _standard_value(name: str, value: Any, choices: Choices | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be text, got {type(value).__name__}", "type")
    text = str(value).strip()
    if name in IDENTITY_FIELDS:
        return _identity_value(name, text)
    allowed = standard_choices(name, choices)
    if allowed is not None and text not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}", "enum")
    return text


def _identity_value(name: str, text: str) -> str:
    """An email or phone field holds its identity's stored form; a blank one is refused too."""
    stored = normalize(name, text)
    if stored is None:
        raise ValueError(f"{text!r} {rule(name).problem}")
    return stored


def _custom_value(d: PropertyDefinition, value: Any) -> Any:
    if value is None or value == "":
        if d.required:
            raise ValueError("is required and cannot be emptied", "required")
        return None
    coerced = typed(d.type, value)
    if d.enum_values is not None and coerced not in d.enum_values:
        raise ValueError(f"must be one of {d.enum_values}, got {value!r}", "enum")
    if d.pattern is not None and not re.fullmatch(d.pattern, coerced):
        raise ValueError(f"{value!r} does not match the pattern {d.pattern!r}", "pattern")
    if d.min_value is not None and coerced < d.min_value:
        raise ValueError(f"must be at least {d.min_value:g}, got {coerced:g}", "min")
    if d.max_value is not None and coerced > d.max_value:
        raise ValueError(f"must be at most {d.max_value:g}, got {coerced:g}", "max")
    return coerced


def typed(kind: str, value: Any) -> Any:
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number, got a boolean", "type")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, got {value!r}", "type") from None
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        try:
            return to_utc(value) if isinstance(value, str | dt.date) else _bad_date(value)
        except ValueError:
            raise ValueError(f"must be an ISO 8601 date, got {value!r}", "type") from None
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {type(value).__name__}", "type")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"must be true or false, got {value!r}", "type")


def _bad_date(value: Any) -> dt.datetime:
    raise ValueError(f"must be an ISO 8601 date, got {value!r}", "type")
