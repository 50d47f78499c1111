"""Ingestion: the static SQL of the bulk path. The engine registers a canonical frame as
`kith_in` (see engine/ingest.py for its columns); every step below is set-based over the batch,
in temporary tables of this thread's cursor, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from store.db import Database

# The identity key columns of the canonical frame, as UNPIVOT lists them (engine/vocab.py order).
_UNPIVOT_KEYS = (
    "UNPIVOT (SELECT _line, user_id, email, phone, whatsapp, sms, instagram, telegram, line, "
    "facebook, tiktok, widget, anonymous_id FROM kith_b) "
    "ON user_id, email, phone, whatsapp, sms, instagram, telegram, line, facebook, tiktok, "
    "widget, anonymous_id INTO NAME type VALUE value"
)


# Identity values: trimmed, blanks are missing; emails lower-cased; phones in E.164 ("+" and
# 8-15 digits, "00" read as "+") when they look like one, else the cleaned value as given.
_NORMALISE = (
    "SELECT * EXCLUDE (ph) REPLACE (nullif(trim(user_id), '') AS user_id, "
    "nullif(lower(trim(email)), '') AS email, "
    "CASE WHEN regexp_full_match(ltrim(ph, '+'), '[1-9][0-9]{7,14}') THEN '+' || ltrim(ph, '+') "
    "ELSE nullif(ph, '') END AS phone, "
    "nullif(trim(whatsapp), '') AS whatsapp, nullif(trim(sms), '') AS sms, "
    "nullif(trim(instagram), '') AS instagram, nullif(trim(telegram), '') AS telegram, "
    "nullif(trim(line), '') AS line, nullif(trim(facebook), '') AS facebook, "
    "nullif(trim(tiktok), '') AS tiktok, nullif(trim(widget), '') AS widget, "
    "nullif(trim(anonymous_id), '') AS anonymous_id, "
    "nullif(trim(session_id), '') AS session_id) FROM (SELECT *, "
    r"regexp_replace(regexp_replace(trim(phone), '[\s\-().\/]', '', 'g'), '^00', '+') AS ph "
    "FROM kith_in)"
)
_REASON = (
    "CASE WHEN _reject IS NOT NULL THEN _reject "
    "WHEN coalesce(user_id, email, phone, whatsapp, sms, instagram, telegram, line, facebook, "
    "tiktok, widget, anonymous_id) IS NULL "
    "THEN 'no identity: needs userId, anonymousId or another identity key' "
    r"WHEN email IS NOT NULL AND NOT regexp_full_match(email, '[^@\s]+@[^@\s]+\.[^@\s]+') "
    "THEN 'email ''' || email || ''' is not an email address' "
    "WHEN properties IS NOT NULL AND NOT (json_valid(properties) "
    "AND json_type(properties) = 'OBJECT') THEN 'properties is not a JSON object' "
    "WHEN context IS NOT NULL AND NOT (json_valid(context) "
    "AND json_type(context) = 'OBJECT') THEN 'context is not a JSON object' END"
)


def stage(db: Database) -> list[tuple[int, str]]:
    """Normalise `kith_in` into `kith_b` and take out the rejected lines (returned) and the
    duplicates: a message_id already stored, or seen on an earlier good line of the batch."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_b AS SELECT * EXCLUDE (_reject), "
        + _REASON
        + " AS _reason FROM ("
        + _NORMALISE
        + ")"
    )
    rejected = db.rows("SELECT _line, _reason FROM kith_b WHERE _reason IS NOT NULL")
    db.execute(
        "DELETE FROM kith_b WHERE _reason IS NOT NULL OR _line IN ("
        "SELECT b._line FROM kith_b b SEMI JOIN events e ON e.message_id = b.message_id "
        "WHERE b._reason IS NULL UNION ALL "
        "SELECT b._line FROM kith_b b JOIN (SELECT message_id, min(_line) AS first "
        "FROM kith_b WHERE _reason IS NULL GROUP BY message_id HAVING count(*) > 1) d "
        "ON d.message_id = b.message_id AND b._line > d.first WHERE b._reason IS NULL)"
    )
    return [(int(a), str(b)) for a, b in rejected]


