"""Broadcasts: who a message to an audience reaches through a messaging destination, and the
`message_sent` events of what was sent.

The audience split, as of the send: a person is skipped, with the reason, when their consent
for the destination's channel is not granted (the latest logged change at or before that
moment; none is 'unknown'), when they have no identity on the channel, or when that identity
is a blocked value; everyone else is sent the message. Starting a broadcast records the split
as its send log (queued or skipped) and queues one outbox row per person; the delivery checks
consent again just before sending (engine/activation/delivery.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.activation import config as cfg
from engine.activation.payloads import broadcast_message_id
from engine.batch import IngestBatch
from engine.changes import Change, Commit
from store import activation as repo
from store import ingest as ingest_repo
from store.activation import BroadcastRow, DestinationRow
from store.db import Database

SEND, SKIP = "send", "skip"


def split(
    db: Database,
    blocked: Iterable[str],
    ids: list[int],
    destination: DestinationRow,
    at: dt.datetime,
) -> pd.DataFrame:
    """profile_id, name, email, phone, country, address, consent, outcome (send/skip), reason;
    `blocked`: the identity values no message may go to."""
    channel = channel_of(destination)
    frame = repo.audience(db, ids, channel, list(cfg.identity_types(channel)), cfg.PURPOSE, at)
    blocked = set(blocked)
    reasons = [
        _reason(channel, consent, address, blocked)
        for consent, address in zip(frame["consent"], frame["address"], strict=True)
    ]
    frame["reason"] = pd.Series(reasons, index=frame.index, dtype="object")
    frame["outcome"] = [SEND if r is None else SKIP for r in reasons]
    return frame


def channel_of(destination: DestinationRow) -> str:
    """A messaging destination's channel (config.check_channel requires one)."""
    assert destination.channel is not None, f"{destination.name!r} has no channel"
    return destination.channel


def _reason(channel: str, consent: str, address: Any, blocked: set[str]) -> str | None:
    if consent != "granted":
        state = "no consent recorded" if consent == "unknown" else f"consent {consent}"
        return f"{state} for {channel}"
    if address is None or address != address:  # None, or NaN from an empty column
        return f"no {channel} identity"
    if str(address) in blocked:
        return f"{channel} identity is blocked"
    return None


def queue(
    db: Database,
    blocked: Iterable[str],
    broadcast: BroadcastRow,
    destination: DestinationRow,
    now: dt.datetime,
) -> pd.DataFrame:
    """Start a due broadcast: the split as of now becomes its send log; one outbox row per
    person to send to (the body template filled for them). Returns the split."""
    ids = repo.audience_ids(db, broadcast.audience)
    frame = split(db, blocked, ids, destination, now)
    sending = frame[frame["outcome"] == SEND]
    first = db.allocate_ids("activation_outbox", max(len(sending), 1))
    outbox_ids = {pid: first + i for i, pid in enumerate(sending["profile_id"])}
    body = destination.config["body"]
    payloads = [cfg.fill(body, _values(person, broadcast)) for person in sending.to_dict("records")]
    rows = pd.DataFrame(
        {
            "id": pd.Series(list(outbox_ids.values()), dtype="int64"),
            "destination_id": destination.id,
            "sync_id": pd.Series([None] * len(sending), dtype="Int64"),
            "broadcast_id": broadcast.id,
            "profile_id": pd.Series(list(outbox_ids), dtype="int64"),
            "payload": pd.Series(payloads, dtype="object"),
            "items": 1,
            "next_attempt_at": now,
        }
    )
    log = pd.DataFrame(
        {
            "profile_id": frame["profile_id"].astype("int64"),
            "address": frame["address"].astype("object"),
            "status": ["queued" if o == SEND else "skipped" for o in frame["outcome"]],
            "reason": frame["reason"],
            "outbox_id": pd.Series(
                [outbox_ids.get(pid) for pid in frame["profile_id"]], dtype="Int64"
            ),
        }
    )
    with db.transaction():
        if len(rows):
            repo.enqueue(db, rows)
        repo.start_broadcast(db, broadcast.id, log, now)
    return frame


def _values(person: dict[str, Any], broadcast: BroadcastRow) -> dict[str, Any]:
    values = {key: person.get(key) for key in ("name", "email", "phone", "country", "address")}
    values = {key: (None if v != v else v) for key, v in values.items()}  # NaN: missing
    pid = int(person["profile_id"])
    return {
        **values,
        "profile_id": pid,
        "message": broadcast.message,
        "message_id": broadcast_message_id(broadcast.id, pid),
    }


@dataclass
class SentEvents:
    """Where one delivery pass stores its `message_sent` events: one ingestion batch, event
    ids reserved up front, each broadcast's name looked up once."""

    batch_id: int
    channel: str
    next_id: int
    names: dict[int, str | None] = field(default_factory=dict)

    @classmethod
    def reserve(cls, db: Database, channel: str, count: int) -> SentEvents:
        with db.transaction():
            first = ingest_repo.allocate(db, {"batches": 1, "events": count})
        return cls(first["batches"], channel, first["events"])

    def store(self, db: Database, broadcast_id: int, profile_id: int, at: dt.datetime) -> None:
        """Inside the caller's transaction: the event of one delivered broadcast message, on
        its person, at the moment of sending."""
        if broadcast_id not in self.names:
            self.names[broadcast_id] = repo.broadcast_names(db, [broadcast_id]).get(broadcast_id)
        name = self.names[broadcast_id]
        properties = {"broadcast": name, "broadcast_id": broadcast_id, "campaign": name}
        event = repo.SentEvent(
            id=self.next_id,
            message_id=broadcast_message_id(broadcast_id, profile_id),
            profile_id=profile_id,
            channel=self.channel,
            properties=json.dumps(properties),
            ts=at,
            batch=self.batch_id,
        )
        repo.insert_sent_event(db, event)
        self.next_id += 1


def commit_sent(
    db: Database, commit: Commit, batch_id: int, profile_ids: list[int], at: dt.datetime
) -> None:
    """The pass's `message_sent` events through the commit path, like any ingestion batch
    (timeline, segments reading them, event rules). It holds the write lock throughout, as the
    clock's time refresh does: the rules it runs share their queue with the ingest thread's."""
    if profile_ids:
        people = tuple(sorted(set(profile_ids)))
        with db.writing():
            commit(Change.ingested(IngestBatch(batch_id, people, len(profile_ids), at)))
