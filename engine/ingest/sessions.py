"""Sessions (analytics.md): a run of one profile's events on one channel with no gap longer
than the inactivity timeout. Events that carry their own session id keep it; the others on a
channel are grouped over the batch together with the stored sessions near them, each taken
whole, so the sessions do not depend on the order or batches the events arrive in: a late
event joins, extends, moves the start of, or bridges stored sessions (docs/ingestion.md).
Each session records a `session_started` event at its start, counted in its event_count
(which counts every event stored with the session). Events with neither a channel nor a
session id are left without a session and flagged `orphaned`, so integration problems stay
visible.

The grouping is one vectorised sort over the batch's (profile, channel, time) arrays, which
identity resolution already holds in memory, and the near sessions' intervals; the events
are then inserted once with their session ids joined in (store/ingest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.catalog.vocab import CHANNELS
from store import ingest as repo

if TYPE_CHECKING:
    from store import Database

CHANNEL_LIST = list(CHANNELS)
_CHANNEL_SPAN = len(CHANNEL_LIST) + 1  # (profile, channel number) as one integer sort key


@dataclass
class Lines:
    """Per staged line: its profile, time (epoch us), channel number (0 = none), whether
    it needs a session computed (has a channel and no session id of its own), and whether it
    brings its own session id."""

    line: np.ndarray
    profile: np.ndarray
    us: np.ndarray
    chan: np.ndarray
    open: np.ndarray
    explicit: np.ndarray


@dataclass(frozen=True)
class Regrouping:
    """What `regroup` found. Sessions holding a line are numbered 0..k-1 (their key) with
    their `profile`, `started`/`ended` (epoch us) and `n` events; the atoms (stored sessions
    and lines, sorted by group and start) with, per atom, its session's key (`key`), whether
    that session holds a line (`kept`), whether the atom starts it (`at_start`), and which
    line (`line`, -1 for a stored one) or stored session (`stored`, -1 for a line) it is."""

    profile: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    n: np.ndarray
    key: np.ndarray
    kept: np.ndarray
    at_start: np.ndarray
    line: np.ndarray
    stored: np.ndarray


def regroup(lines: Lines, near: repo.NearSessions, gap_us: int) -> tuple[np.ndarray, Regrouping]:
    """Group the lines that need a session, with the stored sessions near them (`near`, from
    store.ingest.sessions_near), into sessions: per (profile, channel), sorted by start, a
    new session begins where the next start is more than the timeout after everything before
    it has ended. Stored sessions are atoms, so a line can join one, extend it, or bridge two;
    adding events never splits a session, so the result is the same as grouping all the events
    at once, whatever order and batches they came in. Returns the session key per line (-1
    where none) and the sessions holding a line."""
    m, nstored = lines.open, len(near.id)
    group = np.concatenate(
        [
            near.profile_id.astype(np.int64) * _CHANNEL_SPAN + near.chan,
            lines.profile[m] * _CHANNEL_SPAN + lines.chan[m],
        ]
    )
    start = np.concatenate([near.start_us.astype(np.int64), lines.us[m]])
    end = np.concatenate([near.end_us.astype(np.int64), lines.us[m]])
    order = _by_group_then_start(group, start)
    group, start, end = group[order], start[order], end[order]
    # the latest end so far within the group: a stored session may outlast the atoms after it
    reach = pd.Series(end).groupby(group, sort=False).cummax().to_numpy()
    brk = np.ones(len(order), dtype=bool)
    brk[1:] = (group[1:] != group[:-1]) | (start[1:] - reach[:-1] > gap_us)
    session = np.cumsum(brk) - 1
    is_line = order >= nstored
    holds_line = np.zeros(int(session[-1]) + 1 if len(session) else 0, dtype=bool)
    holds_line[session[is_line]] = True
    key_of = np.cumsum(holds_line) - 1
    skey = np.full(len(lines.line), -1, dtype=np.int64)
    skey[np.flatnonzero(m)[order[is_line] - nstored]] = key_of[session[is_line]]
    firsts = np.flatnonzero(brk)
    lasts = np.r_[firsts[1:] - 1, len(order) - 1] if len(firsts) else firsts
    weight = np.r_[near.n.astype(np.int64), np.ones(len(order) - nstored, np.int64)][order]
    return skey, Regrouping(
        profile=group[firsts][holds_line] // _CHANNEL_SPAN,
        started=start[firsts][holds_line],
        ended=reach[lasts][holds_line],
        n=np.add.reduceat(weight, firsts)[holds_line] if len(firsts) else weight,
        key=key_of[session],
        kept=holds_line[session],
        at_start=start == start[firsts][session],
        line=np.r_[np.full(nstored, -1, np.int64), lines.line[m]][order],
        stored=np.where(is_line, -1, order),
    )


def _by_group_then_start(group: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The sort order by (group, start), ties in input order (stored sessions first, then the
    lines): two stable sorts, cheaper than a lexsort when the lines come in time order."""
    by_time = np.argsort(start, kind="stable")
    return by_time[np.argsort(group[by_time], kind="stable")]


