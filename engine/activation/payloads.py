"""What a sync sends, per destination kind, built from a delta (who entered, who exited, each
with the version of their record): every message carries a stable id derived from the
destination, the sync, the person and that version, so a resend is recognisable.

- webhook: {"type": "audience_sync", "destination", "audience", "full", "sent_at", "messages":
  [{"messageId", "event": "Audience Entered" | "Audience Exited", "profile_id", "userId",
  "traits": {...}, "timestamp"}]};
- segment: a Segment-spec batch, per person an `identify` (traits with `<audience>`: true/false)
  and a `track` of "Audience Entered" / "Audience Exited" (Segment Engage's shape);
- file: the rows of a CSV/Parquet file (profile_id, change, name, email, phone, country,
  user_id, message_id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.activation import DestinationRow

ENTERED, EXITED = "Audience Entered", "Audience Exited"
_TRAITS = ("name", "email", "phone", "country")


@dataclass(frozen=True)
class SyncBatch:
    """One delivery of a sync: its payload (JSON text) and how many people it carries."""

    payload: str
    items: int


def message_id(destination_id: int, sync_id: int, profile_id: int, version: int) -> str:
    return f"kith-{destination_id}-{sync_id}-{profile_id}-v{version}"


def broadcast_message_id(broadcast_id: int, profile_id: int) -> str:
    """A broadcast message's id (the provider's reference and the `message_sent` event's)."""
    return f"kith-broadcast-{broadcast_id}-{profile_id}"


def batches(
    kind: str,
    people: list[dict[str, Any]],
    *,
    destination: DestinationRow,
    sync_id: int,
    audience: str,
    full: bool,
    at: dt.datetime,
) -> Iterator[SyncBatch]:
    """The delta's people in batches of the destination's size, each as its kind's payload (a
    file drop writes the whole delta as one file)."""
    size = len(people) if kind == "file" else int(destination.config["batch_size"])
    for start in range(0, len(people), max(size, 1)):
        chunk = people[start : start + size]
        messages = [_record(destination.id, sync_id, person, at) for person in chunk]
        if kind == "webhook":
            body: dict[str, Any] = {
                "type": "audience_sync",
                "destination": destination.name,
                "audience": audience,
                "full": full,
                "messages": [{**m, "audience": audience} for m in messages],
            }
        elif kind == "segment":
            body = {"batch": [c for m in messages for c in _segment_calls(m, audience)]}
        else:
            body = {"audience": audience, "full": full, "rows": [_row(m) for m in messages]}
        yield SyncBatch(json.dumps(body, separators=(",", ":"), default=str), len(chunk))


def _record(destination_id: int, sync_id: int, person: dict[str, Any], at: dt.datetime) -> dict:
    pid = int(person["profile_id"])
    traits = {key: person[key] for key in _TRAITS if _present(person.get(key))}
    return {
        "messageId": message_id(destination_id, sync_id, pid, int(person["version"])),
        "event": ENTERED if person["entered"] else EXITED,
        "profile_id": pid,
        "userId": person["user_id"] if _present(person.get("user_id")) else None,
        "traits": traits,
        "timestamp": at.isoformat() + "Z",
    }


def _segment_calls(record: dict[str, Any], audience: str) -> list[dict[str, Any]]:
    """identify + track for one person; a person without a user id is sent under an
    anonymousId derived from their Kith id (their email and phone travel as traits)."""
    who: dict[str, Any] = (
        {"userId": record["userId"]}
        if record["userId"]
        else {"anonymousId": f"kith-{record['profile_id']}"}
    )
    inside = record["event"] == ENTERED
    context = {"personas": {"computation_key": audience, "computation_class": "audience"}}
    identify = {
        "type": "identify",
        "messageId": record["messageId"] + "-identify",
        **who,
        "traits": {**record["traits"], audience: inside},
        "timestamp": record["timestamp"],
        "context": context,
    }
    track = {
        "type": "track",
        "messageId": record["messageId"] + "-track",
        **who,
        "event": record["event"],
        "properties": {"audience_key": audience, audience: inside},
        "timestamp": record["timestamp"],
        "context": context,
    }
    return [identify, track]


def _row(record: dict[str, Any]) -> dict[str, Any]:
    traits = record["traits"]
    return {
        "profile_id": record["profile_id"],
        "change": "entered" if record["event"] == ENTERED else "exited",
        **{key: traits.get(key) for key in _TRAITS},
        "user_id": record["userId"],
        "message_id": record["messageId"],
    }


def _present(value: Any) -> bool:
    """Not missing: None and the NaN pandas gives an empty text column are both absent."""
    return value is not None and value == value
