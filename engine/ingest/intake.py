"""The tracking API's way into the workspace: admission at the edge, then loading in batches.

`admit` decides, for one request and without writing anything, which messages the workspace
would refuse and why: first whether the message can be journaled at all (it is encoded here, once,
as the compact JSON the journal writes: a lone surrogate or nesting too deep for the encoder is
refused alone, never handed to the journal thread), then the canonical frame's own checks
(engine/ingest/frames.py), then the ones
staging makes (engine/ingest/stage.py, whose functions it calls: no identity, a malformed
email, every identity value blocked; a registered custom trait with a bad value; an event its
type's enforced schema refuses, engine/ingest/schemas.py), in the same order and words, so
the API can answer with each message's fate before the batch is stored; last the tracking
API's own rules on the whole message (MESSAGE_LIMIT bytes of compact JSON, MAX_DEPTH levels
in any field). tests/api/test_intake.py holds the two to the same answers.

`load` stores many admitted requests as ONE ingestion batch (engine/ingest/service.write_batch) and
records the last journal sequence number in the same transaction (app/journal.py). A message the
store still refuses (the catalog or the blocked values changed in between) is kept in
`ingest_failures` with the reason, never dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pydantic_core

from engine.catalog.normalize import normalize_arrow
from engine.catalog.values import CHOICE_PROPERTIES
from engine.changes import Change, Commit
from engine.clock import utcnow
from engine.ingest import schemas as ingest_schemas
from engine.ingest import traits as ingest_traits
from engine.ingest.frames import BAD_UNICODE, KEY_COLUMNS, MAX_DEPTH, from_messages, nesting_problem
from engine.ingest.service import write_batch
from engine.ingest.stage import ALL_BLOCKED, identity_reasons, is_blocked
from engine.models import IngestReport
from kith_errors import IngestError
from store import journal as repo

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from engine.catalog.service import Catalog
    from engine.ingest.service import Ingestor
    from store import Database

_NULL = pa.scalar(None, pa.string())
MESSAGE_LIMIT = 32 * 1024  # bytes of a message as compact JSON (Segment's limit)


@dataclass(frozen=True)
class Refusal:
    index: int  # 0-based position in the request's messages
    reason: str


@dataclass(frozen=True)
class Admitted:
    """One request after admission: the messages to store (in order) with their canonical
    rows (`_line` 1..n) and their compact JSON (what the journal writes), and the refused
    ones."""

    messages: list[dict[str, Any]]
    canon: pa.Table
    refused: list[Refusal]
    encoded: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    """Admitted messages of one request, as the loader takes them."""

    received: dt.datetime
    messages: list[dict[str, Any]]
    canon: pa.Table


@dataclass(frozen=True)
class Loaded:
    report: IngestReport
    failures: list[str] = field(default_factory=list)  # reasons of messages kept as failures


class Intake:
    """Admission reads the catalog and the settings; loading writes through `ingestor` and
    hands the stored batch to `commit` (engine/changes.py)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        catalog: Catalog,
        ingestor: Ingestor,
        commit: Commit,
        source: str = "api",
    ) -> None:
        self.db = db
        self.settings = settings
        self.catalog = catalog
        self.ingestor = ingestor
        self.commit = commit
        self.source = source
        self._limits: tuple[tuple[int, int], frozenset[str], list[str]] | None = None

    # ---- admission ---------------------------------------------------------------------------

    def admit(self, messages: list[Any], received: dt.datetime) -> Admitted:
        messages = [_with_message_id(m) for m in messages]
        encoded = [_encoded(m) for m in messages]
        canon = self.canonical(_unjournaled(messages, encoded), received)
        whole = [_whole_message_problem(m, e) for m, e in zip(messages, encoded, strict=True)]
        reasons = pc.coalesce(self._reasons(canon), pa.array(whole, pa.string())).to_pylist()
        keep = [i for i, reason in enumerate(reasons) if reason is None]
        refused = [Refusal(i, r) for i, r in enumerate(reasons) if r is not None]
        lines = [e for i in keep if type(e := encoded[i]) is bytes]
        if not refused:  # the usual case: the frame is already numbered 1..n
            return Admitted(messages, canon, [], lines)
        kept = canon.take(pa.array(keep, pa.int64()))
        return Admitted([messages[i] for i in keep], _renumbered(kept), refused, lines)

    def canonical(self, messages: list[Any], received: dt.datetime) -> pa.Table:
        return from_messages(list(enumerate(messages, start=1)), received, self.source)

    def _reasons(self, canon: pa.Table) -> pa.Array:
        """Why each row would be refused (null: it would be stored), first reason first."""
        keys = {name: normalize_arrow(name, canon[name].combine_chunks()) for name in KEY_COLUMNS}
        custom, blocked = self._checks()
        return pc.coalesce(
            canon["_reject"].combine_chunks(),
            self._trait_reasons(canon, custom),
            ingest_schemas.refusals(canon, self.catalog.screening()),
            *identity_reasons(keys),
            _all_blocked([column.stored for column in keys.values()], blocked),
        )

    def _checks(self) -> tuple[frozenset[str], list[str]]:
        """The properties whose trait values are checked (registered custom ones and standard
        ones with a vocabulary) and the blocked identity values, read again only
        after the catalog or the settings changed (admission runs on every request)."""
        generations = (self.catalog.generation, self.settings.generation)
        if self._limits is None or self._limits[0] != generations:
            custom = CHOICE_PROPERTIES | frozenset(self.catalog.custom())
            blocked = self.settings.blocked_values
            self._limits = (generations, custom, blocked)
        return self._limits[1], self._limits[2]

    def _trait_reasons(self, canon: pa.Table, custom: frozenset[str]) -> pa.Array:
        """Registered custom traits (and standard ones with a vocabulary) with a value the
        catalog refuses (the smallest reason of a message, as the store gives it)."""
        traits = canon["traits"].to_pylist()
        if not custom or all(t is None for t in traits):
            return pa.nulls(len(traits), pa.string())
        checked: dict[tuple[str, str], str | None] = {}
        return pa.array([self._worst(t, custom, checked) for t in traits], pa.string())

    def _worst(
        self, traits: str | None, custom: frozenset[str], checked: dict[tuple[str, str], str | None]
    ) -> str | None:
        values = json.loads(traits) if traits else {}
        pairs = [(k, json.dumps(v)) for k, v in values.items() if k in custom]
        for pair in pairs:
            if pair not in checked:
                checked[pair] = ingest_traits.checked(self.catalog, *pair)[2]
        return min((r for p in pairs if (r := checked[p]) is not None), default=None)

    # ---- loading -----------------------------------------------------------------------------

    def load(self, parts: list[Part], last_seq: int) -> Loaded:
        """The parts as one ingestion batch, and `last_seq` as loaded, in one transaction; then
        the batch's segment refresh and rules."""
        canon = _renumbered(pa.concat_tables([p.canon for p in parts], promote_options="default"))
        received = max(p.received for p in parts)
        with self.db.transaction():
            report, batch = write_batch(self.ingestor, canon, received, 0, self.source)
            failures = self._keep(_refused_messages(parts, report), received)
            repo.set_loaded_seq(self.db, last_seq)
        if batch is not None:
            self.commit(Change.ingested(batch))
        return Loaded(report, failures)

    def fail(self, parts: list[Part], last_seq: int, reason: str) -> list[str]:
        """Keep every message of `parts` as a failure with `reason` (the batch could not be
        stored at all) and move past them."""
        refused = [(p.received, m, reason) for p in parts for m in p.messages]
        with self.db.transaction():
            failures = self._keep(refused, utcnow())
            repo.set_loaded_seq(self.db, last_seq)
        return failures

    def _keep(
        self, refused: list[tuple[dt.datetime, dict[str, Any], str]], now: dt.datetime
    ) -> list[str]:
        if not refused:
            return []
        table = pa.table(
            {
                "received_at": pa.array([r[0] for r in refused], pa.timestamp("us")),
                "reason": pa.array([r[2] for r in refused], pa.string()),
                "message": pa.array([json.dumps(r[1]) for r in refused], pa.string()),
            }
        )
        db = self.db
        repo.insert_failures(db, table, db.allocate_ids("ingest_failures", len(refused)), now)
        return [r[2] for r in refused]

    def loaded_seq(self) -> int:
        return repo.loaded_seq(self.db)

    def workspace_key(self) -> str:
        """This workspace file's journal owner key (made on first use)."""
        return repo.workspace_key(self.db)

    def failures(self, limit: int = 100) -> list[repo.FailureRow]:
        return repo.failures(self.db, limit)

    def failure_count(self) -> int:
        return repo.failure_count(self.db)