def _tables(
    found: Regrouping, near: repo.NearSessions, batch: repo.Staging, lines: Lines
) -> repo.Regrouped:
    """The store's tables for the regrouped sessions: each session; the atoms at its start (a
    line's channel, message id, source, device and properties, which give the session's landing
    page; a stored session's id, channel, source and device), from which the store picks its
    id; the stored sessions it takes in."""
    assert batch.narrow is not None  # staged before sessions
    narrow = batch.narrow
    first = found.kept & found.at_start
    lined, stored = first & (found.line >= 0), first & (found.stored >= 0)
    at = np.zeros(int(lines.line.max()) + 1, dtype=np.int64)
    at[lines.line] = np.arange(len(lines.line))
    columns = ["channel", "message_id", "source", "device"]
    from_lines = narrow.select(columns).take(pa.array(at[found.line[lined]]))
    picked = found.stored[stored]
    from_stored = {
        "channel": pa.array(near.channel[picked], pa.string()),
        "source": pa.array(near.source[picked], pa.string()),
        "device": pa.array(near.device[picked], pa.string()),
    }
    firsts = pa.concat_tables(
        [
            from_lines.cast(pa.schema([(name, pa.string()) for name in columns])),
            pa.table({**from_stored, "message_id": pa.nulls(len(picked), pa.string())}).select(
                columns
            ),
        ]
    )
    stored_id = [pa.nulls(int(lined.sum()), pa.string()), pa.array(near.id[picked], pa.string())]
    properties = [_properties(batch.canon, found.line[lined]), pa.nulls(len(picked), pa.string())]
    firsts = (
        firsts.append_column(
            "skey", pa.array(np.r_[found.key[lined], found.key[stored]], pa.int64())
        )
        .append_column("stored_id", pa.concat_arrays(stored_id))
        .append_column("properties", pa.concat_arrays(properties))
    )
    sessions = pa.table(
        {
            "skey": pa.array(np.arange(len(found.profile)), pa.int64()),
            "profile_id": pa.array(found.profile, pa.int64()),
            "started_us": pa.array(found.started, pa.int64()),
            "ended_us": pa.array(found.ended, pa.int64()),
            "n": pa.array(found.n, pa.int64()),
        }
    )
    taken = found.kept & (found.stored >= 0)
    olds = pa.table(
        {
            "skey": pa.array(found.key[taken], pa.int64()),
            "old": pa.array(near.id[found.stored[taken]], pa.string()),
        }
    )
    return repo.Regrouped(sessions, firsts, olds)


