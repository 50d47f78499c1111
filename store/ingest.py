"""Ingestion: the static SQL of the bulk path. The engine hands over the batch's tables in a
`Staging` record as it builds them: the canonical frame (engine/ingest/frames.CANONICAL), its
accepted lines, narrow and normalized (engine/ingest/stage.NARROW), and so on. Every function
registers the tables it reads as views for its own statements (`Database.views`, under names
only this module knows); every step is set-based over the batch, in views and temporary tables
of this thread's cursor, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from store.db import Database, Prepared, Views


@dataclass
class Staging:
    """One ingestion batch's tables, filled in step by step (engine/ingest/service.py) through
    `put`, which makes each visible to this module's statements for the rest of the batch
    (registered once: a registration costs more than some of the statements reading it)."""

    views: Views
    canon: pa.Table  # the input: engine/ingest/frames.CANONICAL columns
    narrow: pa.Table | None = None  # its accepted lines: engine/ingest/stage.NARROW columns
    keys: pa.Table | None = None  # their unique identity keys: key, type, value, prio
    line_profiles: pa.Table | None = None  # _line, profile_id: row for row with `narrow`
    events: pa.Table | None = None  # the rows to store as events (see `insert_events`)
    trait_check: pa.Table | None = None  # key, value, reason, typed: registered traits checked

    def put(self, **tables: pa.Table) -> None:
        for name, table in tables.items():
            setattr(self, name, table)
            self.views.put(_VIEW[name], table)


@contextmanager
def staging(db: Database, canon: pa.Table) -> Iterator[Staging]:
    """A batch staged from its canonical input, its views dropped at the end of the block."""
    with db.views(**{_VIEW["canon"]: canon}) as views:
        yield Staging(views, canon)


_VIEW = {
    "canon": "kith_in",
    "narrow": "kith_b",
    "keys": "kith_uk",
    "line_profiles": "kith_rowp",
    "events": "kith_ev",
    "trait_check": "kith_trait_check",
}


def bad_json_lines(db: Database, batch: Staging) -> tuple[list[int], list[int]]:
    """Lines of the input whose properties, and whose context, is given but is not a JSON
    object (the events then store the text as given)."""
    rows = db.rows(
        "SELECT _line, p, c FROM (SELECT _line, "
        "properties IS NOT NULL AND NOT coalesce(starts_with(ltrim(properties), '{') "
        "AND json_valid(properties), FALSE) AS p, "
        "context IS NOT NULL AND NOT coalesce(starts_with(ltrim(context), '{') "
        "AND json_valid(context), FALSE) AS c FROM kith_in) WHERE p OR c"
    )
    return [int(r[0]) for r in rows if r[1]], [int(r[0]) for r in rows if r[2]]


def repeated_message_lines(db: Database, batch: Staging) -> tuple[np.ndarray, np.ndarray]:
    """Lines of the input whose message_id occurs on more than one line, with that id."""
    found = db.execute(
        "SELECT _line, message_id FROM kith_in WHERE message_id IN "
        "(SELECT message_id FROM kith_in GROUP BY message_id HAVING count(*) > 1)"
    ).fetchnumpy()
    return np.asarray(found["_line"], dtype=np.int64), np.asarray(found["message_id"], object)


def stored_message_lines(db: Database, batch: Staging) -> np.ndarray:
    """Lines of the input whose message_id is already stored."""
    found = db.execute(
        "SELECT i._line FROM kith_in i SEMI JOIN events e ON e.message_id = i.message_id"
    ).fetchnumpy()
    return np.asarray(found["_line"], dtype=np.int64)


def bad_trait_values(db: Database, batch: Staging, names: list[str]) -> list[tuple[str, str]]:
    """Distinct (key, JSON value) of traits in the input that name one of `names`."""
    rows = db.rows(
        "SELECT DISTINCT j.key, j.value::VARCHAR FROM kith_in, json_each(kith_in.traits) j "
        "WHERE kith_in.traits IS NOT NULL AND json_valid(kith_in.traits) "
        "AND json_type(kith_in.traits) = 'OBJECT' AND list_contains($names, j.key)",
        {"names": names},
    )
    return [(str(k), str(v)) for k, v in rows]


def trait_reasons(db: Database, batch: Staging) -> list[tuple[int, str]]:
    """Lines whose traits hold a value refused in the batch's `trait_check` (key, value,
    reason), each with its first reason."""
    rows = db.rows(
        "SELECT kith_in._line, min(c.reason) FROM kith_in, json_each(kith_in.traits) j "
        "JOIN kith_trait_check c ON c.key = j.key AND c.value = j.value::VARCHAR "
        "WHERE kith_in.traits IS NOT NULL AND json_valid(kith_in.traits) AND "
        "json_type(kith_in.traits) = 'OBJECT' AND c.reason IS NOT NULL GROUP BY kith_in._line"
    )
    return [(int(line), str(reason)) for line, reason in rows]


def stage_keys(db: Database, batch: Staging) -> None:
    """`kith_keys`: the batch's unique keys (`keys`: key, type, value, prio) with the profile
    that already holds each (-1: none)."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_keys AS "
        "WITH s AS (SELECT i.type, i.value, min(i.profile_id) AS profile_id FROM identities i "
        "SEMI JOIN kith_uk d ON d.type = i.type AND d.value = i.value "
        "GROUP BY i.type, i.value) "
        "SELECT d.key, d.type, d.value, coalesce(s.profile_id, -1)::BIGINT AS profile_id, "
        "d.prio FROM kith_uk d LEFT JOIN s ON s.type = d.type AND s.value = d.value"
    )


