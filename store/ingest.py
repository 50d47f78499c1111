"""Ingestion: the static SQL of the bulk path. The engine registers a canonical frame as
`kith_in` (see engine/ingest.py for its columns); every step below is set-based over the batch,
in temporary tables of this thread's cursor, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from store.db import Database

# The identity key columns of the staged batch as (line, type, value) rows, one projection per
# type (engine/vocab.py order): cheaper than UNPIVOT, and nulls are skipped before the union.
_KEY_ROWS = (
    "SELECT _line, 'user_id' AS type, user_id AS value FROM kith_b WHERE user_id IS NOT NULL "
    "UNION ALL SELECT _line, 'email', email FROM kith_b WHERE email IS NOT NULL "
    "UNION ALL SELECT _line, 'phone', phone FROM kith_b WHERE phone IS NOT NULL "
    "UNION ALL SELECT _line, 'whatsapp', whatsapp FROM kith_b WHERE whatsapp IS NOT NULL "
    "UNION ALL SELECT _line, 'sms', sms FROM kith_b WHERE sms IS NOT NULL "
    "UNION ALL SELECT _line, 'instagram', instagram FROM kith_b WHERE instagram IS NOT NULL "
    "UNION ALL SELECT _line, 'telegram', telegram FROM kith_b WHERE telegram IS NOT NULL "
    "UNION ALL SELECT _line, 'line', line FROM kith_b WHERE line IS NOT NULL "
    "UNION ALL SELECT _line, 'facebook', facebook FROM kith_b WHERE facebook IS NOT NULL "
    "UNION ALL SELECT _line, 'tiktok', tiktok FROM kith_b WHERE tiktok IS NOT NULL "
    "UNION ALL SELECT _line, 'widget', widget FROM kith_b WHERE widget IS NOT NULL "
    "UNION ALL SELECT _line, 'anonymous_id', anonymous_id FROM kith_b "
    "WHERE anonymous_id IS NOT NULL"
)


# The narrow staged batch: what dedupe, identity keys, sessions and profile times need, never the
# wide JSON columns (the events are inserted straight from `kith_in`). Identity values: trimmed,
# blanks are missing; emails lower-cased; phones in E.164 ("+" and 8-15 digits, "00" read as "+")
# when they look like one, else the cleaned value as given. A properties/context value that is
# not a JSON object only flags its line (`_bad_props`, `_bad_ctx`) for rejection.
_NORMALISE = (
    "SELECT _line, message_id, ts, channel, source, device, _reject, _trait_reason, "
    "nullif(trim(user_id), '') AS user_id, "
    "nullif(lower(trim(email)), '') AS email, "
    "CASE WHEN regexp_full_match(ltrim(ph, '+'), '[1-9][0-9]{7,14}') THEN '+' || ltrim(ph, '+') "
    "ELSE nullif(ph, '') END AS phone, "
    "nullif(trim(whatsapp), '') AS whatsapp, nullif(trim(sms), '') AS sms, "
    "nullif(trim(instagram), '') AS instagram, nullif(trim(telegram), '') AS telegram, "
    "nullif(trim(line), '') AS line, nullif(trim(facebook), '') AS facebook, "
    "nullif(trim(tiktok), '') AS tiktok, nullif(trim(widget), '') AS widget, "
    "nullif(trim(anonymous_id), '') AS anonymous_id, "
    "nullif(trim(session_id), '') AS session_id, "
    "properties IS NOT NULL AND NOT coalesce(starts_with(ltrim(properties), '{') "
    "AND json_valid(properties), FALSE) AS _bad_props, "
    "context IS NOT NULL AND NOT coalesce(starts_with(ltrim(context), '{') "
    "AND json_valid(context), FALSE) AS _bad_ctx FROM (SELECT *, "
    r"regexp_replace(regexp_replace(trim(phone), '[\s\-().\/]', '', 'g'), '^00', '+') AS ph "
    "FROM "
)
# the input with the reasons trait validation gave (`kith_trait_bad`), or none to give
_WITH_TRAIT_REASONS = "kith_in LEFT JOIN kith_trait_bad USING (_line))"
_NO_TRAIT_REASONS = "(SELECT *, NULL::VARCHAR AS _trait_reason FROM kith_in))"
_REASON = (
    "CASE WHEN _reject IS NOT NULL THEN _reject WHEN _trait_reason IS NOT NULL THEN _trait_reason "
    "WHEN coalesce(user_id, email, phone, whatsapp, sms, instagram, telegram, line, facebook, "
    "tiktok, widget, anonymous_id) IS NULL "
    "THEN 'no identity: needs userId, anonymousId or another identity key' "
    r"WHEN email IS NOT NULL AND NOT regexp_full_match(email, '[^@\s]+@[^@\s]+\.[^@\s]+') "
    "THEN 'email ''' || email || ''' is not an email address' "
    "WHEN _bad_props THEN 'properties is not a JSON object' "
    "WHEN _bad_ctx THEN 'context is not a JSON object' END"
)


def stage(db: Database, trait_reasons: bool) -> tuple[list[tuple[int, str]], int]:
    """Normalise `kith_in` into the narrow `kith_b` keeping only the good, new lines; returns
    the rejected lines with their reasons and the number of duplicates: a message_id already
    stored, or seen on an earlier good line of the batch. `trait_reasons`: `kith_trait_bad`
    exists."""
    source = _WITH_TRAIT_REASONS if trait_reasons else _NO_TRAIT_REASONS
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_b AS SELECT * "
        "EXCLUDE (_reject, _trait_reason, _bad_props, _bad_ctx), "
        + _REASON
        + " AS _reason FROM ("
        + _NORMALISE
        + source
        + ")"
    )
    # one statement removes both kinds; a duplicate comes back without a reason
    removed = db.rows(
        "DELETE FROM kith_b WHERE _reason IS NOT NULL OR _line IN ("
        "SELECT _line FROM (SELECT _line, message_id, row_number() OVER "
        "(PARTITION BY message_id ORDER BY _line) AS n FROM kith_b WHERE _reason IS NULL) "
        "WHERE n > 1 OR message_id IN (SELECT e.message_id FROM events e "
        "SEMI JOIN kith_in i ON i.message_id = e.message_id)) RETURNING _line, _reason"
    )
    rejected = [(int(a), str(b)) for a, b in removed if b is not None]
    return rejected, len(removed) - len(rejected)


def bad_trait_values(db: Database, names: list[str]) -> list[tuple[str, str]]:
    """Distinct (key, JSON value) of traits in `kith_in` that name one of `names`."""
    rows = db.rows(
        "SELECT DISTINCT j.key, j.value::VARCHAR FROM kith_in, json_each(kith_in.traits) j "
        "WHERE kith_in.traits IS NOT NULL AND json_valid(kith_in.traits) "
        "AND json_type(kith_in.traits) = 'OBJECT' AND list_contains($names, j.key)",
        {"names": names},
    )
    return [(str(k), str(v)) for k, v in rows]


def trait_rejections(db: Database) -> None:
    """`kith_trait_bad` (_line, _trait_reason): lines whose traits hold a value refused by the
    registered `kith_trait_check` (key, value, reason)."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_trait_bad AS SELECT kith_in._line, "
        "min(c.reason) AS _trait_reason FROM kith_in, json_each(kith_in.traits) j "
        "JOIN kith_trait_check c ON c.key = j.key AND c.value = j.value::VARCHAR "
        "WHERE kith_in.traits IS NOT NULL AND json_valid(kith_in.traits) "
        "AND json_type(kith_in.traits) = 'OBJECT' AND c.reason IS NOT NULL GROUP BY kith_in._line"
    )