def _properties(canon: pa.Table, lines: np.ndarray) -> pa.Array:
    """The `properties` text of the given lines of the batch's input."""
    rows = canon["_line"].to_numpy()
    at = np.zeros(int(rows.max()) + 1, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    return canon["properties"].combine_chunks().take(pa.array(at[lines])).cast(pa.string())


def sessionize(
    db: Database, timeout_minutes: int, batch: repo.Staging, lines: Lines
) -> tuple[np.ndarray, repo.Recorded] | None:
    """Compute the staged batch's sessions in the store and record them; returns the session
    key per line (for the events insert) and what was recorded, or None when no line has a
    session (nothing to compute or store). The batch's `narrow` lines are row for row
    with `lines`, and its `line_profiles` are set; a session ends after `timeout_minutes`
    without events. Runs inside the ingestion transaction."""
    explicit = bool(lines.explicit.any())
    opened = bool(lines.open.any())
    if not explicit and not opened:
        return None
    gap = int(dt.timedelta(minutes=timeout_minutes) / _MICROSECOND)
    near = repo.sessions_near(db, _open_lines(lines), CHANNEL_LIST, gap) if opened else None
    assert batch.narrow is not None  # staged before sessions
    if near is None:
        skey, computed = np.full(len(lines.line), -1, dtype=np.int64), _NONE_COMPUTED
    else:
        skey, found = regroup(lines, near, gap)
        computed = _tables(found, near, batch, lines)
    repo.build_sessions(db, batch, computed, explicit)
    return skey, repo.record_sessions(db, computed.stored.num_rows > 0, explicit)


_MICROSECOND = dt.timedelta(microseconds=1)


def _open_lines(lines: Lines) -> pa.Table:
    """The profile, channel number and time of the lines needing a session."""
    m = lines.open
    return pa.table(
        {
            "profile_id": pa.array(lines.profile[m], pa.int64()),
            "chan": pa.array(lines.chan[m], pa.int64()),
            "us": pa.array(lines.us[m], pa.int64()),
        }
    )


_NONE_COMPUTED = repo.Regrouped(
    sessions=pa.table(
        {
            name: pa.array([], pa.int64())
            for name in ("skey", "profile_id", "started_us", "ended_us", "n")
        }
    ),
    firsts=pa.table(
        {
            **{
                name: pa.array([], pa.string())
                for name in ("channel", "message_id", "source", "device")
            },
            "skey": pa.array([], pa.int64()),
            "stored_id": pa.array([], pa.string()),
            "properties": pa.array([], pa.string()),
        }
    ),
    stored=pa.table({"skey": pa.array([], pa.int64()), "old": pa.array([], pa.string())}),
)


def line_session_ids(db: Database, skey: np.ndarray) -> pa.Array:
    """Per staged line, the id of the session `sessionize` computed for it (null where none),
    from its session key: one sorted lookup, no join over the batch."""
    none = skey < 0
    if none.all():
        return pa.nulls(len(skey), pa.string())
    got = repo.session_ids(db)
    keys = np.asarray(got.skey, dtype=np.int64)
    # session keys are row positions of the sorted lines: a direct lookup, no search
    at = np.zeros(int(max(keys.max(), skey.max())) + 1, dtype=np.int64)
    at[keys] = np.arange(len(keys))
    index = pa.array(at[np.maximum(skey, 0)], pa.int64(), mask=none)
    return pc.take(pa.array(got.id, pa.string()), index)


def start_events(db: Database, batch: repo.Staging, staged: int) -> pa.Table | None:
    """The `session_started` events of the sessions `sessionize` began or renamed (`staged`:
    how many), each at its session's start (message id derived from the session id, so it is
    recorded once) with the session's device and landing page, as rows for the events insert
    (the batch's `events` must be set), counted in their session's event_count; None when
    there are none."""
    starts = repo.session_starts(db, batch) if staged else None
    if starts is None or not len(starts.id):
        return None
    n = len(starts.id)
    repo.count_session_starts(db, starts.id.tolist())
    first = db.allocate_ids("events", n)
    session = pa.array(starts.id, pa.string())
    return pa.table(
        {
            "id": pa.array(np.arange(first, first + n), pa.int64()),
            "message_id": pc.binary_join_element_wise("session_started:", session, ""),
            "ts": pc.cast(pa.array(starts.us, pa.int64()), pa.timestamp("us")),
            "channel": pa.array(starts.channel, pa.string()),
            "source": pa.array(starts.source, pa.string()),
            "session_id": session,
            "profile_id": pa.array(starts.profile_id, pa.int64()),
            "type": pa.array(np.full(n, "session_started", dtype=object), pa.string()),
            "properties": pa.array(starts.properties, pa.string()),
            "context": pa.array(np.full(n, "{}", dtype=object), pa.string()),
        }
    )


def line_arrays(narrow: pa.Table) -> dict[str, np.ndarray]:
    """Per staged line (engine/ingest_stage.NARROW): its time (epoch us), channel number
    (1-based in CHANNEL_LIST, 0 for none), whether it needs a session computed and whether it
    brings its own session id."""
    channel = narrow["channel"].combine_chunks()
    number = pc.index_in(channel, value_set=pa.array(CHANNEL_LIST, pa.string()))
    explicit = pc.is_valid(narrow["session_id"]).to_numpy()
    given = pc.is_valid(channel).to_numpy(zero_copy_only=False)
    return {
        "_line": narrow["_line"].to_numpy().astype(np.int64),
        "us": pc.cast(narrow["ts"], pa.int64()).to_numpy(),
        "chan": pc.fill_null(number, -1).to_numpy().astype(np.int64) + 1,
        "open": given & ~explicit,
        "explicit": explicit,
    }


def lines_from(arrays: dict[str, Any], profile_of_line: np.ndarray) -> Lines:
    """`Lines` from the staging arrays (`line_arrays`) and the resolved profile per line
    (indexed by line)."""
    line = np.asarray(arrays["_line"], dtype=np.int64)
    return Lines(
        line=line,
        profile=profile_of_line[line],
        us=np.asarray(arrays["us"], dtype=np.int64),
        chan=np.asarray(arrays["chan"], dtype=np.int64),
        open=np.asarray(arrays["open"], dtype=bool),
        explicit=np.asarray(arrays["explicit"], dtype=bool),
    )