@dataclass(frozen=True, slots=True)
class StoredKeys:
    """The batch's unique keys as the store knows them (type, value, profile_id: -1 where none
    holds it, prio, created_at of that profile), the profiles holding them (id, created_at) and
    those profiles' identities (profile_id, type, value)."""

    keys: pd.DataFrame
    profiles: pd.DataFrame
    stored: pd.DataFrame


def key_arrays(db: Database) -> StoredKeys:
    """What identity resolution needs of the store (engine/identity.Graph): the keys (with
    their stored profile's creation time), and the stored profiles and their identities."""
    keys = db.df(
        "SELECT k.type, k.value, k.profile_id, k.prio, p.created_at FROM kith_keys k "
        "LEFT JOIN profiles p ON p.id = k.profile_id ORDER BY k.key"
    )
    held = keys[keys["profile_id"] >= 0]
    profiles = held.drop_duplicates("profile_id")[["profile_id", "created_at"]]
    profiles = profiles.rename(columns={"profile_id": "id"}).reset_index(drop=True)
    return StoredKeys(keys, profiles, _stored(db, held))


def _stored(db: Database, held: pd.DataFrame) -> pd.DataFrame:
    """Identities of the batch's stored profiles (none to read when no key is stored)."""
    if held.empty:
        return pd.DataFrame({"profile_id": [], "type": [], "value": []}).astype(
            {"profile_id": "int64", "type": object, "value": object}
        )
    return db.df(
        "SELECT profile_id, type, value FROM identities WHERE profile_id IN "
        "(SELECT profile_id FROM kith_keys WHERE profile_id >= 0)"
    )


def line_ts(line: np.ndarray, us: np.ndarray) -> np.ndarray:
    """Event time (epoch microseconds `us`) indexed by line number (`line`)."""
    numbers = line.astype(np.int64)
    out = np.zeros(int(numbers.max()) + 1 if len(numbers) else 0, dtype=np.int64)
    out[numbers] = us.astype(np.int64)
    return out


def insert_profiles(db: Database, ids: pa.Array, now: dt.datetime, source: str | None) -> None:
    """New profiles with these ids; seen times are set by `touch_profiles`."""
    with db.views(kith_newp=pa.table({"id": ids})):
        db.execute(
            "INSERT INTO profiles (id, created_at, updated_at, source, properties) "
            "SELECT id, $now, $now, $source, '{}' FROM kith_newp",
            {"now": now, "source": source},
        )