_COUNTS = {
    "kith_b": "SELECT count(*) FROM kith_b",
    "kith_ev": "SELECT count(*) FROM kith_ev",
}


def count(db: Database, table: str) -> int:
    """Rows in one of the staging tables."""
    return int(db.scalar(_COUNTS[table]))


def extract_keys(db: Database, blocked: list[str], priority: list[str]) -> dict[str, Any]:
    """Identity keys per message (blocked values dropped), unique keys with their stored
    profile, and the blocked values seen. Lines left with no key are rejected and removed."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_rk_all AS SELECT _line, type, value, "
        "list_contains($blocked, lower(trim(value))) AS blocked FROM (" + _UNPIVOT_KEYS + ")",
        {"blocked": blocked},
    )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_keys AS "
        "WITH d AS (SELECT DISTINCT type, value FROM kith_rk_all WHERE NOT blocked), "
        "s AS (SELECT i.type, i.value, min(i.profile_id) AS profile_id FROM identities i "
        "SEMI JOIN d ON d.type = i.type AND d.value = i.value GROUP BY i.type, i.value) "
        "SELECT (row_number() OVER (ORDER BY d.type, d.value) - 1)::BIGINT AS key, d.type, "
        "d.value, coalesce(s.profile_id, -1)::BIGINT AS profile_id, "
        "(list_position($priority, d.type) - 1)::INTEGER AS prio "
        "FROM d LEFT JOIN s ON s.type = d.type AND s.value = d.value",
        {"priority": priority},
    )
    blocked_seen = db.dicts(
        "SELECT type, value, count(*) AS messages FROM kith_rk_all WHERE blocked "
        "GROUP BY type, value ORDER BY type, value"
    )
    keyless = db.rows(
        "DELETE FROM kith_b WHERE _line NOT IN "
        "(SELECT _line FROM kith_rk_all WHERE NOT blocked) RETURNING _line"
    )
    return {"blocked": blocked_seen, "keyless": sorted(int(r[0]) for r in keyless)}


def graph_arrays(db: Database) -> dict[str, Any]:
    """The arrays identity resolution needs (engine/identity.Graph)."""
    pairs = db.execute(
        "SELECT r._line, k.key FROM kith_rk_all r JOIN kith_keys k "
        "ON k.type = r.type AND k.value = r.value WHERE NOT r.blocked"
    ).fetchnumpy()
    keys = db.execute(
        "SELECT type, value, profile_id, prio FROM kith_keys ORDER BY key"
    ).fetchnumpy()
    ts = db.execute("SELECT _line, epoch_us(ts) AS us FROM kith_b").fetchnumpy()
    profiles = db.df(
        "SELECT id, created_at FROM profiles WHERE id IN "
        "(SELECT profile_id FROM kith_keys WHERE profile_id >= 0)"
    )
    stored = db.df(
        "SELECT profile_id, type, value FROM identities WHERE profile_id IN "
        "(SELECT profile_id FROM kith_keys WHERE profile_id >= 0)"
    )
    return {"pairs": pairs, "keys": keys, "ts": ts, "profiles": profiles, "stored": stored}


def line_ts(ts: dict[str, np.ndarray]) -> np.ndarray:
    """Event time (epoch microseconds) indexed by line."""
    lines = ts["_line"].astype(np.int64)
    out = np.zeros(int(lines.max()) + 1 if len(lines) else 0, dtype=np.int64)
    out[lines] = ts["us"].astype(np.int64)
    return out


def build_events(db: Database) -> None:
    """`kith_ev`: the batch's good rows with their profile (from the registered `kith_rowp`)."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_ev AS SELECT b._line, r.profile_id, b.message_id, "
        "b.ts, b.channel, b.session_id, b.source, b.device, b.email, b.phone, b.traits "
        "FROM kith_b b JOIN kith_rowp r ON r._line = b._line"
    )


def insert_profiles(db: Database, now: dt.datetime, source: str | None) -> None:
    """New profiles (ids registered as `kith_newp`); seen times are set by `touch_profiles`."""
    db.execute(
        "INSERT INTO profiles (id, created_at, updated_at, source, properties) "
        "SELECT id, $now, $now, $source, '{}' FROM kith_newp",
        {"now": now, "source": source},
    )


