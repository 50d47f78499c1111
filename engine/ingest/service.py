"""Ingestion: Segment-spec messages, JSONL files, and flat CSV/Parquet/DataFrame events.

Every input becomes one canonical Arrow table (engine/ingest/frames.py: one row per message,
`_line` its 1-based position, values normalised and validated vectorised), and the batch then
runs set-based through DuckDB: staging with dedupe (one copy of the batch), identity resolution
(engine/ingest/identity.py), sessions (engine/ingest/sessions.py), one events insert, profile
updates, all in one transaction. docs/ingestion.md documents the mappings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch import IngestBatch
from engine.catalog.vocab import SOURCES, STANDARD_EVENT_TYPES, STANDARD_PROPERTIES
from engine.changes import Change, Commit
from engine.clock import utcnow
from engine.ingest import identity, jsonl, sessions
from engine.ingest import schemas as ingest_schemas
from engine.ingest import stage as ingest_stage
from engine.ingest import traits as ingest_traits
from engine.ingest.frames import from_messages, from_table, rejections
from engine.models import IngestReport
from kith_errors import IngestError
from store import ingest as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from engine.catalog.service import Catalog
    from store import Database

CHUNK = 200_000
# JSONL lines per batch: DuckDB parses them in parallel, and a batch's fixed costs are paid once
JSONL_CHUNK = 500_000
Progress = Callable[[int], None]
# folds (primary, secondary) profile pairs identity resolution found; returns the merges' ids
MergeMany = Callable[[Sequence[tuple[int, int]]], list[int]]


class Ingestor:
    """Ingestion over the workspace's database, its settings (sessions, identity policy) and
    catalog (traits, event schemas); `merge_many` folds the profiles a batch joins, `commit`
    runs what follows a stored batch (engine/changes.py)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        catalog: Catalog,
        merge_many: MergeMany,
        commit: Commit,
    ) -> None:
        self.db = db
        self.settings = settings
        self.catalog = catalog
        self.merge_many = merge_many
        self.commit = commit

    # ---- public API --------------------------------------------------------------------------

    def messages(
        self,
        msgs: Iterable[dict[str, Any]],
        *,
        source: str = "api",
        received_at: dt.datetime | None = None,
        depth: int = 0,
    ) -> IngestReport:
        """Segment-spec messages (track, identify, page, screen, alias, group). Bad ones are
        rejected with their 1-based position; the good ones are stored."""
        numbered = ((i, m) for i, m in enumerate(msgs, start=1))
        return self._run_messages(numbered, source, received_at, depth, None)

    def jsonl(
        self,
        src: str | Path | IO[str],
        *,
        source: str = "import",
        progress: Progress | None = None,
        chunk: int = JSONL_CHUNK,
    ) -> IngestReport:
        """Segment messages, one per line (or one JSON array of them; gzipped or not), parsed
        by DuckDB (engine/ingest/jsonl.py); rejections carry line numbers (array positions).
        Large files go in batches of `chunk` lines; `progress(lines_done)` follows each."""
        total, done = IngestReport(), 0
        for lines in jsonl.read(self.db, src, chunk):
            received = utcnow()
            canon = jsonl.canonical(self.db, lines, received, source)
            total = combine(total, self._commit(canon, received, 0, source))
            done += lines.num_rows
            if progress:
                progress(done)
        return total

    def table(
        self, frame: pd.DataFrame | pa.Table, *, source: str = "import", depth: int = 0
    ) -> IngestReport:
        """Flat events (docs/ingestion.md: one row per event, identity keys as columns,
        properties as a JSON column or `prop_*` columns, traits as `trait_*` columns)."""
        data = frame.to_pandas() if isinstance(frame, pa.Table) else frame
        received = utcnow()
        canon = from_table(data.reset_index(drop=True), received, source)
        return self._commit(canon, received, depth, source)

    def file(
        self, path: str | Path, *, fmt: str | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """A .jsonl/.json/.ndjson, .csv or .parquet file (or `fmt` to say which)."""
        path = Path(path)
        suffix = Path(path.stem).suffix if path.suffix.lower() == ".gz" else path.suffix
        kind = (fmt or suffix.lstrip(".")).lower()
        if not path.is_file():
            raise IngestError(f"no such file: {path}", details={"path": str(path)})
        if kind in ("jsonl", "json", "ndjson"):
            return self.jsonl(path, progress=progress)
        if kind == "csv":
            return self.table(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
        if kind == "parquet":
            return self.table(pd.read_parquet(path))
        raise IngestError(
            f"cannot ingest {path.name}: unknown format {kind!r}; use jsonl, csv or parquet",
            details={"path": str(path), "format": kind},
        )

    # ---- plumbing ----------------------------------------------------------------------------

    def _run_messages(
        self,
        numbered: Iterable[tuple[int, Any]],
        source: str,
        received_at: dt.datetime | None,
        depth: int,
        progress: Progress | None,
    ) -> IngestReport:
        total, done = IngestReport(), 0
        for chunk in _chunks(numbered, CHUNK):
            received = received_at or utcnow()
            canon = from_messages(chunk, received, source)
            total = combine(total, self._commit(canon, received, depth, source))
            done += len(chunk)
            if progress:
                progress(done)
        return total

    def _commit(
        self, canon: pd.DataFrame, received: dt.datetime, depth: int, source: str
    ) -> IngestReport:
        report, batch = write_batch(self, canon, received, depth, source)
        if batch is not None:
            self.commit(Change.ingested(batch))
        return report


def combine(a: IngestReport, b: IngestReport) -> IngestReport:
    """Two reports of one call (chunks of one file) as one."""
    return IngestReport(
        batch_id=b.batch_id if b.batch_id is not None else a.batch_id,
        batch_ids=a.batch_ids + b.batch_ids,
        accepted=a.accepted + b.accepted,
        duplicates=a.duplicates + b.duplicates,
        rejected=a.rejected + b.rejected,
        profiles_created=a.profiles_created + b.profiles_created,
        profiles_merged=a.profiles_merged + b.profiles_merged,
        sessions_started=a.sessions_started + b.sessions_started,
        sessions_joined=a.sessions_joined + b.sessions_joined,
        profile_ids=sorted(set(a.profile_ids) | set(b.profile_ids)),
    )


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- the set-based batch write ------------------------------------------------------------------


def write_batch(
    ingestor: Ingestor, canon: pa.Table, received: dt.datetime, depth: int, source: str
) -> tuple[IngestReport, IngestBatch | None]:
    """Store one canonical batch in one transaction with the ingestor's parts; the batch is
    None when nothing landed. The caller commits it (the tracking API's loader records its
    journal position in the same transaction first)."""
    db = ingestor.db
    try:
        with db.transaction(), repo.staging(db, canon) as batch:
            return _write(ingestor, batch, received, depth, source)
    finally:
        repo.drop_staging(db)


def _write(
    ingestor: Ingestor, batch: repo.Staging, received: dt.datetime, depth: int, source: str
) -> tuple[IngestReport, IngestBatch | None]:
    """The batch's steps; each is skipped when the batch gives it nothing to do (no traits,
    no new profiles or identities, no sessions), as small API batches mostly do."""
    db, conf, canon = ingestor.db, ingestor.settings, batch.canon
    traits = canon["traits"].null_count < canon.num_rows
    typed, checked = (
        ingest_traits.check(ingestor.db, ingestor.catalog, batch) if traits else ({}, False)
    )
    policy = (conf.blocked_values, conf.identity_priority)
    screened = ingest_schemas.screen(canon, ingestor.catalog.screening(), db)
    staged = ingest_stage.stage(db, batch, policy, checked, screened.refused)
    report = IngestReport(duplicates=staged.duplicates, rejected=rejections(staged.rejected))
    accepted = staged.narrow.num_rows
    if accepted == 0:
        return report, None
    batch.put(narrow=staged.narrow, keys=staged.keys)
    repo.stage_keys(db, batch)
    outcome = _resolve_identities(
        ingestor,
        batch,
        staged,
        received,
        source if source in SOURCES else None,
        len(staged.blocked),
    )
    ids = outcome.ids
    batch_id = ids["batches"]
    started, joined = _events(ingestor, batch, outcome.lines, received, (batch_id, ids["events"]))
    flagged = ingest_schemas.flags(screened, outcome.lines.line, ids["events"])
    if flagged is not None:
        repo.flag_events(db, flagged, received)
    if traits:
        _profiles(ingestor, batch, typed)
    touched = repo.touch_profiles(db, batch, received)
    _log(ingestor, received, staged.blocked, outcome.log, ids.get("identity_log"))
    report = report.model_copy(
        update={
            "batch_id": batch_id,
            "batch_ids": [batch_id],
            "accepted": accepted,
            "profiles_created": outcome.created,
            "profiles_merged": outcome.merged,
            "sessions_started": started,
            "sessions_joined": joined,
            "profile_ids": touched,
        }
    )
    removed = tuple(sorted(secondary for _, secondary in outcome.merges))
    return report, IngestBatch(batch_id, tuple(touched), accepted, received, depth, removed)


_STANDARD_TYPES = list(STANDARD_EVENT_TYPES)


def _events(
    ingestor: Ingestor,
    batch: repo.Staging,
    lines: sessions.Lines,
    now: dt.datetime,
    ids: tuple[int, int],
) -> tuple[int, int]:
    """Sessions, then the events and the new sessions' `session_started` events in one insert;
    returns how many sessions began and how many stored ones were joined into another.
    `ids`: the batch's id and its first event id; event ids follow line numbers (rejected
    lines leave gaps)."""
    db = ingestor.db
    done = sessions.sessionize(db, ingestor.settings.session_timeout_minutes, batch, lines)
    session = sessions.line_session_ids(db, done[0]) if done else None
    events = _event_rows(batch, ids[1], lines, session)
    batch.put(events=events)  # the new sessions' starts are checked against them
    started, joined = (done[1].began, done[1].joined) if done else (0, 0)
    starts = sessions.start_events(db, batch, done[1].staged if done else 0)
    if starts is not None:
        events = pa.concat_tables([events, starts.cast(events.schema)])
    batch.put(events=by_type_and_time(events))
    registered = _STANDARD_TYPES + repo.event_type_names(db)
    repo.insert_events(db, batch, now, ids[0], registered)
    return started, joined


def by_type_and_time(events: pa.Table) -> pa.Table:
    """The events in the order they are stored: grouped by type (in any order of types), by
    time within a type. A row group then holds few types and a narrow span of time, so DuckDB's
    zone maps let type and time filters skip the others. One numpy sort of one integer key and
    one Arrow take: cheaper than ORDER BY on the insert, which sorts whole rows."""
    codes = pc.dictionary_encode(events["type"]).combine_chunks().indices.to_numpy()
    us = pc.cast(events["ts"], pa.int64()).to_numpy()
    if len(us) == 0:
        return events
    since = us - us.min()
    if since.max() >= _TIME_SPAN:  # over 35 years of events in one batch: sort by two keys
        return events.take(np.lexsort((us, codes)))
    return events.take(np.argsort((codes.astype(np.int64) << _TIME_BITS) | since))


_TIME_BITS = 50  # microseconds of one batch's time span, below the type's code in the sort key
_TIME_SPAN = 1 << _TIME_BITS


def _event_rows(
    batch: repo.Staging, first_event: int, lines: sessions.Lines, session: pa.Array | None
) -> pa.Table:
    """The rows to store as events, one Arrow table so the insert is one plain scan (no join):
    the accepted lines' normalised columns, the input's wide ones taken at those lines (no copy
    when every line was accepted), the profile and the session (given, else computed)."""
    canon, narrow = batch.canon, batch.narrow
    assert narrow is not None  # staged before the events are built
    wide = canon.select(["type", "properties", "context"])
    if narrow.num_rows < canon.num_rows:
        at = np.full(int(canon["_line"].to_numpy().max()) + 1, -1, dtype=np.int64)
        at[canon["_line"].to_numpy()] = np.arange(canon.num_rows)
        wide = wide.take(pa.array(at[narrow["_line"].to_numpy()]))
    given = narrow["session_id"]
    ids = first_event + lines.line - int(lines.line.min())
    columns = {name: narrow[name] for name in ("message_id", "ts", "channel", "source")}
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            **columns,
            "session_id": given if session is None else pc.coalesce(given, session),
            "profile_id": pa.array(lines.profile, pa.int64()),
            **{name: wide[name] for name in wide.column_names},
        }
    )