def insert_identities(db: Database, fresh: pa.Table, now: dt.datetime, source: str) -> None:
    """New identities (`fresh`: type, value, profile_id, first_us), each known since the first
    message of the batch that carried it (so `has channel` evaluated as of a past moment sees
    imported history as it happened)."""
    with db.views(kith_newid=fresh):
        db.execute(
            "INSERT INTO identities (profile_id, type, value, created_at, source) "
            "SELECT profile_id, type, value, least($now, make_timestamp(first_us)), $source "
            "FROM kith_newid",
            {"now": now, "source": source},
        )


def event_type_names(db: Database) -> list[str]:
    """Names of the registered event types."""
    return [str(r[0]) for r in db.rows("SELECT name FROM event_types")]


# `kith_rowp` is built from `kith_b` read in its stored order, so the two line up row by row
# and a positional join replaces a hash join over the whole batch; the check makes any
# misalignment fail loudly instead of mislabelling.
_PROFILE = (
    "CASE WHEN r._line = b._line THEN r.profile_id "
    "ELSE error('staged lines out of order: ' || b._line || ' vs ' || r._line) END"
)


def insert_events(
    db: Database, batch: Staging, now: dt.datetime, batch_id: int, registered: list[str]
) -> None:
    """The batch's `events` and `session_started` events (id, message_id, ts, channel, source,
    session_id, profile_id, type, properties, context: values checked and normalized, in the
    order to store them: by type, then time, so the batch's row groups hold few types and a
    narrow time span each and type and time filters skip the others; migration 090 put the
    events stored before in that order), in one plain scan."""
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT id, message_id, profile_id, session_id, type, ts, $now, "
        "channel, source, properties, context, list_contains($registered, type), "
        "channel IS NULL AND session_id IS NULL, $batch FROM kith_ev",
        {"now": now, "batch": batch_id, "registered": registered},
    )


SCREEN = "kith_screen"  # the rows the engine's schema filter reads (engine/ingest/schemas.py)


def screened_rows(
    db: Database, rows: pa.Table, query: Prepared, params: dict[str, Any]
) -> np.ndarray:
    """The engine's filter `query` over `rows` (pos, type, properties; as the view SCREEN):
    the positions it keeps."""
    with db.views(**{SCREEN: rows}):
        found = db.execute(query, params).fetchnumpy()
    return np.asarray(found["pos"], dtype=np.int64)


def flag_events(db: Database, flags: pa.Table, now: dt.datetime) -> None:
    """Events stored though they break their type's schema (enforcement warn): `flags` holds
    event_id, type, problem."""
    with db.views(kith_flags=flags):
        db.execute(
            "INSERT INTO event_flags (event_id, type, problem, flagged_at) "
            "SELECT event_id, type, problem, $now FROM kith_flags",
            {"now": now},
        )


def touch_profiles(db: Database, batch: Staging, now: dt.datetime) -> list[int]:
    """first_seen/last_seen/updated_at of every profile in the batch; email and phone columns
    filled from the batch's keys where the profile has none. A profile is never created later
    than its first event, so imported history shows people arriving when they really did.
    Returns the touched ids."""
    rows = db.rows(
        "UPDATE profiles p SET first_seen = least(coalesce(p.first_seen, a.f), a.f), "
        "created_at = least(p.created_at, a.f), "
        "last_seen = greatest(coalesce(p.last_seen, a.l), a.l), updated_at = $now, "
        "email = coalesce(p.email, a.email), phone = coalesce(p.phone, a.phone) "
        "FROM (SELECT " + _PROFILE + " AS profile_id, min(b.ts) AS f, max(b.ts) AS l, "
        "arg_max(b.email, b.ts) FILTER (WHERE b.email IS NOT NULL) AS email, "
        "arg_max(b.phone, b.ts) FILTER (WHERE b.phone IS NOT NULL) AS phone "
        "FROM kith_b b POSITIONAL JOIN kith_rowp r GROUP BY ALL) a "
        "WHERE p.id = a.profile_id RETURNING p.id",
        {"now": now},
    )
    return sorted(int(r[0]) for r in rows)


