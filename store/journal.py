"""The tracking API's journal bookkeeping: the last loaded record and the messages that were
accepted but could not be stored (see app/journal.py and engine/ingest/intake.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store import settings
from store.db import Database

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class FailureRow:
    """A message acknowledged but refused when loaded; `message` is its JSON text."""

    id: int
    received_at: dt.datetime
    failed_at: dt.datetime
    reason: str
    message: str


def workspace_key(db: Database) -> str:
    """A random key made once per workspace file, so its journal can tell it from a new file
    created at the same path."""
    with db.transaction():
        key = settings.get(db, _KEY)
        if key is None:
            key = uuid.uuid4().hex
            settings.put(db, _KEY, key)
    return str(key)


_KEY = "journal.workspace_key"


def loaded_seq(db: Database) -> int:
    return int(db.scalar("SELECT coalesce(max(loaded_seq), 0) FROM journal_checkpoint"))


def set_loaded_seq(db: Database, seq: int) -> None:
    db.execute(
        "INSERT INTO journal_checkpoint VALUES (1, $seq) ON CONFLICT (id) "
        "DO UPDATE SET loaded_seq = greatest(journal_checkpoint.loaded_seq, $seq)",
        {"seq": seq},
    )


def insert_failures(db: Database, failed: pa.Table, first_id: int, now: dt.datetime) -> None:
    """The `failed` messages (received_at, reason, message) as failures with ids from
    `first_id` on."""
    with db.views(kith_failed=failed):
        db.execute(
            "INSERT INTO ingest_failures (id, received_at, failed_at, reason, message) "
            "SELECT $first + row_number() OVER () - 1, received_at, $now, reason, message::JSON "
            "FROM kith_failed",
            {"first": first_id, "now": now},
        )


def failures(db: Database, limit: int) -> list[FailureRow]:
    rows = db.dicts(
        "SELECT id, received_at, failed_at, reason, message::VARCHAR AS message "
        "FROM ingest_failures ORDER BY id DESC LIMIT $limit",
        {"limit": limit},
    )
    return [FailureRow(**row) for row in rows]


def failure_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM ingest_failures"))