def insert_identities(db: Database, now: dt.datetime, source: str) -> None:
    db.execute(
        "INSERT INTO identities (profile_id, type, value, created_at, source) "
        "SELECT profile_id, type, value, $now, $source FROM kith_newid",
        {"now": now, "source": source},
    )


def insert_events(
    db: Database, first_id: int, now: dt.datetime, batch_id: int, standard: list[str]
) -> None:
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $first + row_number() OVER (ORDER BY e._line) - 1, e.message_id, e.profile_id, "
        "e.session_id, b.type, e.ts, $now, e.channel, e.source, b.properties, b.context, "
        "list_contains($standard, b.type) OR b.type IN (SELECT name FROM event_types), "
        "e.channel IS NULL AND e.session_id IS NULL, $batch "
        "FROM kith_ev e JOIN kith_b b ON b._line = e._line",
        {"first": first_id, "now": now, "batch": batch_id, "standard": standard},
    )


def touch_profiles(db: Database, now: dt.datetime) -> list[int]:
    """first_seen/last_seen/updated_at of every profile in the batch; email and phone columns
    filled from the batch's keys where the profile has none. Returns the touched ids."""
    rows = db.rows(
        "UPDATE profiles p SET first_seen = least(coalesce(p.first_seen, a.f), a.f), "
        "last_seen = greatest(coalesce(p.last_seen, a.l), a.l), updated_at = $now, "
        "email = coalesce(p.email, a.email), phone = coalesce(p.phone, a.phone) "
        "FROM (SELECT profile_id, min(ts) AS f, max(ts) AS l, "
        "arg_max(email, ts) FILTER (WHERE email IS NOT NULL) AS email, "
        "arg_max(phone, ts) FILTER (WHERE phone IS NOT NULL) AS phone "
        "FROM kith_ev GROUP BY profile_id) a WHERE p.id = a.profile_id RETURNING p.id",
        {"now": now},
    )
    return sorted(int(r[0]) for r in rows)


def apply_traits(db: Database, standard: list[str]) -> None:
    """Traits of the batch's identify messages, latest value per profile and trait: standard
    fields to their columns, the rest merged into `properties` (JSON null removes a key)."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_traits AS SELECT e.profile_id, j.key, "
        "arg_max(j.value, e.ts) AS value FROM kith_ev e, json_each(e.traits) j "
        "WHERE e.traits IS NOT NULL GROUP BY e.profile_id, j.key"
    )
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
        "FROM kith_traits WHERE NOT list_contains($standard, key) GROUP BY profile_id) t "
        "WHERE p.id = t.profile_id",
        {"standard": standard},
    )


def log_identity(db: Database, first_id: int, now: dt.datetime) -> None:
    """Append the identity decisions registered as `kith_log` (decision, profile_id, detail)."""
    db.execute(
        "INSERT INTO identity_log (id, logged_at, decision, profile_id, detail) "
        "SELECT $first + row_number() OVER () - 1, $now, decision, profile_id, detail "
        "FROM kith_log",
        {"first": first_id, "now": now},
    )


def drop_staging(db: Database) -> None:
    for name in ("kith_in", "kith_rowp", "kith_newp", "kith_newid", "kith_log"):
        db.unregister(name)
    db.execute(
        "DROP TABLE IF EXISTS kith_rej; DROP TABLE IF EXISTS kith_b; "
        "DROP TABLE IF EXISTS kith_rk_all; DROP TABLE IF EXISTS kith_keys; "
        "DROP TABLE IF EXISTS kith_ev; DROP TABLE IF EXISTS kith_traits; "
        "DROP TABLE IF EXISTS kith_last; DROP TABLE IF EXISTS kith_sess; "
        "DROP TABLE IF EXISTS kith_sagg; "
        "DROP TABLE IF EXISTS kith_new_sessions"
    )


# ---- sessions ----------------------------------------------------------------------------------


def assign_sessions(db: Database, gap: dt.timedelta) -> None:
    """Give every channel event of `kith_ev` without an explicit session id a session: per
    profile and channel, a gap longer than `gap` starts a new one; the touched profile's
    latest stored session on that channel takes part, so a batch continuing it extends it.
    New session ids are deterministic (a hash of profile, channel and first message)."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_last AS SELECT profile_id, channel, "
        "arg_max(id, ended_at) AS id, max(ended_at) AS ended_at FROM sessions "
        "WHERE channel IS NOT NULL AND profile_id IN (SELECT profile_id FROM kith_ev) "
        "GROUP BY profile_id, channel"
    )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_sess AS WITH x AS ("
        "SELECT _line, profile_id, channel, ts, message_id, NULL::VARCHAR AS prev FROM kith_ev "
        "WHERE session_id IS NULL AND channel IS NOT NULL UNION ALL "
        "SELECT NULL, profile_id, channel, ended_at, NULL, id FROM kith_last), "
        "g AS (SELECT *, CASE WHEN ts - lag(ts) OVER w <= $gap THEN 0 ELSE 1 END AS brk FROM x "
        "WINDOW w AS (PARTITION BY profile_id, channel ORDER BY ts, _line NULLS FIRST)), "
        "n AS (SELECT *, sum(brk) OVER (PARTITION BY profile_id, channel "
        "ORDER BY ts, _line NULLS FIRST ROWS UNBOUNDED PRECEDING) AS grp FROM g) "
        "SELECT _line, coalesce(max(prev) OVER p, 's-' || substr(md5(profile_id::VARCHAR "
        "|| '|' || channel || '|' || arg_min(message_id, ts) OVER p), 1, 20)) AS sid FROM n "
        "WINDOW p AS (PARTITION BY profile_id, channel, grp) QUALIFY _line IS NOT NULL",
        {"gap": gap},
    )
    db.execute(
        "UPDATE kith_ev SET session_id = s.sid FROM kith_sess s WHERE kith_ev._line = s._line"
    )