def stage_traits(db: Database, batch: Staging) -> None:
    """`kith_traits`: the latest value per profile and trait among the batch's messages."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_traits AS SELECT r.profile_id, j.key, "
        "arg_max(j.value, b.ts) AS value FROM kith_in b JOIN kith_rowp r ON r._line = b._line, "
        "json_each(b.traits) j WHERE b.traits IS NOT NULL GROUP BY r.profile_id, j.key"
    )


def apply_traits(db: Database, standard: list[str], typed: list[str]) -> None:
    """Traits staged in `kith_traits`: standard fields to their columns, the rest but the
    `typed` custom properties merged into `properties` (JSON null removes a key)."""
    db.execute(
        "UPDATE profiles p SET "
        "name = coalesce(t.name, p.name), company = coalesce(t.company, p.company), "
        "country = coalesce(t.country, p.country), city = coalesce(t.city, p.city), "
        "language = coalesce(t.language, p.language), "
        "lifecycle = coalesce(t.lifecycle, p.lifecycle), source = coalesce(t.source, p.source), "
        "platform = coalesce(t.platform, p.platform) "
        "FROM (SELECT profile_id, "
        "max(value ->> '$') FILTER (WHERE key = 'name') AS name, "
        "max(value ->> '$') FILTER (WHERE key = 'company') AS company, "
        "max(value ->> '$') FILTER (WHERE key = 'country') AS country, "
        "max(value ->> '$') FILTER (WHERE key = 'city') AS city, "
        "max(value ->> '$') FILTER (WHERE key = 'language') AS language, "
        "max(value ->> '$') FILTER (WHERE key = 'lifecycle') AS lifecycle, "
        "max(value ->> '$') FILTER (WHERE key = 'source') AS source, "
        "max(value ->> '$') FILTER (WHERE key = 'platform') AS platform "
        "FROM kith_traits WHERE list_contains($standard, key) GROUP BY profile_id) t "
        "WHERE p.id = t.profile_id",
        {"standard": standard},
    )
    db.execute(
        "UPDATE profiles p SET properties = json_merge_patch(coalesce(p.properties, '{}'), "
        "t.custom) FROM (SELECT profile_id, json_group_object(key, value) AS custom "
        "FROM kith_traits WHERE NOT list_contains($skip, key) GROUP BY profile_id) t "
        "WHERE p.id = t.profile_id",
        {"skip": standard + typed},
    )


def typed_trait_keys(db: Database, names: list[str]) -> list[str]:
    """Which of the registered custom properties `names` the batch's traits set."""
    rows = db.rows(
        "SELECT DISTINCT key FROM kith_traits WHERE list_contains($names, key) ORDER BY key",
        {"names": names},
    )
    return [str(r[0]) for r in rows]


def write_typed_trait(db: Database, batch: Staging, name: str, sql_type: str) -> None:
    """The batch's latest value of the registered custom property `name` (staged in
    `kith_traits`) into its typed column: the checked text (`trait_check`) cast to `sql_type`."""
    latest = (
        exp.select("kt.profile_id", "c.typed")
        .from_("kith_traits AS kt")
        .join("kith_trait_check AS c", on="c.key = kt.key AND c.value = CAST(kt.value AS VARCHAR)")
        .where(exp.column("key", "kt").eq(exp.Placeholder(this="key")))
    )
    value = exp.TryCast(this=exp.column("typed", "t"), to=exp.DataType.build(sql_type))
    update = exp.update(
        "profiles",
        # sqlglot takes Identifier keys as they are (its annotation says str): no re-parsing.
        {exp.to_identifier(name, quoted=True): value},  # type: ignore[dict-item]
        where="profiles.id = t.profile_id",
        from_=exp.From(this=latest.subquery("t")),
    )
    db.execute(update, {"key": name})


def log_identity(db: Database, decisions: pd.DataFrame, first_id: int, now: dt.datetime) -> None:
    """Append identity `decisions` (decision, profile_id, detail) with ids from `first_id`."""
    with db.views(kith_log=decisions):
        db.execute(
            "INSERT INTO identity_log (id, logged_at, decision, profile_id, detail) "
            "SELECT $first + row_number() OVER () - 1, $now, decision, profile_id, detail "
            "FROM kith_log",
            {"first": first_id, "now": now},
        )