def extract_keys(db: Database, blocked: list[str], priority: list[str]) -> dict[str, Any]:
    """Identity keys per message: `kith_keys` holds the unique keys with their stored profile
    (blocked values, checked once per distinct value, left out); returns the (line, key) pairs,
    the blocked values seen, and the lines left with no key, which are rejected and removed."""
    db.execute("CREATE OR REPLACE TEMP TABLE kith_rk_all AS " + _KEY_ROWS)
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_keys AS "
        "WITH d AS (SELECT type, value FROM (SELECT DISTINCT type, value FROM kith_rk_all) "
        "WHERE NOT list_contains($blocked, lower(trim(value)))), "
        "s AS (SELECT i.type, i.value, min(i.profile_id) AS profile_id FROM identities i "
        "SEMI JOIN d ON d.type = i.type AND d.value = i.value GROUP BY i.type, i.value) "
        "SELECT (row_number() OVER () - 1)::BIGINT AS key, d.type, "
        "d.value, coalesce(s.profile_id, -1)::BIGINT AS profile_id, "
        "(list_position($priority, d.type) - 1)::INTEGER AS prio "
        "FROM d LEFT JOIN s ON s.type = d.type AND s.value = d.value",
        {"blocked": blocked, "priority": priority},
    )
    # a blocked key has no row in kith_keys: its pairs come back with key -1
    pairs = db.execute(
        "SELECT r._line, coalesce(k.key, -1) AS key FROM kith_rk_all r LEFT JOIN kith_keys k "
        "ON k.type = r.type AND k.value = r.value"
    ).fetchnumpy()
    found = np.asarray(pairs["key"], dtype=np.int64) >= 0
    pairs = {"_line": np.asarray(pairs["_line"])[found], "key": pairs["key"][found]}
    if found.all():
        return {"pairs": pairs, "blocked": [], "keyless": []}
    blocked_seen = db.dicts(
        "SELECT r.type, r.value, count(*) AS messages FROM kith_rk_all r "
        "ANTI JOIN kith_keys k ON k.type = r.type AND k.value = r.value "
        "GROUP BY r.type, r.value ORDER BY 1, 2"
    )
    keyless = db.rows(
        "DELETE FROM kith_b WHERE _line NOT IN (SELECT r._line FROM kith_rk_all r "
        "SEMI JOIN kith_keys k ON k.type = r.type AND k.value = r.value) RETURNING _line"
    )
    keyless_lines = sorted(int(r[0]) for r in keyless)
    return {"pairs": pairs, "blocked": blocked_seen, "keyless": keyless_lines}