# ---- column-wise helpers ------------------------------------------------------------------------


def _all_blocked(keys: list[pa.Array], blocked: list[str]) -> pa.Array:
    """ALL_BLOCKED where every identity value a row has is blocked (only the columns some row
    fills are looked at; a row with none is refused earlier, for having no identity)."""
    given = [v for v in keys if v.null_count < len(v)]
    if not given:
        return pa.nulls(len(keys[0]), pa.string())
    usable = [pc.if_else(pc.fill_null(is_blocked(v, blocked), False), _NULL, v) for v in given]
    return pc.if_else(pc.is_null(pc.coalesce(*usable)), pa.scalar(ALL_BLOCKED), _NULL)


def _encoded(message: Any) -> bytes | str | None:
    """The message as the journal's compact JSON, or why it cannot be (None: not an object,
    which the canonical frame refuses with its own reason)."""
    if not isinstance(message, dict):
        return None
    try:
        return pydantic_core.to_json(message)
    except ValueError as err:  # pydantic's serialisation error is a ValueError
        if "surrogate" in str(err):
            return BAD_UNICODE
        return nesting_problem(message) or f"the message cannot be written as JSON: {err}"


def _unjournaled(messages: list[Any], encoded: list[bytes | str | None]) -> list[Any]:
    """The messages, those that cannot be journaled replaced by the reason (as an IngestError,
    which the canonical frame turns into the row's rejection)."""
    return [IngestError(e) if type(e) is str else m for m, e in zip(messages, encoded, strict=True)]