def allocate(db: Database, counts: dict[str, int]) -> dict[str, int]:
    """Reserve ids in several spaces of `counters` in one statement (as `Database.allocate_ids`
    does for one): the first id per space. Runs inside the batch's write transaction."""
    wanted = {space: n for space, n in counts.items() if n > 0}
    if not wanted:
        return {}
    rows = db.rows(
        "INSERT INTO counters SELECT unnest($spaces), unnest($counts) ON CONFLICT (name) "
        "DO UPDATE SET value = counters.value + excluded.value RETURNING name, value",
        {"spaces": list(wanted), "counts": list(wanted.values())},
    )
    return {str(name): int(last) - wanted[str(name)] + 1 for name, last in rows}


def drop_staging(db: Database) -> None:
    """Drop the batch's temporary tables (its views are dropped by the statements that read
    them)."""
    db.execute(
        "DROP TABLE IF EXISTS kith_keys; DROP TABLE IF EXISTS kith_traits; "
        "DROP TABLE IF EXISTS kith_sagg; DROP TABLE IF EXISTS kith_new_sessions; "
        "DROP TABLE IF EXISTS kith_sold; DROP TABLE IF EXISTS kith_srename"
    )


# ---- sessions ----------------------------------------------------------------------------------


# Computed session ids look like this; explicit ones (sent by the client) are any other text and
# never take part in the regrouping below.
_COMPUTED_ID = "regexp_full_match(s.id, 's-[0-9a-f]{20}')"


@dataclass(frozen=True, slots=True)
class NearSessions:
    """Stored computed sessions, column by column: profile, channel number, start and end
    (epoch microseconds), id, event count, channel, source and device."""

    profile_id: np.ndarray
    chan: np.ndarray
    start_us: np.ndarray
    end_us: np.ndarray
    id: np.ndarray
    n: np.ndarray
    channel: np.ndarray
    source: np.ndarray
    device: np.ndarray


def sessions_near(db: Database, lines: pa.Table, channels: list[str], gap_us: int) -> NearSessions:
    """The stored computed sessions a batch's `lines` (profile_id, chan, us: those needing a
    session) could join, extend or bridge: per profile and channel, the sessions within the
    timeout of its lines' first and last time. Channels are numbered as in
    engine/ingest/sessions.line_arrays (0: one outside `channels`)."""
    with db.views(kith_slines=lines):
        found = db.execute(
            "WITH w AS (SELECT profile_id, chan, min(us) AS lo, max(us) AS hi FROM kith_slines "
            "GROUP BY ALL) SELECT s.profile_id, s.chan, epoch_us(s.started_at) AS start_us, "
            "epoch_us(s.ended_at) AS end_us, s.id, s.event_count::BIGINT AS n, s.channel, "
            "s.source, s.device FROM (SELECT *, coalesce(list_position($channels, channel), 0) "
            "AS chan FROM sessions WHERE channel IS NOT NULL AND profile_id IN "
            "(SELECT profile_id FROM w)) s "
            "JOIN w ON s.profile_id = w.profile_id AND s.chan = w.chan "
            "WHERE epoch_us(s.ended_at) >= w.lo - $gap AND epoch_us(s.started_at) <= w.hi + $gap "
            "AND " + _COMPUTED_ID,
            {"channels": channels, "gap": gap_us},
        ).fetchnumpy()
    return NearSessions(**found)


