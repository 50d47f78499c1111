"""Pydantic models shared by every service, the HTTP API and the pages.

They mirror rows of store/migrations/001_init.sql. Timestamps are naive datetimes holding UTC
(engine/clock.py). JSON columns arrive parsed (dicts/lists).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kith_errors import ValidationError

PropertyType = Literal["string", "number", "boolean", "date"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Identity(_Row):
    """One identity key of a profile: (type, value), e.g. ("email", "ana@example.com")."""

    profile_id: int
    type: str
    value: str
    created_at: dt.datetime | None = None
    source: str | None = None


class Profile(_Row):
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    country: str | None = None
    city: str | None = None
    language: str | None = None
    lifecycle: str | None = None
    source: str | None = None
    platform: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    identities: list[Identity] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)


class Event(_Row):
    id: int
    message_id: str
    profile_id: int
    session_id: str | None = None
    type: str
    ts: dt.datetime
    received_at: dt.datetime
    channel: str | None = None
    source: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    registered: bool = True
    orphaned: bool = False
    batch_id: int | None = None


class Session(_Row):
    id: str
    profile_id: int
    channel: str | None = None
    started_at: dt.datetime
    ended_at: dt.datetime
    event_count: int
    source: str | None = None
    device: str | None = None

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


class Label(_Row):
    profile_id: int
    label: str
    added_at: dt.datetime
    actor: str


class PropertyDefinition(_Row):
    """A profile property: built-in (a standard column) or custom (registered by a user)."""

    name: str
    type: PropertyType
    description: str | None = None
    enum_values: list[Any] | None = None
    pattern: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    required: bool = False
    builtin: bool = False
    created_at: dt.datetime | None = None


class EventTypeDefinition(_Row):
    """An event type with its property schema (property name -> type)."""

    name: str
    display_name: str | None = None
    description: str | None = None
    properties: dict[str, PropertyType] = Field(default_factory=dict)
    builtin: bool = False
    enforcement: str = "warn"  # off | warn | block (engine/catalog/event_types.py)
    created_at: dt.datetime | None = None


class Rejection(BaseModel):
    """One input that was not ingested: its 1-based line (JSONL/CSV row or list index)."""

    line: int
    reason: str


class IngestReport(BaseModel):
    """What one ingestion call did."""

    batch_id: int | None = None  # the last batch of the call
    batch_ids: list[int] = Field(default_factory=list)
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    profiles_created: int = 0
    profiles_merged: int = 0
    sessions_started: int = 0
    # stored sessions a late event joined into another: the call added
    # sessions_started - sessions_joined sessions, whatever batches its events came in
    sessions_joined: int = 0
    profile_ids: list[int] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


# ---- paging ---------------------------------------------------------------------------------

MAX_OFFSET = 10**12  # far past any table's end, well inside DuckDB's BIGINT


def check_page(limit: int, offset: int, max_limit: int, *, min_limit: int = 1) -> None:
    """Page parameters in range, or a ValidationError naming the one that is not (a huge
    offset must be a clear refusal, not a database error)."""
    if not min_limit <= limit <= max_limit:
        raise ValidationError(f"limit must be between {min_limit} and {max_limit}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
