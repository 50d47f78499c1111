"""Event queries for the Events screen, the API and the CLI: filtered pages, one event in
full, counts per type."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import pandas as pd

from engine.catalog.vocab import STANDARD_EVENT_TYPES
from engine.clock import to_utc
from engine.models import check_page
from kith_errors import NotFound, ValidationError
from store import events as repo
from store.db import Database
from store.events import EventFilters

MAX_LIMIT = 10_000
When = dt.datetime | dt.date | str | None


class Events:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(
        self,
        types: Iterable[str] | str | None = None,
        start: When = None,
        end: When = None,
        profile_id: int | None = None,
        channel: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[pd.DataFrame, int]:
        """One page of events, newest first, and how many match in all. `start` inclusive,
        `end` exclusive (UTC)."""
        check_page(limit, offset, MAX_LIMIT)
        filters = _filters(types, start, end, profile_id, channel)
        rows = repo.page(self.db, filters, limit, offset)
        return rows, repo.total(self.db, filters)

    def get(self, event_id: int) -> dict[str, Any]:
        """One event with its properties and context parsed."""
        row = repo.by_id(self.db, int(event_id))
        if row is None:
            raise NotFound(f"event {event_id} does not exist", details={"id": event_id})
        return {
            **asdict(row),
            "properties": _parsed(row.properties),
            "context": _parsed(row.context),
        }

    def type_counts(
        self,
        start: When = None,
        end: When = None,
        profile_id: int | None = None,
        channel: str | None = None,
    ) -> pd.DataFrame:
        """(type, count) of the matching events, most frequent first."""
        return repo.type_counts(self.db, _filters(None, start, end, profile_id, channel))

    def types_seen(self) -> pd.DataFrame:
        """(type, count, registered) of every type stored; `registered` is False for types
        neither standard nor registered in the catalog."""
        return repo.types_seen(self.db, list(STANDARD_EVENT_TYPES))


def _filters(
    types: Iterable[str] | str | None,
    start: When,
    end: When,
    profile_id: int | None,
    channel: str | None,
) -> EventFilters:
    kinds = [types] if isinstance(types, str) else (list(types) if types is not None else None)
    return EventFilters(
        types=kinds or None,
        start=_time(start, "start"),
        end=_time(end, "end"),
        profile_id=profile_id,
        channel=channel,
    )


def _parsed(text: str | None) -> Any:
    """An event's JSON value ({} when it has none)."""
    return json.loads(text) if text else {}


def _time(value: When, name: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        return to_utc(value)
    except ValueError as err:
        raise ValidationError(
            f"{name} {value!r} is not a date or ISO 8601 time", details={name: str(value)}
        ) from err
