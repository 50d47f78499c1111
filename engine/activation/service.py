"""`ws.activation`: destinations, segment syncs, broadcasts and the run that delivers them.

A sync's run, in ONE transaction: the people whose membership differs from what the sync told
its destination (`sync_state`) are found set-based, turned into batches (each message id made
of the destination, the sync, the person and the version of their record), queued in the
outbox, and recorded as told. The cursor therefore never moves past an undelivered message:
the messages are durable before it moves, and delivery (engine/activation/delivery.py) marks
each batch after the receiver accepted it. A restart resumes from the outbox; a resend carries
the same ids.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd
from pydantic import BaseModel

from engine.activation import broadcasts as casts
from engine.activation import config as cfg
from engine.activation import signing
from engine.activation.delivery import (
    RUN_SECONDS,
    Outcome,
    Policy,
    basic_auth,
    deliver,
    recipient,
    secret_of,
)
from engine.activation.payloads import SyncBatch, batches
from engine.changes import Commit
from engine.clock import utcnow
from kith_errors import Conflict, NotFound, ValidationError
from store import activation as repo
from store.activation import BroadcastRow, DestinationRow, SyncRow, SyncRun

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from engine.segments.service import Segments
    from store.db import Database

MAX_LOG = 10_000
STATUSES = ("pending", "delivered", "dead", "skipped")


class Destination(BaseModel):
    """A destination as it is shown: its secret masked."""

    id: int
    name: str
    kind: str
    channel: str | None
    config: dict[str, Any]
    secret: str | None  # masked: the first characters only
    created_at: dt.datetime
    created_by: str | None


class CreatedDestination(Destination):
    signing_secret: str | None = None  # a generated webhook secret: shown once, at creation


class Activation:
    def __init__(
        self, db: Database, settings: Settings, segments: Segments, commit: Commit
    ) -> None:
        self.db, self.settings, self.segments, self.commit = db, settings, segments, commit
        self._running = threading.Lock()  # one run at a time: the clock's or a command's

    # ---- destinations ------------------------------------------------------------------------

    def create_destination(
        self,
        name: str,
        kind: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str | None = None,
        secret: str | None = None,
        actor: str = "admin",
    ) -> CreatedDestination:
        """A new destination, every setting checked (docs/activation.md lists them)."""
        name, kind = cfg.check_name(name), cfg.check_kind(kind)
        chosen = cfg.check_channel(kind, channel)
        stored_secret = cfg.new_secret(kind, secret)
        config = cfg.check_config(kind, dict(options or {}), stored_secret)
        with self.db.transaction():
            if repo.destination(self.db, name) is not None:
                raise Conflict(f"a destination named {name!r} exists already")
            row = repo.NewDestination(
                id=self.db.allocate_ids("destinations", 1),
                name=name,
                kind=kind,
                channel=chosen,
                config=config,
                secret=stored_secret,
                at=utcnow(),
                actor=actor,
            )
            repo.insert_destination(self.db, row)
        shown = self.destination(name)
        generated = stored_secret if kind == "webhook" and not secret else None
        return CreatedDestination(**shown.model_dump(), signing_secret=generated)

    def destinations(self) -> list[Destination]:
        return [_shown(row) for row in repo.destinations(self.db)]

    def destination(self, name: str) -> Destination:
        return _shown(self._row(name))

    def delete_destination(self, name: str) -> None:
        """The destination with its syncs and delivery queue (broadcast send logs stay)."""
        repo.delete_destination(self.db, self._row(name).id)

    def test_destination(self, name: str) -> dict[str, Any]:
        """Reach the destination once now, without a person's data: a signed
        {"type": "test"} for a webhook, an empty batch for a Segment-spec endpoint, a GET for a
        messaging provider (no message is sent), a probe file for a file drop."""
        row = self._row(name)
        kind, config = row.kind, row.config
        if kind == "file":
            return _probe_directory(Path(config["directory"]))
        body = json.dumps({"type": "test", "destination": row.name}).encode("utf-8")
        headers = {"content-type": "application/json"}
        if kind == "webhook":
            headers.update(signing.headers(secret_of(row), int(time.time()), body))
        elif kind == "segment":
            body = b'{"batch":[]}'
            headers["authorization"] = basic_auth(secret_of(row))
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=5.0) as client:
                if kind == "messaging":
                    answer = client.get(config["url"])
                else:
                    answer = client.post(config["url"], content=body, headers=headers)
        except httpx.HTTPError as err:
            return {"ok": False, "error": f"{type(err).__name__}: {err}"}
        ok = answer.status_code < 500 if kind == "messaging" else answer.is_success
        return {
            "ok": ok,
            "status": answer.status_code,
            "seconds": round(time.perf_counter() - started, 3),
            "error": None if ok else f"HTTP {answer.status_code}: {answer.text[:200]}",
        }

    def deliveries(self, name: str, status: str | None = None, limit: int = 200) -> pd.DataFrame:
        """The destination's delivery log, newest first (status: pending, delivered, dead,
        skipped)."""
        if status is not None and status not in STATUSES:
            raise ValidationError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        if not 1 <= limit <= MAX_LOG:
            raise ValidationError(f"limit must be from 1 to {MAX_LOG}")
        return repo.deliveries(self.db, self._row(name).id, status, limit)

    def health(self) -> pd.DataFrame:
        """Per destination: pending, delivered and dead deliveries, the last delivery and the
        last error."""
        return repo.health(self.db)

    def retry_dead(self, name: str) -> int:
        """Put the destination's dead deliveries back in the queue; returns how many."""
        destination_id = self._row(name).id
        with self.db.transaction():
            return repo.revive(self.db, destination_id, utcnow())

    # ---- segment syncs -----------------------------------------------------------------------

    def attach(self, destination: str, segment: str, *, actor: str = "admin") -> SyncRow:
        """Sync a saved segment (or static list) to a destination: a full sync on the next
        run, then the entered/exited deltas."""
        row = self._row(destination)
        if row.kind == "messaging":
            raise ValidationError(
                f"{destination!r} is a messaging destination: send it broadcasts, not syncs"
            )
        segment_id = self._segment_id(segment)
        with self.db.transaction():
            if repo.sync(self.db, row.id, segment_id) is not None:
                raise Conflict(f"{segment!r} is already synced to {destination!r}")
            repo.insert_sync(
                self.db,
                repo.NewSync(
                    id=self.db.allocate_ids("destination_syncs", 1),
                    destination_id=row.id,
                    segment_id=segment_id,
                    at=utcnow(),
                    actor=actor,
                ),
            )
        found = repo.sync(self.db, row.id, segment_id)
        assert found is not None
        return found

    def detach(self, destination: str, segment: str) -> None:
        """Stop syncing the segment there (what was queued is still delivered)."""
        found = repo.sync(self.db, self._row(destination).id, self._segment_id(segment))
        if found is None:
            raise NotFound(f"{segment!r} is not synced to {destination!r}")
        repo.delete_sync(self.db, found.id)

    def syncs(self) -> list[SyncRow]:
        """Every sync: destination, segment, when it last ran, members told so far."""
        return repo.syncs(self.db)

    # ---- broadcasts --------------------------------------------------------------------------

    def preview(
        self, audience: str, destination: str, *, at: dt.datetime | None = None
    ) -> pd.DataFrame:
        """Who a broadcast would reach now (or at `at`): profile_id, name, address, consent,
        outcome (send/skip) and the reason of every skip."""
        row = self._messaging(destination)
        self._segment_id(audience)
        ids = repo.audience_ids(self.db, audience)
        frame = casts.split(self.db, self.settings.blocked_values, ids, row, at or utcnow())
        return frame[["profile_id", "name", "address", "consent", "outcome", "reason"]]

    def broadcast(
        self,
        name: str,
        audience: str,
        destination: str,
        message: str,
        *,
        send_at: dt.datetime | None = None,
        actor: str = "admin",
    ) -> BroadcastRow:
        """One message to a saved segment or static list through a messaging destination, now
        (the next run) or at `send_at` (UTC); consent is checked when it is sent."""
        row = self._messaging(destination)
        self._segment_id(audience)
        if not isinstance(message, str) or not message.strip():
            raise ValidationError("a broadcast needs a message")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ValidationError("a broadcast needs a name of 1 to 200 characters")
        now = utcnow()
        record = repo.NewBroadcast(
            id=self.db.allocate_ids("broadcasts", 1),
            name=name.strip(),
            destination_id=row.id,
            audience=audience,
            message=message,
            send_at=send_at or now,
            at=now,
            actor=actor,
        )
        with self.db.transaction():
            repo.insert_broadcast(self.db, record)
        return self.get_broadcast(record.id)

    def get_broadcast(self, broadcast_id: int) -> BroadcastRow:
        found = repo.broadcast(self.db, broadcast_id)
        if found is None:
            raise NotFound(f"no broadcast with id {broadcast_id}", details={"id": broadcast_id})
        return found

    def broadcasts(self) -> pd.DataFrame:
        """Every broadcast, newest first, with its send log counted by status."""
        return repo.broadcasts(self.db)

    def send_log(self, broadcast_id: int) -> pd.DataFrame:
        """Per person: address, status (queued, sent, failed, skipped) and the reason."""
        self.get_broadcast(broadcast_id)
        return repo.send_log(self.db, broadcast_id)

    def cancel_broadcast(self, broadcast_id: int) -> None:
        """Cancel a broadcast that has not started."""
        self.get_broadcast(broadcast_id)
        with self.db.transaction():
            if not repo.cancel_broadcast(self.db, broadcast_id):
                raise Conflict(f"broadcast {broadcast_id} has started already")

    # ---- the work ----------------------------------------------------------------------------

    def run(self, now: dt.datetime | None = None) -> dict[str, int]:
        """One pass: the syncs that are due queue their deltas, the broadcasts that are due
        queue their messages, and every destination's queue is delivered (within a few
        seconds: what is left goes in the next pass)."""
        now = now or utcnow()
        return {**self.queue_due(now), **self.deliver_due(now)}

    def queue_due(self, now: dt.datetime | None = None) -> dict[str, int]:
        """The first half of a pass: due syncs and broadcasts queued in the outbox."""
        now = now or utcnow()
        with self._running:
            return {
                "queued": self._plan_syncs(now),
                "broadcasts_started": self._start_broadcasts(now),
            }

    def deliver_due(self, now: dt.datetime | None = None) -> dict[str, int]:
        """The second half of a pass: every destination's due deliveries sent."""
        now = now or utcnow()
        with self._running:
            outcome = self._deliver(now)
            with self.db.transaction():
                repo.finish_broadcasts(self.db)
        return outcome.as_dict()

    def _plan_syncs(self, now: dt.datetime) -> int:
        destinations = {row.id: row for row in repo.destinations(self.db)}
        queued = 0
        for sync in repo.sync_runs(self.db):
            destination = destinations[sync.destination_id]
            interval = dt.timedelta(seconds=destination.config["interval_seconds"])
            if sync.last_run_at is not None and sync.last_run_at + interval > now:
                continue
            queued += self._plan(sync, destination, now)
        return queued

    def _plan(self, sync: SyncRun, destination: DestinationRow, now: dt.datetime) -> int:
        """Queue one sync's delta and record it as told, in one transaction (entered only
        when a read found something to send: a sync in step never takes the write lock)."""
        channel, every = destination.channel, destination.config["interval_seconds"]
        if repo.delta_size(self.db, sync.id, sync.segment_id, channel, cfg.PURPOSE):
            return self._queue_delta(sync, destination, now)
        if every:
            with self.db.transaction():
                repo.mark_sync_run(self.db, sync.id, now)
        return 0

    def _queue_delta(self, sync: SyncRun, destination: DestinationRow, now: dt.datetime) -> int:
        with self.db.transaction():
            full = not repo.sync_started(self.db, sync.id)
            delta = repo.open_delta(
                self.db, sync.id, sync.segment_id, destination.channel, cfg.PURPOSE
            )
            parts = list(
                batches(
                    destination.kind,
                    delta.to_dict("records"),
                    destination=destination,
                    sync_id=sync.id,
                    audience=sync.segment,
                    full=full,
                    at=now,
                )
            )
            if parts:
                first = self.db.allocate_ids("activation_outbox", len(parts))
                repo.enqueue(self.db, _outbox_rows(destination.id, sync.id, parts, first, now))
            repo.close_delta(self.db, sync.id, now)
        return len(delta)

    def _start_broadcasts(self, now: dt.datetime) -> int:
        due = repo.due_broadcasts(self.db, now)
        for broadcast_id in due:
            broadcast = self.get_broadcast(broadcast_id)
            destination = repo.destination_by_id(self.db, broadcast.destination_id)
            assert destination is not None  # deleting a destination keeps no broadcast queued
            blocked = self.settings.blocked_values
            casts.queue(self.db, blocked, broadcast, destination, now)
        return len(due)

    def _deliver(self, now: dt.datetime) -> Outcome:
        pending = repo.pending_destinations(self.db)
        outcome = Outcome()
        if not pending:  # the server asks every second: no client for nothing
            return outcome
        settings = self.settings
        policy = Policy(
            dt.timedelta(seconds=settings.webhook_backoff_seconds), settings.webhook_max_attempts
        )
        deadline = time.monotonic() + RUN_SECONDS
        with httpx.Client(timeout=policy.timeout) as client:
            for destination_id in pending:
                row = repo.destination_by_id(self.db, destination_id)
                if row is None:
                    continue
                done = deliver(self.db, row, now, policy, client, deadline)
                if done.events is not None:
                    sent = [recipient(r) for r in done.sent]
                    casts.commit_sent(self.db, self.commit, done.events.batch_id, sent, now)
                outcome.add(done)
        return outcome

    # ---- helpers -----------------------------------------------------------------------------

    def _row(self, name: str) -> DestinationRow:
        row = repo.destination(self.db, name)
        if row is None:
            known = ", ".join(r.name for r in repo.destinations(self.db)) or "none yet"
            raise NotFound(f"no destination named {name!r} (known: {known})")
        return row

    def _messaging(self, name: str) -> DestinationRow:
        row = self._row(name)
        if row.kind != "messaging":
            raise ValidationError(
                f"{name!r} is a {row.kind} destination; broadcasts go through a messaging one"
            )
        return row

    def _segment_id(self, name: str) -> int:
        return self.segments.stored(name).id


