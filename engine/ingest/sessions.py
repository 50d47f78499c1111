"""Sessions (analytics.md): a run of one profile's events on one channel with no gap longer
than the inactivity timeout. Events that carry their own session id keep it; the others on a
channel are grouped over the batch plus each touched profile's latest stored session, so a
batch that continues a session extends it. Each new session records a `session_started`
event, counted in its event_count (which counts every event stored with the session).
Events with neither a channel nor a session id are left without a session and flagged
`orphaned`, so integration problems stay visible.

The grouping is one vectorised sort over the batch's (profile, channel, time) arrays, which
identity resolution already holds in memory; the events are then inserted once with their
session ids joined in (store/ingest.py), with no write-back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.catalog.vocab import CHANNELS
from store import ingest as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace

CHANNEL_LIST = list(CHANNELS)


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


def assign(lines: Lines, last: dict[str, np.ndarray], gap_us: int) -> tuple[np.ndarray, pa.Table]:
    """Session key per line (-1 where none is computed) and the sessions as an Arrow table
    (skey, profile_id, started_us, ended_us, n, first_line, prev_id) for the store."""
    m = lines.open
    nprev = len(last["id"])
    # one sort key for (profile, channel): channel numbers are below 16
    group = np.concatenate(
        [
            last["profile_id"].astype(np.int64) * 16 + last["chan"].astype(np.int64),
            lines.profile[m] * 16 + lines.chan[m],
        ]
    )
    us = np.concatenate([last["us"].astype(np.int64), lines.us[m]])
    line = np.concatenate([np.zeros(nprev, dtype=np.int64), lines.line[m]])
    order = _by_group_time_line(group, us, line)
    group, us, line = group[order], us[order], line[order]
    brk = np.ones(len(order), dtype=bool)
    brk[1:] = (group[1:] != group[:-1]) | (us[1:] - us[:-1] > gap_us)
    start = np.maximum.accumulate(np.where(brk, np.arange(len(order)), 0))
    skey = np.full(len(lines.line), -1, dtype=np.int64)
    batch = order >= nprev
    skey[np.flatnonzero(m)[order[batch] - nprev]] = start[batch]
    # a stored session that any of the group's rows continues lends the group its id
    held = np.flatnonzero(~batch)
    ids = np.asarray(last["id"], dtype=object)[order[held]]
    prev_of = dict(zip(start[held].tolist(), ids.tolist(), strict=True))
    return skey, _sessions(start[batch], group[batch] // 16, us[batch], line[batch], prev_of)


def _by_group_time_line(group: np.ndarray, us: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The sort order by (group, time, line): two stable sorts are cheaper than a lexsort when
    the lines come in order already (they do: stored sessions first, then the batch's)."""
    if len(line) > 1 and not (np.diff(line) >= 0).all():
        return np.lexsort((line, us, group))
    by_time = np.argsort(us, kind="stable")
    return by_time[np.argsort(group[by_time], kind="stable")]


def _sessions(
    start: np.ndarray, prof: np.ndarray, us: np.ndarray, line: np.ndarray, prev_of: dict
) -> pa.Table:
    """One row per session the batch's lines fall in (the lines come sorted by session)."""
    first = np.flatnonzero(np.r_[True, start[1:] != start[:-1]]) if len(start) else start
    last = np.r_[first[1:] - 1, len(start) - 1] if len(start) else start
    keys = start[first]
    prev = [prev_of.get(k) for k in keys.tolist()] if prev_of else None
    return pa.table(
        {
            "skey": pa.array(keys, pa.int64()),
            "profile_id": pa.array(prof[first], pa.int64()),
            "started_us": pa.array(us[first], pa.int64()),
            "ended_us": pa.array(us[last], pa.int64()),
            "n": pa.array(last - first + 1, pa.int64()),
            "first_line": pa.array(line[first], pa.int64()),
            "prev_id": pa.array(prev, pa.string()) if prev else pa.nulls(len(keys), pa.string()),
        }
    )


