"""A profile's engagement summary: the static SQL (one pass over the person's events)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.db import Database


@dataclass(frozen=True, slots=True)
class EngagementRow:
    """The summary's figures over the person's events up to a moment."""

    last_contact: dt.datetime | None
    messages_in: int
    messages_out: int
    purchases: int
    lifetime_value: float
    average_csat: float | None
    csat_responses: int
    open_tickets: int


_SUMMARY = (
    "SELECT max(ts) AS last_contact, "
    "count(*) FILTER (WHERE type = 'message_received') AS messages_in, "
    "count(*) FILTER (WHERE type = 'message_sent') AS messages_out, "
    "count(*) FILTER (WHERE type = 'purchase') AS purchases, "
    # exact decimal sums, turned to DOUBLE once: the same figure however the rows are added
    "coalesce(sum(TRY_CAST(json_extract_string(properties, '$.amount') AS DECIMAL(38, 9))) "
    "FILTER (WHERE type = 'purchase'), 0)::DOUBLE AS lifetime_value, "
    "avg(TRY_CAST(json_extract_string(properties, '$.score') AS DECIMAL(38, 9))) "
    "FILTER (WHERE type = 'csat_submitted')::DOUBLE AS average_csat, "
    "count(*) FILTER (WHERE type = 'csat_submitted' AND TRY_CAST(json_extract_string("
    "properties, '$.score') AS DECIMAL(38, 9)) IS NOT NULL) AS csat_responses, "
    "greatest(count(*) FILTER (WHERE type = 'support_ticket_opened') - "
    "count(*) FILTER (WHERE type = 'support_ticket_closed'), 0) AS open_tickets "
    "FROM events WHERE profile_id = $id AND ts <= $at"
)


def summary(db: Database, profile_id: int, at: dt.datetime) -> EngagementRow:
    return EngagementRow(**db.dicts(_SUMMARY, {"id": profile_id, "at": at})[0])