def graph_arrays(db: Database, channels: list[str]) -> dict[str, Any]:
    """The arrays identity resolution and sessions need (engine/identity.Graph,
    engine/sessions.py): keys (with their stored profile's creation time), the stored
    profiles' identities, and per line its time, channel number (1-based in `channels`, 0 for
    none), whether it needs a session assigned, and whether it brings its own session id."""
    keys = db.df(
        "SELECT k.type, k.value, k.profile_id, k.prio, p.created_at FROM kith_keys k "
        "LEFT JOIN profiles p ON p.id = k.profile_id ORDER BY k.key"
    )
    lines = db.execute(
        "SELECT _line, epoch_us(ts) AS us, "
        "coalesce(list_position($channels, channel), 0)::INTEGER AS chan, "
        "channel IS NOT NULL AND session_id IS NULL AS open, "
        "session_id IS NOT NULL AS explicit FROM kith_b",
        {"channels": channels},
    ).fetchnumpy()
    held = keys[keys["profile_id"] >= 0]
    profiles = held.drop_duplicates("profile_id")[["profile_id", "created_at"]]
    profiles = profiles.rename(columns={"profile_id": "id"}).reset_index(drop=True)
    return {"keys": keys, "lines": lines, "profiles": profiles, "stored": _stored(db, held)}


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


def line_ts(lines: dict[str, np.ndarray]) -> np.ndarray:
    """Event time (epoch microseconds) indexed by line."""
    numbers = lines["_line"].astype(np.int64)
    out = np.zeros(int(numbers.max()) + 1 if len(numbers) else 0, dtype=np.int64)
    out[numbers] = lines["us"].astype(np.int64)
    return out


