"""Property values on write: normalising emails and phones, and checking each value against
its standard vocabulary or its custom property definition (type, enum, pattern, range)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

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
RESERVED = {"id", JSON_PROPERTY, "identities", "labels", "channels", "consent", "segment"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_DIGITS = re.compile(r"^[1-9][0-9]{7,14}$")
_PHONE_NOISE = re.compile(r"[\s\-().\/]")
_JSON_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
_STANDARD_CHOICES = {"lifecycle": LIFECYCLE_STAGES, "source": SOURCES, "platform": PLATFORMS}


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an email address")
    return email


def normalize_phone(value: str) -> str:
    """E.164, as identity resolution stores it: '+' and 8-15 digits; '00' is read as '+'."""
    phone = _PHONE_NOISE.sub("", str(value))
    phone = "+" + phone[2:] if phone.startswith("00") else phone
    if not _PHONE_DIGITS.match(phone.removeprefix("+")):
        raise ValueError(f"{value!r} is not a phone number with its country code (+6281234567)")
    return "+" + phone.removeprefix("+")


def checked_value(
    name: str, value: Any, custom: dict[str, PropertyDefinition], problems: list[dict[str, str]]
) -> Any:
    """The coerced value; a failed rule is appended to `problems` (all are reported at once)."""
    try:
        return _coerce(name, value, custom)
    except (ValueError, TypeError) as err:
        rule = err.args[1] if len(err.args) > 1 else "type"
        problems.append({"field": name, "rule": rule, "message": f"{name}: {err.args[0]}"})
        return None


def _coerce(name: str, value: Any, custom: dict[str, PropertyDefinition]) -> Any:
    if name in SYSTEM_PROPERTIES or name in RESERVED:
        raise ValueError("is maintained by Kith and cannot be set", "system")
    if name in custom:
        return _custom_value(custom[name], value)
    if name in STANDARD_PROPERTIES:
        return None if value is None else _standard_value(name, value)
    if not _JSON_KEY.match(name):
        raise ValueError("is not a valid property name (letters, digits, underscores)", "name")
    json.dumps(value, default=str)
    return value


def _standard_value(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be text, got {type(value).__name__}", "type")
    text = str(value).strip()
    if name == "email":
        return normalize_email(text)
    if name == "phone":
        return normalize_phone(text)
    allowed = _STANDARD_CHOICES.get(name)
    if allowed is not None and text not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}", "enum")
    return text


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