def _profiles(ingestor: Ingestor, batch: repo.Staging, typed: dict[str, str]) -> None:
    """Traits onto profiles: typed custom properties to their columns, the rest as usual."""
    repo.stage_traits(ingestor.db, batch)
    written = ingest_traits.apply(ingestor.db, batch, typed)
    repo.apply_traits(ingestor.db, list(STANDARD_PROPERTIES), written)


@dataclass(frozen=True, slots=True)
class _Resolved:
    """What identity resolution did to a batch: profiles created and merged (the merged
    pairs), its identity-log entries, its lines with their profiles, and its reserved ids."""

    created: int
    merged: int
    merges: list[tuple[int, int]]
    log: list[dict[str, Any]]
    lines: sessions.Lines
    ids: dict[str, int]


def _resolve_identities(
    ingestor: Ingestor,
    batch: repo.Staging,
    staged: ingest_stage.Staged,
    now: dt.datetime,
    source: str | None,
    blocked: int,
) -> _Resolved:
    """Resolve the staged keys to profiles; create, merge and link as decided. Sets the
    batch's `line_profiles` and returns the per-line arrays sessions need and the ids the
    batch needs, reserved in one statement (`blocked`: blocked values to log)."""
    db = ingestor.db
    line_arrays = sessions.line_arrays(staged.narrow)
    row_ts = repo.line_ts(line_arrays["_line"], line_arrays["us"])
    limits = ingestor.settings.identity_limits
    graph = identity.graph_from(staged.pairs, repo.key_arrays(db), row_ts, limits)
    res = identity.resolve(graph)
    targets = _alias_targets(ingestor, batch, graph)
    if targets:
        identity.join_aliases(graph, res, targets)
    ids = _reserve(ingestor, line_arrays["_line"], res, blocked)
    first = ids.get("profiles", 0)
    group_profile = {**res.group_profile, **identity.new_ids(res.new_groups, first)}
    if res.new_groups:
        ids_new = pa.array(range(first, first + len(res.new_groups)), pa.int64())
        repo.insert_profiles(db, ids_new, now, source)
    log = list(res.log)
    merge_ids = ingestor.merge_many(res.merges)
    for (primary, secondary), merge_id in zip(res.merges, merge_ids, strict=True):
        log.append(_merge_entry(primary, secondary, merge_id))
    profile_of_line = identity.line_profiles(res, group_profile, len(row_ts))
    lines = sessions.lines_from(line_arrays, profile_of_line)
    batch.put(line_profiles=pa.table({"_line": lines.line, "profile_id": lines.profile}))
    fresh = identity.new_identities(graph, res, group_profile, staged.first_us)
    if len(fresh):
        repo.insert_identities(db, fresh, now, source or "ingest")
    return _Resolved(len(res.new_groups), len(res.merges), res.merges, log, lines, ids)


