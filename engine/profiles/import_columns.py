"""What the CSV profile import reads beyond its template (engine/profiles/transfer.py): the
column mapping from a file's own headers to Kith's columns (`Full Name` -> name), the channel
source codes other platforms export (`wa`, `ig`, `qiscus`, ...) and custom channels, and
consent columns (`consent_<channel>` with its status, `consent_<channel>_at` with when it was
given), which go through the consent trail like any consent change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from engine.catalog.vocab import CHANNELS, CONSENT_STATUSES, IDENTITY_TYPES
from kith_errors import ValidationError

IGNORE = "ignore"  # a mapping's target that leaves the file's column out
# Source codes of the messaging platforms' exports -> Kith channels (their own names too).
CHANNEL_CODES: Final[Mapping[str, str]] = {
    **{name: name for name in CHANNELS},
    "wa": "whatsapp",
    "fb": "facebook",
    "ig": "instagram",
    "qiscus": "widget",  # Qiscus's own web/app chat widget
    "custom": "custom",
}
CUSTOM_PREFIX = "custom:"  # `custom:<name>`: a channel of the workspace's own
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_CONSENT = re.compile(r"^consent_([a-z][a-z0-9_]*?)(_at)?$")
_NOT_CHANNELS = frozenset(IDENTITY_TYPES) - frozenset(CHANNELS)  # user_id, email, phone, ...


# ---- the mapping ----------------------------------------------------------------------------


def checked_mapping(mapping: Any) -> dict[str, str]:
    """A mapping (file header -> Kith column, or `ignore`) with its names cleaned and checked."""
    if not isinstance(mapping, Mapping) or not mapping:
        raise ValidationError("a column mapping names at least one 'File header=column' pair")
    clean: dict[str, str] = {}
    for header, target in mapping.items():
        if not isinstance(header, str) or not isinstance(target, str):
            raise ValidationError(f"mapping {header!r} -> {target!r}: both must be text")
        if not header.strip() or not target.strip():
            raise ValidationError(f"mapping {header!r} -> {target!r}: a name is empty")
        clean[header.strip()] = target.strip().lower()
    targets = [t for t in clean.values() if t != IGNORE]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ValidationError(f"the mapping sends two file columns to {', '.join(twice)}")
    return clean


def mapped(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """The file with its columns renamed by the mapping (headers matched ignoring case and
    surrounding spaces); a column mapped to `ignore` is left out."""
    by_header = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [h for h in mapping if h.casefold() not in by_header]
    if missing:
        raise ValidationError(
            f"the mapping names column(s) the file does not have: {', '.join(missing)}; the "
            f"file's columns are {', '.join(map(str, frame.columns))}",
            details={"missing": missing},
        )
    renames = {by_header[h.casefold()]: t for h, t in mapping.items()}
    dropped = [c for c, t in renames.items() if t == IGNORE]
    return frame.drop(columns=dropped).rename(
        columns={c: t for c, t in renames.items() if t != IGNORE}
    )


# ---- channels -------------------------------------------------------------------------------


def channel_types(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each `channel_name` as the identity type it is stored under (a Kith channel, a source
    code's channel, or the name of a custom channel), and where that fails."""
    lowered = names.str.strip().str.lower()
    known = lowered.map(CHANNEL_CODES)
    custom = lowered.str.removeprefix(CUSTOM_PREFIX).where(lowered.str.startswith(CUSTOM_PREFIX))
    custom = custom.map(CHANNEL_CODES).fillna(custom)
    usable = custom.str.match(_NAME.pattern, na=False) & ~custom.isin(_NOT_CHANNELS)
    resolved = known.fillna(custom.where(usable))
    return resolved, lowered.notna() & resolved.isna()


def channel_problem() -> str:
    codes = ", ".join(c for c in CHANNEL_CODES if c not in CHANNELS)
    return (
        f"must be one of {', '.join(CHANNELS)}, a source code ({codes}) or "
        f"{CUSTOM_PREFIX}<name> for a channel of your own"
    )


# ---- consent columns ------------------------------------------------------------------------


def consent_targets() -> list[str]:
    """The consent columns of every Kith channel, as mapping targets."""
    return [f"consent_{c}{at}" for c in CHANNELS for at in ("", "_at")]


def is_consent_column(column: str) -> bool:
    return _CONSENT.match(column) is not None


def consent_columns(columns: list[str]) -> dict[str, tuple[str, str | None]]:
    """Channel -> (its status column, its `_at` column or None); an `_at` column alone is an
    error (it says when, but not what)."""
    found: dict[str, tuple[str, str | None]] = {}
    for column in columns:
        match = _CONSENT.match(column)
        if match and not match.group(2):
            at = f"{column}_at"
            channel = CHANNEL_CODES.get(match.group(1), match.group(1))
            found[channel] = (column, at if at in columns else None)
    lonely = [c for c in columns if (m := _CONSENT.match(c)) and m.group(2)]
    lonely = [c for c in lonely if c.removesuffix("_at") not in columns]
    if lonely:
        raise ValidationError(
            f"column(s) {', '.join(lonely)} need their status column "
            f"({', '.join(c.removesuffix('_at') for c in lonely)})"
        )
    return found


def consent_frame(
    raw: pd.DataFrame, columns: dict[str, tuple[str, str | None]], now: Any
) -> tuple[pd.DataFrame, list[tuple[str, str, pd.Series]]]:
    """The file's consent cells as changes (row, channel, status, at), and the failed checks
    as (column, message, rows where it fails)."""
    parts: list[pd.DataFrame] = []
    failed: list[tuple[str, str, pd.Series]] = []
    for channel, (status_column, at_column) in columns.items():
        status = raw[status_column].str.lower()
        given = status.notna()
        failed.append(
            (
                status_column,
                f"must be one of {', '.join(CONSENT_STATUSES)}",
                given & ~status.isin(CONSENT_STATUSES),
            )
        )
        at = pd.Series(now, index=raw.index, dtype="datetime64[us]")
        if at_column is not None:
            stamps = pd.to_datetime(raw[at_column], errors="coerce", utc=True, format="ISO8601")
            failed.append(
                (at_column, "must be an ISO 8601 date", raw[at_column].notna() & stamps.isna())
            )
            at = stamps.dt.tz_localize(None).fillna(at)
        part = pd.DataFrame({"row": raw["row"], "channel": channel, "status": status, "at": at})
        parts.append(part[given])
    frame = pd.concat(parts, ignore_index=True) if parts else _no_consent()
    return frame, failed


def _no_consent() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "channel": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "at": pd.Series(dtype="datetime64[us]"),
        }
    )
