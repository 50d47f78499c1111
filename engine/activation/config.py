"""What a destination is: its kind, the channel it reaches and its settings, each checked before
anything is stored; secrets masked whenever a destination is shown; the messaging body
template and how it is filled."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kith_errors import ValidationError

KINDS = ("webhook", "segment", "file", "messaging")
FORMATS = ("csv", "parquet")
MAX_BATCH = 1000
DEFAULT_BATCH = 100
DEFAULT_FILE_INTERVAL = 3600  # seconds: a file drop writes at most once an hour by default
MAX_INTERVAL = 7 * 24 * 3600
PURPOSE = "marketing"  # the consent purpose a send needs

# Where a person is reached on a channel: identity types in the order they are tried.
CHANNEL_IDENTITIES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("sms", "phone"),
    "whatsapp": ("whatsapp", "phone"),
}

# What a messaging body template may name: the person's fields, their address on the
# channel and the broadcast's message.
TEMPLATE_FIELDS = (
    "name",
    "email",
    "phone",
    "country",
    "address",
    "profile_id",
    "message",
    "message_id",
)
HEADER_FIELDS = ("secret", "message_id")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,79}$")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_KNOWN = {
    "url",
    "channel",
    "batch_size",
    "rate_per_second",
    "interval_seconds",
    "directory",
    "format",
    "headers",
    "body",
}


def identity_types(channel: str) -> tuple[str, ...]:
    return CHANNEL_IDENTITIES.get(channel, (channel,))


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise ValidationError(
            "a destination name is 1 to 80 letters, digits, spaces, '_', '.' or '-', "
            f"starting with a letter or digit; got {name!r}",
            details={"name": name},
        )
    return name.strip()


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(
            f"unknown destination kind {kind!r}; use one of: {', '.join(KINDS)}",
            details={"kind": kind, "allowed": list(KINDS)},
        )
    return kind


def check_url(url: Any, what: str = "url") -> str:
    """An http(s) URL with a host, or a ValidationError saying what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"the destination needs a {what} (http:// or https://)")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValidationError(
            f"the {what} {url!r} must start with http:// or https:// "
            f"(got {parts.scheme or 'no scheme'!r})",
            details={what: url},
        )
    if not parts.hostname:
        raise ValidationError(f"the {what} {url!r} names no host", details={what: url})
    return url.strip()


def check_config(kind: str, options: dict[str, Any], secret: str | None) -> dict[str, Any]:
    """The destination's stored settings, every value checked; unknown keys are refused."""
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ValidationError(
            f"unknown destination setting(s): {', '.join(unknown)}",
            details={"unknown": unknown, "allowed": sorted(_KNOWN)},
        )
    config: dict[str, Any] = {
        "batch_size": _whole(options.get("batch_size", DEFAULT_BATCH), "batch_size", MAX_BATCH),
        "interval_seconds": _whole(
            options.get("interval_seconds", DEFAULT_FILE_INTERVAL if kind == "file" else 0),
            "interval_seconds",
            MAX_INTERVAL,
            low=0,
        ),
    }
    if options.get("rate_per_second") is not None:
        config["rate_per_second"] = _whole(options["rate_per_second"], "rate_per_second", 100_000)
    if kind == "file":
        config.update(_file_config(options))
        return config
    config["url"] = check_url(options.get("url"))
    if kind == "segment" and not secret:
        raise ValidationError("a Segment-spec forward needs the endpoint's write key (secret)")
    if kind == "messaging":
        config["headers"] = check_headers(options.get("headers") or {})
        config["body"] = check_body(options.get("body"))
    return config


def check_channel(kind: str, channel: str | None) -> str | None:
    if channel in (None, ""):
        if kind == "messaging":
            raise ValidationError(
                "a messaging destination needs the channel it reaches (e.g. whatsapp, sms, email)"
            )
        return None
    if not isinstance(channel, str) or not _CHANNEL.match(channel):
        raise ValidationError(
            f"channel {channel!r} must be a lowercase name such as 'whatsapp'",
            details={"channel": channel},
        )
    return channel


def new_secret(kind: str, secret: str | None) -> str | None:
    """The secret to store: given, or for a webhook a fresh signing secret."""
    if secret is not None and (not isinstance(secret, str) or not secret.strip()):
        raise ValidationError("a destination secret cannot be blank")
    if secret:
        return secret.strip()
    return "whsec_" + secrets.token_urlsafe(24) if kind == "webhook" else None


def mask(secret: str | None) -> str | None:
    """A secret as it is shown back: its first four characters, never more."""
    if not secret:
        return None
    return secret[:4] + "…" if len(secret) > 8 else "…"


def check_headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        raise ValidationError("headers must be an object of header name to value")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER.match(name):
            raise ValidationError(f"header name {name!r} is not a valid HTTP header name")
        if not isinstance(value, str) or "\r" in value or "\n" in value:
            raise ValidationError(f"header {name!r} needs a one-line text value")
        _placeholders(value, HEADER_FIELDS, f"header {name!r}")
        checked[name] = value
    return checked


def check_body(body: Any) -> str:
    """A JSON body template: placeholders only from TEMPLATE_FIELDS, JSON once filled."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationError(
            'a messaging destination needs a body template, e.g. {"to": "{{address}}", '
            '"text": "{{message}}"}'
        )
    _placeholders(body, TEMPLATE_FIELDS, "the body template")
    sample = fill(body, {field: "x" for field in TEMPLATE_FIELDS})
    try:
        json.loads(sample)
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"the body template is not JSON once filled: {err.msg} at line {err.lineno}, "
            f'column {err.colno} (put placeholders inside strings: "{{{{message}}}}")',
            details={"line": err.lineno, "column": err.colno},
        ) from err
    return body


def fill(template: str, values: dict[str, Any]) -> str:
    """The template with each {{field}} replaced by its value escaped for a JSON string (a
    missing value is empty): text from people can never break out of its string."""

    def value(match: re.Match[str]) -> str:
        raw = values.get(match.group(1))
        return json.dumps("" if raw is None else str(raw))[1:-1]

    return _PLACEHOLDER.sub(value, template)


def _placeholders(text: str, allowed: tuple[str, ...], where: str) -> None:
    for found in _PLACEHOLDER.findall(text):
        if found not in allowed:
            raise ValidationError(
                f"{where} names {{{{{found}}}}}, which is not one of: "
                + ", ".join(f"{{{{{a}}}}}" for a in allowed),
                details={"placeholder": found},
            )


def _file_config(options: dict[str, Any]) -> dict[str, Any]:
    directory = options.get("directory")
    if not isinstance(directory, str) or not directory.strip():
        raise ValidationError("a file drop needs the directory to write its files to")
    path = Path(directory).expanduser()
    if not path.is_absolute():
        raise ValidationError(f"the directory {directory!r} must be an absolute path")
    if path.exists() and not path.is_dir():
        raise ValidationError(f"{directory!r} exists and is not a directory")
    fmt = options.get("format", "csv")
    if fmt not in FORMATS:
        raise ValidationError(f"file format {fmt!r} is not one of {', '.join(FORMATS)}")
    return {"directory": str(path), "format": fmt}


def _whole(value: Any, what: str, high: int, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{what} must be a whole number from {low} to {high}, got {value!r}",
            details={what: value},
        )
    return value
