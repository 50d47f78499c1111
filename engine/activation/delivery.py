"""Delivering a destination's outbox: in the order it was queued, paced, signed, retried.

Each run takes the destination's pending rows in id order and stops at the first that is not
due or fails, so a person's exit never overtakes their entry. A failure (connection error,
timeout, a non-2xx answer, a file that cannot be written) counts an attempt and waits
`backoff(attempts)` (engine/rules/webhooks.py's: base, 2x, 4x...); after the workspace's
`webhook_max_attempts` the row is 'dead' (the dead-letter list; `retry_dead` puts it back). A
row is marked right after its delivery, so only a crash between the receiver's answer and the
mark resends it, with the same `Idempotency-Key` and message ids. `rate_per_second` caps the
messages a destination gets per run (the server runs every second).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from engine.activation import broadcasts as casts
from engine.activation import config as cfg
from engine.activation import signing
from engine.activation.payloads import broadcast_message_id
from engine.rules.webhooks import TIMEOUT_SECONDS, backoff
from store import activation as repo
from store.activation import DestinationRow, PendingDelivery
from store.db import Database

RUN_SECONDS = 5.0  # a run stops taking new rows after this long: shutdown never waits long
MAX_ROWS = 1000  # rows read per destination and run


@dataclass
class Outcome:
    """What one run did for one destination."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    withdrawn: int = 0
    sent: list[PendingDelivery] = field(default_factory=list)  # broadcast messages delivered
    events: casts.SentEvents | None = None  # where their `message_sent` events went

    def add(self, other: Outcome) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead
        self.withdrawn += other.withdrawn
        self.sent.extend(other.sent)

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retrying": self.retrying,
            "dead": self.dead,
            "skipped": self.withdrawn,
        }


@dataclass(frozen=True)
class Policy:
    """How failures are retried (the workspace's webhook settings)."""

    base: dt.timedelta
    max_attempts: int
    timeout: float = TIMEOUT_SECONDS


def idempotency_key(outbox_id: int) -> str:
    return f"kith-activation-{outbox_id}"


def deliver(
    db: Database,
    destination: DestinationRow,
    now: dt.datetime,
    policy: Policy,
    client: httpx.Client,
    deadline: float,
) -> Outcome:
    """Deliver what is due for one destination, in order, within its pace and the deadline. A
    broadcast message's `message_sent` event is stored in the transaction that marks it sent:
    one is never without the other (`Outcome.events` names their batch)."""
    outcome = Outcome()
    rows = repo.pending(db, destination.id, MAX_ROWS)
    rows = _withdraw(db, destination, rows, now, outcome)
    messages = sum(1 for r in rows if r.broadcast_id is not None)
    if messages:
        outcome.events = casts.SentEvents.reserve(db, casts.channel_of(destination), messages)
    budget = destination.config.get("rate_per_second")
    sent_items = 0
    for row in rows:
        if row.next_attempt_at > now or time.monotonic() > deadline:
            break
        if budget is not None and sent_items and sent_items + row.items > budget:
            break
        error = _send(destination, row, client, policy.timeout)
        if error is None:
            with db.transaction():
                repo.delivered(db, [row.id], now)
                if outcome.events is not None and row.broadcast_id is not None:
                    repo.sends_updated(db, [row.id], "sent", None, now)
                    outcome.events.store(db, row.broadcast_id, recipient(row), now)
            outcome.delivered += 1
            sent_items += row.items
            if row.broadcast_id is not None:
                outcome.sent.append(row)
            continue
        _failed(db, row, error, now, policy, outcome)
        break  # keep the order: nothing queued after it goes first
    return outcome


def _failed(
    db: Database,
    row: PendingDelivery,
    error: str,
    now: dt.datetime,
    policy: Policy,
    outcome: Outcome,
) -> None:
    attempts = row.attempts + 1
    give_up = attempts >= policy.max_attempts
    with db.transaction():
        repo.failed(db, row.id, error, now + backoff(attempts, policy.base), give_up)
        if give_up and row.broadcast_id is not None:
            repo.sends_updated(db, [row.id], "failed", error, now)
    if give_up:
        outcome.dead += 1
    else:
        outcome.retrying += 1