def insert_profiles(db: Database, now: dt.datetime, source: str | None) -> None:
    """New profiles (ids registered as `kith_newp`); seen times are set by `touch_profiles`."""
    db.execute(
        "INSERT INTO profiles (id, created_at, updated_at, source, properties) "
        "SELECT id, $now, $now, $source, '{}' FROM kith_newp",
        {"now": now, "source": source},
    )


def insert_identities(db: Database, now: dt.datetime, source: str) -> None:
    """New identities, each known since the first message of the batch that carried it (so
    `has channel` evaluated as of a past moment sees imported history as it happened)."""
    db.execute(
        "INSERT INTO identities (profile_id, type, value, created_at, source) "
        "SELECT n.profile_id, n.type, n.value, least($now, coalesce(f.first_ts, $now)), $source "
        "FROM kith_newid n LEFT JOIN (SELECT r.type, r.value, min(b.ts) AS first_ts "
        "FROM kith_rk_all r JOIN kith_b b ON b._line = r._line GROUP BY r.type, r.value) f "
        "ON f.type = n.type AND f.value = n.value",
        {"now": now, "source": source},
    )


def event_type_names(db: Database) -> list[str]:
    """Names of the registered event types."""
    return [str(r[0]) for r in db.rows("SELECT name FROM event_types")]


# `kith_rowp` is built from `kith_b` read in its stored order, and `kith_evp` from `kith_in`'s
# lines in theirs, so each pair lines up row by row and a positional join replaces a hash join
# over the whole batch; the check makes any misalignment fail loudly instead of mislabelling.
_PROFILE = (
    "CASE WHEN r._line = b._line THEN r.profile_id "
    "ELSE error('staged lines out of order: ' || b._line || ' vs ' || r._line) END"
)


def insert_events(
    db: Database, ids: tuple[int, int], now: dt.datetime, batch_id: int, registered: list[str]
) -> None:
    """The batch's events straight from `kith_in` (its JSON values were checked while staging),
    with their profile and computed session from `kith_evp` (_line, profile_id, session_id; a
    profile of -1 marks a line not stored); `ids` is (first id, first line)."""
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $first + _line - $base, message_id, profile_id, coalesce(sid, session_id), "
        "type, ts, $now, channel, source, properties, context, "
        "list_contains($registered, type), channel IS NULL AND sid IS NULL, $batch "
        "FROM (SELECT " + _PROFILE + " AS profile_id, nullif(trim(b.session_id), '') AS sid, "
        "r.session_id, b.* EXCLUDE (session_id) FROM kith_in b POSITIONAL JOIN kith_evp r) "
        "WHERE profile_id >= 0",
        {"first": ids[0], "base": ids[1], "now": now, "batch": batch_id, "registered": registered},
    )


def touch_profiles(db: Database, now: dt.datetime) -> list[int]:
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


def stage_traits(db: Database) -> None:
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


def log_identity(db: Database, first_id: int, now: dt.datetime) -> None:
    """Append the identity decisions registered as `kith_log` (decision, profile_id, detail)."""
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
    registered = ("kith_in", "kith_rowp", "kith_evp", "kith_newp", "kith_newid", "kith_log")
    for name in (*registered, "kith_ns", "kith_trait_check"):
        db.unregister(name)
    db.execute(
        "DROP TABLE IF EXISTS kith_b; DROP TABLE IF EXISTS kith_rk_all; "
        "DROP TABLE IF EXISTS kith_keys; DROP TABLE IF EXISTS kith_traits; "
        "DROP TABLE IF EXISTS kith_dk; "
        "DROP TABLE IF EXISTS kith_sagg; DROP TABLE IF EXISTS kith_trait_bad; "
        "DROP TABLE IF EXISTS kith_new_sessions"
    )


# ---- sessions ----------------------------------------------------------------------------------