# A computed session's id is that of its first atom (ties: the smallest): a stored session's own
# id, or for a line the hash of its channel and message id, so the same events give the same
# ids whatever order and batches they arrive in.
_COMPUTED_SESSIONS = (
    "WITH cand AS (SELECT skey, coalesce(stored_id, 's-' || substr(md5(channel || '|' || "
    "message_id), 1, 20)) AS id, channel, source, device, "
    "json_extract_string(properties, '$.url') AS landing_page FROM kith_sfirst), "
    "chosen AS (SELECT skey, min(id) AS id, first(channel ORDER BY id) AS channel, "
    "first(source ORDER BY id) AS source, first(device ORDER BY id) AS device, "
    "first(landing_page ORDER BY id) AS landing_page FROM cand GROUP BY skey) "
    "SELECT ns.skey, c.id, ns.profile_id, c.channel, make_timestamp(ns.started_us) AS "
    "started_at, make_timestamp(ns.ended_us) AS ended_at, ns.n::INTEGER AS n, c.source, "
    "c.device, c.landing_page, true AS computed FROM kith_ns ns JOIN chosen c ON c.skey = ns.skey"
)
# Explicit session ids, aggregated over the lines that carry one (`kith_rowp` lines up with
# `kith_b` row by row).
_EXPLICIT_SESSIONS = (
    "SELECT NULL, session_id, min(profile_id), any_value(channel), min(ts), max(ts), "
    "count(*)::INTEGER, any_value(source), any_value(device), NULL, false FROM (SELECT b.*, "
    + _PROFILE
    + " AS profile_id FROM kith_b b POSITIONAL JOIN kith_rowp r) "
    "WHERE session_id IS NOT NULL GROUP BY session_id"
)


@dataclass(frozen=True)
class Regrouped:
    """The batch's computed sessions, as engine/ingest/sessions.regroup found them: `sessions`
    (skey, profile_id, started_us, ended_us, n), `firsts` (skey, stored_id, channel,
    message_id, source, device, properties: the atoms at each session's start; a stored one has
    no properties) and `stored` (skey, old: the stored sessions each one takes in)."""

    sessions: pa.Table
    firsts: pa.Table
    stored: pa.Table


def build_sessions(db: Database, batch: Staging, computed: Regrouped, explicit: bool) -> None:
    """`kith_sagg`: the batch's sessions, computed ones with their final ids and, when some
    line brings one (`explicit`), those with an explicit session id; `kith_sold`: the stored
    sessions the computed ones take in."""
    union = " UNION ALL " + _EXPLICIT_SESSIONS if explicit else ""
    views = {"kith_ns": computed.sessions, "kith_sfirst": computed.firsts}
    with db.views(**views):
        db.execute("CREATE OR REPLACE TEMP TABLE kith_sagg AS " + _COMPUTED_SESSIONS + union)
    with db.views(kith_sst=computed.stored):
        db.execute("CREATE OR REPLACE TEMP TABLE kith_sold AS SELECT skey, old FROM kith_sst")


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """Computed sessions, column by column: the session key and the session's id."""

    skey: np.ndarray
    id: np.ndarray


def session_ids(db: Database) -> SessionKeys:
    """The computed sessions' keys and ids (`kith_sagg` rows with a key), to label the lines."""
    found = db.execute("SELECT skey, id FROM kith_sagg WHERE skey IS NOT NULL").fetchnumpy()
    return SessionKeys(**found)


# Stored sessions a computed one took in under another id: renamed (a late line became its first
# event) or absorbed (a line bridged the gap between two).
_RENAMED = (
    "CREATE OR REPLACE TEMP TABLE kith_srename AS SELECT o.old, a.id AS new FROM kith_sold o "
    "JOIN kith_sagg a ON a.skey = o.skey WHERE o.old <> a.id"
)
_REGROUP_STORED = (
    # a renamed session's start events go, and so does their part of the count it brings
    "UPDATE kith_sagg SET n = n - gone.k FROM (SELECT r.new AS id, count(*)::INTEGER AS k "
    "FROM events e JOIN kith_srename r ON e.session_id = r.old "
    "WHERE e.type = 'session_started' GROUP BY r.new) gone WHERE kith_sagg.id = gone.id",
    "DELETE FROM events WHERE type = 'session_started' AND session_id IN "
    "(SELECT old FROM kith_srename)",
    "UPDATE events SET session_id = r.new FROM kith_srename r WHERE events.session_id = r.old",
    "UPDATE merge_moves SET ref = r.new FROM kith_srename r "
    "WHERE merge_moves.kind = 'session' AND merge_moves.ref = r.old",
    "DELETE FROM sessions WHERE id IN (SELECT old FROM kith_sold)",
)