def _outbox_rows(
    destination_id: int, sync_id: int, parts: list[SyncBatch], first: int, now: dt.datetime
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(range(first, first + len(parts)), dtype="int64"),
            "destination_id": destination_id,
            "sync_id": sync_id,
            "broadcast_id": pd.Series([None] * len(parts), dtype="Int64"),
            "profile_id": pd.Series([None] * len(parts), dtype="Int64"),
            "payload": pd.Series([p.payload for p in parts], dtype="object"),
            "items": pd.Series([p.items for p in parts], dtype="int64"),
            "next_attempt_at": now,
        }
    )


def _shown(row: DestinationRow) -> Destination:
    """The destination as it may be shown: its secret masked, and a provider header's value
    too unless it only names the secret through `{{secret}}` (a token typed in a header)."""
    config = dict(row.config)
    if "headers" in config:
        config["headers"] = {
            name: value if "{{secret}}" in value else cfg.mask(value) or ""
            for name, value in config["headers"].items()
        }
    return Destination(**{**asdict(row), "config": config, "secret": cfg.mask(row.secret)})


def _probe_directory(directory: Path) -> dict[str, Any]:
    probe = directory / ".kith-probe"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_text("kith\n")
        probe.unlink()
    except OSError as err:
        return {"ok": False, "error": f"{type(err).__name__}: {err}"}
    return {"ok": True, "error": None}