def record_sessions(db: Database) -> int:
    """Extend stored sessions the batch continued, stage new ones in `kith_new_sessions`
    and insert them; returns how many began."""
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_sagg AS SELECT session_id AS id, "
        "min(profile_id) AS profile_id, any_value(channel) AS channel, min(ts) AS started_at, "
        "max(ts) AS ended_at, count(*)::INTEGER AS n, any_value(source) AS source, "
        "any_value(device) AS device FROM kith_ev WHERE session_id IS NOT NULL "
        "GROUP BY session_id"
    )
    db.execute(
        "UPDATE sessions SET started_at = least(sessions.started_at, a.started_at), "
        "ended_at = greatest(sessions.ended_at, a.ended_at), "
        "event_count = sessions.event_count + a.n, device = coalesce(sessions.device, a.device) "
        "FROM kith_sagg a WHERE sessions.id = a.id"
    )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_new_sessions AS SELECT a.* FROM kith_sagg a "
        "ANTI JOIN sessions s ON s.id = a.id"
    )
    db.execute(
        "INSERT INTO sessions (id, profile_id, channel, started_at, ended_at, event_count, "
        "source, device) SELECT id, profile_id, channel, started_at, ended_at, n, source, "
        "device FROM kith_new_sessions"
    )
    return int(db.scalar("SELECT count(*) FROM kith_new_sessions"))


def insert_session_starts(db: Database, first_id: int, now: dt.datetime, batch_id: int) -> None:
    """One `session_started` event per new session, at its start (message id derived from
    the session id, so it is recorded once)."""
    db.execute(
        "INSERT INTO events (id, message_id, profile_id, session_id, type, ts, received_at, "
        "channel, source, properties, context, registered, orphaned, batch_id) "
        "SELECT $first + row_number() OVER (ORDER BY s.id) - 1, 'session_started:' || s.id, "
        "s.profile_id, s.id, 'session_started', s.started_at, $now, s.channel, s.source, "
        "'{}', '{}', TRUE, FALSE, $batch FROM kith_new_sessions s "
        "ANTI JOIN events e ON e.message_id = 'session_started:' || s.id",
        {"first": first_id, "now": now, "batch": batch_id},
    )
