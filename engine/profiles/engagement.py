"""The engagement summary on a profile's header, from the person's events up to a moment:

- last contact: the latest event of any kind;
- messages in / out: `message_received` / `message_sent` events;
- purchases and lifetime value: `purchase` events and the sum of their `amount`;
- average CSAT: the mean `score` of `csat_submitted` events (none: no score given);
- open tickets: `support_ticket_opened` less `support_ticket_closed` events (never below 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from pydantic import BaseModel

from store import engagement as repo
from store.db import Database


class Engagement(BaseModel):
    profile_id: int
    last_contact: dt.datetime | None
    messages_in: int
    messages_out: int
    purchases: int
    lifetime_value: float
    average_csat: float | None
    csat_responses: int
    open_tickets: int


def summary(db: Database, profile_id: int, at: dt.datetime) -> Engagement:
    return Engagement(profile_id=profile_id, **asdict(repo.summary(db, profile_id, at)))