def _withdraw(
    db: Database,
    destination: DestinationRow,
    rows: list[PendingDelivery],
    now: dt.datetime,
    outcome: Outcome,
) -> list[PendingDelivery]:
    """Consent is checked again at send time: queued broadcast messages to people whose consent
    for the channel is no longer granted are skipped, with the reason."""
    channel = destination.channel
    queued = [r for r in rows if r.broadcast_id is not None and r.next_attempt_at <= now]
    if channel is None or not queued:
        return rows
    ids = [recipient(r) for r in queued]
    consent = repo.consent_as_of(db, ids, channel, cfg.PURPOSE, now)
    gone = [r.id for r in queued if consent.get(recipient(r)) != "granted"]
    if not gone:
        return rows
    reason = f"no granted {channel} consent at send time"
    with db.transaction():
        repo.withdrawn(db, gone, reason, now)
        repo.sends_updated(db, gone, "skipped", reason, now)
    outcome.withdrawn += len(gone)
    dropped = set(gone)
    return [r for r in rows if r.id not in dropped]


def _send(
    destination: DestinationRow, row: PendingDelivery, client: httpx.Client, timeout: float
) -> str | None:
    """None when the destination accepted the delivery, else what went wrong."""
    kind = destination.kind
    if kind == "file":
        return _write_file(destination, row)
    body = row.payload.encode("utf-8")
    headers = {"content-type": "application/json", "idempotency-key": idempotency_key(row.id)}
    if kind == "webhook":
        headers.update(signing.headers(secret_of(destination), int(time.time()), body))
    elif kind == "segment":
        headers["authorization"] = basic_auth(secret_of(destination))
    else:
        values = {"secret": destination.secret or "", "message_id": _message_id(row)}
        for name, template in destination.config["headers"].items():
            headers[name] = _fill_header(template, values)
    return _post(client, destination.config["url"], body, headers, timeout)


def secret_of(destination: DestinationRow) -> str:
    """A webhook's signing secret or a Segment endpoint's write key (config.new_secret and
    check_config give each kind one)."""
    assert destination.secret is not None, f"{destination.name!r} has no secret"
    return destination.secret


def basic_auth(write_key: str) -> str:
    """HTTP Basic with the write key as the username and no password, as Segment's libraries
    send it."""
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode("ascii")


def _post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> str | None:
    try:
        answer = client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as err:
        return f"{type(err).__name__}: {err}"
    if answer.is_success:
        return None
    return f"HTTP {answer.status_code}: {answer.text[:200]}"


def _message_id(row: PendingDelivery) -> str:
    if row.broadcast_id is None:
        return idempotency_key(row.id)
    return broadcast_message_id(row.broadcast_id, recipient(row))


def recipient(row: PendingDelivery) -> int:
    """A broadcast message's person (every broadcast delivery names one)."""
    assert row.profile_id is not None, f"delivery {row.id} is a sync's batch"
    return row.profile_id


def _fill_header(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template


def _write_file(destination: DestinationRow, row: PendingDelivery) -> str | None:
    """Write the delivery as one file, atomically (a temporary name, then a rename), under a
    name made of the destination, the audience, the delivery id and whether it is a snapshot
    or a delta: writing it again replaces it with the same content."""
    import pandas as pd  # only file drops make frames here

    payload = json.loads(row.payload)
    fmt = destination.config["format"]
    directory = Path(destination.config["directory"])
    stem = "-".join([_safe(destination.name), _safe(payload["audience"]), f"{row.id:09d}"])
    name = f"{stem}-{'snapshot' if payload['full'] else 'delta'}.{fmt}"
    frame = pd.DataFrame(payload["rows"], columns=_FILE_COLUMNS)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f".{name}.partial"
        writer: Callable[[Path], None] = (
            (lambda p: frame.to_csv(p, index=False))
            if fmt == "csv"
            else (lambda p: frame.to_parquet(p, index=False))
        )
        writer(partial)
        os.replace(partial, directory / name)
    except OSError as err:
        return f"{type(err).__name__}: {err}"
    return None


_FILE_COLUMNS = [
    "profile_id",
    "change",
    "name",
    "email",
    "phone",
    "country",
    "user_id",
    "message_id",
]


def _safe(text: str) -> str:
    """A name part fit for a file name: letters, digits, '-' and '_' kept, the rest '_'."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:60]