def _whole_message_problem(message: Any, encoded: bytes | str | None) -> str | None:
    """The tracking API's rules on the whole message: its size as compact JSON, and how deep
    any field nests (a text with at most MAX_DEPTH opening brackets cannot nest deeper)."""
    if type(encoded) is not bytes:
        return None
    if len(encoded) > MESSAGE_LIMIT:
        return f"the message is {len(encoded)} bytes; the limit is {MESSAGE_LIMIT // 1024} KB"
    if encoded.count(b"{") + encoded.count(b"[") > MAX_DEPTH:
        return nesting_problem(message)
    return None


def _with_message_id(message: Any) -> Any:
    """A message with neither messageId nor a time of its own is a new event each time it is
    sent, so it gets a fresh id here (journaled with it, so a replay keeps it). One with a
    time keeps the store's content hash, so a client's retry is still stored once."""
    if not isinstance(message, dict) or any(message.get(k) for k in _OWN_IDS):
        return message
    return {**message, "messageId": f"k-{uuid.uuid4().hex}"}


_OWN_IDS = ("messageId", "timestamp", "originalTimestamp")


def _renumbered(canon: pa.Table) -> pa.Table:
    at = canon.schema.get_field_index("_line")
    lines = pa.array(np.arange(1, canon.num_rows + 1), pa.int64())
    return canon.set_column(at, "_line", lines)


def _refused_messages(
    parts: list[Part], report: IngestReport
) -> list[tuple[dt.datetime, dict[str, Any], str]]:
    """The messages behind the report's rejected lines (1-based over all parts)."""
    owner = np.repeat(np.arange(len(parts)), [len(p.messages) for p in parts])
    starts = np.cumsum([0] + [len(p.messages) for p in parts])
    refused = []
    for rejection in report.rejected:
        k = int(owner[rejection.line - 1])
        message = parts[k].messages[rejection.line - 1 - int(starts[k])]
        refused.append((parts[k].received, message, rejection.reason))
    return refused
