"""Webhook delivery from the durable outbox (`webhook_outbox`).

Rules only enqueue; `deliver` POSTs the rows that are due. A failure (connection error, timeout
or a non-2xx answer) counts an attempt and schedules the next one with exponential backoff
(base * 2^(attempts-1)); after `max_attempts` the row is marked 'failed' (the Rules screen can put
it back in the queue). Each row is marked right after its POST, so a restart resends nothing that
was acknowledged; every POST carries the row's `Idempotency-Key`, so a receiver can recognise the
one resend a crash between the answer and the mark could cause. Because the outbox is a table,
pending deliveries survive a restart. The base wait and the attempts are workspace settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx

from store import rules as repo
from store.db import Database

MAX_ATTEMPTS = 6
BACKOFF = dt.timedelta(seconds=30)
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class DeliveryStats:
    delivered: int
    retrying: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed}


def backoff(attempts: int, base: dt.timedelta = BACKOFF) -> dt.timedelta:
    """Wait before the next try after `attempts` failed ones: base, 2x, 4x, ..."""
    return base * (2 ** max(attempts - 1, 0))


def deliver(
    db: Database,
    now: dt.datetime,
    *,
    limit: int = 500,
    max_attempts: int = MAX_ATTEMPTS,
    base: dt.timedelta = BACKOFF,
    timeout: float = TIMEOUT_SECONDS,
) -> DeliveryStats:
    """POST every due pending row once (as of `now`); returns what happened."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    due = repo.due_webhooks(db, now, limit)
    if not due:  # the server asks every second: no client (and no TLS setup) for nothing
        return DeliveryStats(**counts)
    with httpx.Client(timeout=timeout) as client:
        for row in due:
            error = _post(client, row.url, row.payload, row.id)
            if error is None:
                with db.transaction():  # serialised with the other writers of the process
                    repo.webhook_delivered(db, row.id, now)
                counts["delivered"] += 1
                continue
            attempts = row.attempts + 1
            give_up = attempts >= max_attempts
            with db.transaction():
                repo.webhook_failed(db, row.id, error, now + backoff(attempts, base), give_up)
            counts["failed" if give_up else "retrying"] += 1
    return DeliveryStats(**counts)


def _post(client: httpx.Client, url: str, body: str, hook_id: int) -> str | None:
    """None when the receiver accepted the call, else what went wrong."""
    headers = {"content-type": "application/json", "idempotency-key": f"kith-webhook-{hook_id}"}
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as err:
        return f"{type(err).__name__}: {err}"
    if answer.is_success:
        return None
    return f"HTTP {answer.status_code}"