def last_sessions(db: Database, channels: list[str]) -> dict[str, np.ndarray]:
    """Each batch profile's latest stored session per channel (from `kith_rowp`), with the
    channel numbered as in `graph_arrays`, for a batch that continues it."""
    return db.execute(
        "SELECT profile_id, coalesce(list_position($channels, channel), 0)::INTEGER AS chan, "
        "epoch_us(max(ended_at)) AS us, arg_max(id, ended_at) AS id FROM sessions "
        "WHERE channel IS NOT NULL AND profile_id IN (SELECT profile_id FROM kith_rowp) "
        "GROUP BY profile_id, channel",
        {"channels": channels},
    ).fetchnumpy()


def build_sessions(db: Database) -> None:
    """`kith_sagg`: the batch's sessions. Computed ones come registered as `kith_ns` (skey,
    profile_id, started/ended in epoch us, n, first_line, prev_id): a continued session keeps
    its id, a new one gets a deterministic id (hash of profile, channel, first message).
    Explicit session ids are aggregated here."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_sagg AS "
        "SELECT s.skey, coalesce(s.prev_id, 's-' || substr(md5(s.profile_id::VARCHAR || '|' "
        "|| b.channel || '|' || b.message_id), 1, 20)) AS id, s.profile_id, b.channel, "
        "make_timestamp(s.started_us) AS started_at, make_timestamp(s.ended_us) AS ended_at, "
        "s.n::INTEGER AS n, b.source, b.device FROM kith_ns s JOIN kith_b b "
        "ON b._line = s.first_line UNION ALL "
        "SELECT NULL, b.session_id, min(r.profile_id), any_value(b.channel), min(b.ts), "
        "max(b.ts), count(*)::INTEGER, any_value(b.source), any_value(b.device) "
        "FROM kith_b b JOIN kith_rowp r ON r._line = b._line WHERE b.session_id IS NOT NULL "
        "GROUP BY b.session_id"
    )


def session_ids(db: Database) -> dict[str, np.ndarray]:
    """The computed sessions' keys and ids (`kith_sagg` rows with a key), to label the lines."""
    return db.execute("SELECT skey, id FROM kith_sagg WHERE skey IS NOT NULL").fetchnumpy()


def record_sessions(db: Database, continuing: bool) -> int:
    """Extend stored sessions the batch continued (`continuing`: it may have), stage new ones
    in `kith_new_sessions` and insert them; returns how many began."""
    if continuing:
        db.execute(
            "UPDATE sessions SET started_at = least(sessions.started_at, a.started_at), "
            "ended_at = greatest(sessions.ended_at, a.ended_at), "
            "event_count = sessions.event_count + a.n, "
            "device = coalesce(sessions.device, a.device) FROM kith_sagg a WHERE sessions.id = a.id"
        )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_new_sessions AS SELECT a.* FROM kith_sagg a "
        "ANTI JOIN sessions s ON s.id = a.id"
    )
    (inserted,) = db.rows(
        "INSERT INTO sessions (id, profile_id, channel, started_at, ended_at, event_count, "
        "source, device) SELECT id, profile_id, channel, started_at, ended_at, n, source, "
        "device FROM kith_new_sessions"
    )[0]
    return int(inserted)


def insert_session_starts(db: Database, first_id: int, now: dt.datetime, batch_id: int) -> None:
    """One `session_started` event per new session, at its start (message id derived from
    the session id, so it is recorded once)."""
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $first + row_number() OVER () - 1, 'session_started:' || s.id, "
        "s.profile_id, s.id, 'session_started', s.started_at, $now, s.channel, s.source, "
        "'{}', '{}', TRUE, FALSE, $batch FROM kith_new_sessions s "
        "ANTI JOIN (SELECT session_id FROM events WHERE type = 'session_started' "
        "AND session_id IN (SELECT id FROM kith_new_sessions)) e ON e.session_id = s.id",
        {"first": first_id, "now": now, "batch": batch_id},
    )