def _alias_targets(
    ingestor: Ingestor, batch: repo.Staging, graph: identity.Graph
) -> list[identity.AliasTarget]:
    """Alias messages whose previousId is no stored anonymous id but a stored userId."""
    canon = batch.canon
    is_alias = pc.fill_null(pc.equal(canon["type"], "alias"), False).to_numpy(zero_copy_only=False)
    if not is_alias.any():
        return []
    lines = canon["_line"].to_numpy().astype(np.int64)[is_alias]
    rows, keys = identity.alias_keys(graph, lines)
    values = [str(v) for v in graph.key_value[keys]]
    owner = {value: pid for _, value, pid in profile_repo.owners(ingestor.db, _user_ids(values))}
    return [
        identity.AliasTarget(int(row), int(key), int(owner[value]))
        for row, key, value in zip(rows.tolist(), keys.tolist(), values, strict=True)
        if value in owner
    ]


def _user_ids(values: list[str]) -> list[tuple[str, str]]:
    return [("user_id", value) for value in dict.fromkeys(values)]


def _reserve(
    ingestor: Ingestor, line: np.ndarray, res: identity.Resolution, blocked: int
) -> dict[str, int]:
    """The batch's ids in every space at once: its batch id, an event id per line number in
    its span, new profiles and identity-log entries (blocked values, drops, merges)."""
    span = int(line.max()) - int(line.min()) + 1
    counts = {
        "batches": 1,
        "events": span,
        "profiles": len(res.new_groups),
        "identity_log": blocked + len(res.log) + len(res.merges),
    }
    return repo.allocate(ingestor.db, counts)


def _merge_entry(primary: int, secondary: int, merge_id: int) -> dict[str, Any]:
    return {
        "decision": "profiles_merged",
        "profile_id": primary,
        "merged": secondary,
        "merge_id": merge_id,
        "reason": "one message carried identities of both profiles",
    }


def _log(
    ingestor: Ingestor,
    now: dt.datetime,
    blocked: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    first: int | None,
) -> None:
    """Identity decisions to `identity_log`: blocked values seen, dropped keys, merges; `first`
    is the first of the ids `_reserve` set aside for them."""
    rows = [{"decision": "blocked_value", **b} for b in blocked] + entries
    if not rows or first is None:
        return
    frame = pd.DataFrame(
        {
            "decision": [r["decision"] for r in rows],
            "profile_id": pd.array([r.get("profile_id") for r in rows], dtype="Int64"),
            "detail": [json.dumps({k: v for k, v in r.items() if k != "decision"}) for r in rows],
        }
    )
    repo.log_identity(ingestor.db, frame, first, now)


__all__ = ["IngestBatch", "Ingestor", "combine", "rejections", "write_batch"]