@dataclass(frozen=True)
class Recorded:
    """What `record_sessions` wrote: sessions that `began` (took in no stored one), how many
    are `staged` for a `session_started` event (those and the renamed ones), and how many
    stored sessions were `joined` into another (a late event bridged the gap between them):
    `began - joined` is how many sessions the batch added."""

    began: int
    staged: int
    joined: int


def record_sessions(db: Database, regrouping: bool, continuing: bool) -> Recorded:
    """Write the batch's sessions. Computed ones replace the stored sessions they take in
    (`regrouping`: some do), whose events follow a new id and whose `session_started` events
    go; explicit ones extend a stored session of that id (`continuing`: one may exist) or are
    new. Stages in `kith_new_sessions` the sessions that need a `session_started` event (new,
    or renamed)."""
    joined = 0
    if regrouping:
        joined = int(db.scalar("SELECT count(*) - count(DISTINCT skey) FROM kith_sold"))
        db.execute(_RENAMED)
        if db.scalar("SELECT count(*) FROM kith_srename"):
            for statement in _REGROUP_STORED[:4]:
                db.execute(statement)
        db.execute(_REGROUP_STORED[4])
    if continuing:
        db.execute(
            "UPDATE sessions SET started_at = least(sessions.started_at, a.started_at), "
            "ended_at = greatest(sessions.ended_at, a.ended_at), "
            "event_count = sessions.event_count + a.n, "
            "device = coalesce(sessions.device, a.device) FROM kith_sagg a "
            "WHERE sessions.id = a.id AND NOT a.computed"
        )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_new_sessions AS SELECT a.*, "
        "a.computed AND a.skey NOT IN (SELECT skey FROM kith_sold) AS began FROM kith_sagg a "
        "WHERE (a.computed AND a.id NOT IN (SELECT old FROM kith_sold)) "
        "OR (NOT a.computed AND a.id NOT IN (SELECT id FROM sessions))"
    )
    db.execute(
        "INSERT INTO sessions (id, profile_id, channel, started_at, ended_at, event_count, "
        "source, device) SELECT id, profile_id, channel, started_at, ended_at, n, source, "
        "device FROM kith_sagg a WHERE a.computed OR a.id IN (SELECT id FROM kith_new_sessions)"
    )
    began, staged = db.rows(
        "SELECT count(*) FILTER (WHERE began OR NOT computed), count(*) FROM kith_new_sessions"
    )[0]
    return Recorded(int(began), int(staged), joined)


def count_session_starts(db: Database, session_ids: Sequence[str]) -> None:
    """Count the `session_started` events recorded for these new sessions in their
    event_count, which holds every event stored with the session's id."""
    db.execute(
        "UPDATE sessions SET event_count = event_count + 1 "
        "WHERE id IN (SELECT unnest($ids::VARCHAR[]))",
        {"ids": list(session_ids)},
    )


@dataclass(frozen=True, slots=True)
class SessionStarts:
    """New sessions needing a `session_started` event, column by column: session id, profile,
    channel, source, start (epoch microseconds) and the event's properties (JSON text)."""

    id: np.ndarray
    profile_id: np.ndarray
    channel: np.ndarray
    source: np.ndarray
    us: np.ndarray
    properties: np.ndarray


def session_starts(db: Database, batch: Staging) -> SessionStarts:
    """The new sessions (`kith_new_sessions`) that still need a `session_started` event: not
    recorded before, nor among the batch's own `events`; with the event's properties (the
    session's device, and its landing page: the url of its first event, computed sessions
    only)."""
    found = db.execute(
        "SELECT s.id, s.profile_id, s.channel, s.source, epoch_us(s.started_at) AS us, "
        "json_object('device', s.device, 'landing_page', s.landing_page)::VARCHAR "
        "AS properties FROM kith_new_sessions s ANTI JOIN (SELECT session_id FROM events "
        "WHERE type = 'session_started' AND session_id IN (SELECT id FROM kith_new_sessions) "
        "UNION ALL SELECT session_id FROM kith_ev WHERE type = 'session_started') e "
        "ON e.session_id = s.id ORDER BY s.started_at, s.id"  # ids follow: the same every run
    ).fetchnumpy()
    return SessionStarts(**found)