def sessionize(ws: Workspace, batch: repo.Staging, lines: Lines) -> tuple[np.ndarray, int] | None:
    """Compute the staged batch's sessions in the store and record them; returns the session
    key per line (for the events insert) and how many sessions began, or None when no line
    has a session (nothing to compute or store). The batch's `narrow` lines are row for row
    with `lines`, and its `line_profiles` are set. Runs inside the ingestion transaction."""
    explicit = bool(lines.explicit.any())
    if not explicit and not lines.open.any():
        return None
    gap = dt.timedelta(minutes=ws.settings.session_timeout_minutes)
    last = repo.last_sessions(ws.db, batch, CHANNEL_LIST) if lines.open.any() else _NO_SESSIONS
    skey, table = assign(lines, last, int(gap / dt.timedelta(microseconds=1)))
    assert batch.narrow is not None  # staged before sessions
    computed = _with_first_lines(table, lines, batch.narrow)
    repo.build_sessions(ws.db, batch, computed, explicit)
    # only explicit ids and sessions continued from storage can already exist
    continuing = explicit or table["prev_id"].null_count < len(table)
    return skey, repo.record_sessions(ws.db, continuing)


def _with_first_lines(table: pa.Table, lines: Lines, narrow: pa.Table) -> pa.Table:
    """The sessions with the channel, message_id, source and device of their first line."""
    at = np.zeros(int(lines.line.max()) + 1, dtype=np.int64)
    at[lines.line] = np.arange(len(lines.line))
    first = pa.array(at[table["first_line"].to_numpy()])
    for name in ("channel", "message_id", "source", "device"):
        table = table.append_column(name, narrow[name].take(first))
    return table


def line_session_ids(ws: Workspace, skey: np.ndarray) -> pa.Array:
    """Per staged line, the id of the session `sessionize` computed for it (null where none),
    from its session key: one sorted lookup, no join over the batch."""
    none = skey < 0
    if none.all():
        return pa.nulls(len(skey), pa.string())
    got = repo.session_ids(ws.db)
    keys = np.asarray(got["skey"], dtype=np.int64)
    # session keys are row positions of the sorted lines: a direct lookup, no search
    at = np.zeros(int(max(keys.max(), skey.max())) + 1, dtype=np.int64)
    at[keys] = np.arange(len(keys))
    index = pa.array(at[np.maximum(skey, 0)], pa.int64(), mask=none)
    return pc.take(pa.array(got["id"], pa.string()), index)


_NO_SESSIONS: dict[str, np.ndarray] = {
    "profile_id": np.empty(0, np.int64),
    "chan": np.empty(0, np.int64),
    "us": np.empty(0, np.int64),
    "id": np.empty(0, object),
}


def start_events(ws: Workspace, batch: repo.Staging, started: int) -> pa.Table | None:
    """The `session_started` events of the sessions `sessionize` began, each at its session's
    start (message id derived from the session id, so it is recorded once), as rows for the
    events insert (the batch's `events` must be set), counted in their session's event_count;
    None when there are none."""
    starts = repo.session_starts(ws.db, batch) if started else None
    if not starts or not len(starts["id"]):
        return None
    n = len(starts["id"])
    repo.count_session_starts(ws.db, starts["id"].tolist())
    first = ws.db.allocate_ids("events", started)
    session = pa.array(starts["id"], pa.string())
    return pa.table(
        {
            "id": pa.array(np.arange(first, first + n), pa.int64()),
            "message_id": pc.binary_join_element_wise("session_started:", session, ""),
            "ts": pc.cast(pa.array(starts["us"], pa.int64()), pa.timestamp("us")),
            "channel": pa.array(starts["channel"], pa.string()),
            "source": pa.array(starts["source"], pa.string()),
            "session_id": session,
            "profile_id": pa.array(starts["profile_id"], pa.int64()),
            "type": pa.array(np.full(n, "session_started", dtype=object), pa.string()),
            "properties": pa.array(np.full(n, "{}", dtype=object), pa.string()),
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
