"""Merges: the static SQL that folds secondary profiles into primaries, records what moved
(`merge_moves`) and what was replaced (`merges.snapshot`), and puts it all back.

A batch of merges runs as a fixed number of statements over the registered frame `PAIRS`
(merge_id, primary_id, secondary_id, step): within a group, a primary's secondaries fold in
`step` order, and every statement reproduces what merging them one after another would do, so
each merge keeps its own snapshot and moved-row refs and `unmerge` undoes any one of them.

Big tables (identities, events, sessions, consent_log) and notes move by reference: their keys are
recorded and only `profile_id` changes. Small per-profile tables keyed by a name (labels,
consents, static list memberships) are also snapshotted whole, because a merge drops the
secondary's duplicates and may replace the primary's older consent. Saved segments' stored
membership is not moved: it is derived state, and the commit after a merge re-evaluates the
primary and lets the secondary exit every segment (engine/segments/membership.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from store.db import Database
from store.profiles import table_shape

PAIRS = "kith_merge_pairs"
_NO_CHOICES: Mapping[str, str] = {}

# ---- undo, one merge at a time ---------------------------------------------------------------

_BACK_BY_REF = (
    "UPDATE identities SET profile_id = $s WHERE profile_id = $p AND "
    "CAST(json_array(type, value) AS VARCHAR) IN "
    "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'identity')",
    "UPDATE events SET profile_id = $s WHERE profile_id = $p AND id IN "
    "(SELECT CAST(ref AS BIGINT) FROM merge_moves WHERE merge_id = $m AND kind = 'event')",
    "UPDATE sessions SET profile_id = $s WHERE profile_id = $p AND id IN "
    "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'session')",
    "UPDATE consent_log SET profile_id = $s WHERE profile_id = $p AND id IN "
    "(SELECT CAST(ref AS BIGINT) FROM merge_moves WHERE merge_id = $m AND kind = 'consent_log')",
    "UPDATE notes SET profile_id = $s WHERE profile_id = $p AND id IN "
    "(SELECT CAST(ref AS BIGINT) FROM merge_moves WHERE merge_id = $m AND kind = 'note')",
)

# table -> (remove the rows that moved from the primary, restore the snapshotted rows)
_KEYED_BACK: dict[str, tuple[str, str]] = {
    "labels": (
        "DELETE FROM labels WHERE profile_id = $p AND label IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'labels')",
        "INSERT INTO labels BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
    "list_members": (
        "DELETE FROM list_members WHERE profile_id = $p AND CAST(segment_id AS VARCHAR) IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'list_members')",
        "INSERT INTO list_members BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
    "consents": (
        "DELETE FROM consents WHERE profile_id = $p AND CAST(json_array(channel, purpose) AS "
        "VARCHAR) IN (SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'consents')",
        "INSERT INTO consents BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
}

_COUNTS = (
    "SELECT (SELECT count(*) FROM events WHERE profile_id = $s) AS events, "
    "(SELECT count(*) FROM sessions WHERE profile_id = $s) AS sessions, "
    "(SELECT count(*) FROM identities WHERE profile_id = $s) AS identities, "
    "(SELECT count(*) FROM labels WHERE profile_id = $s) AS labels, "
    "(SELECT count(*) FROM consents WHERE profile_id = $s) AS consents, "
    "(SELECT count(*) FROM segment_members WHERE profile_id = $s) "
    "+ (SELECT count(*) FROM list_members WHERE profile_id = $s) AS memberships, "
    "(SELECT count(*) FROM notes WHERE profile_id = $s) AS notes"
)


@dataclass(frozen=True, slots=True)
class MoveCounts:
    """How many rows of each kind a merge of one secondary profile would move."""

    events: int
    sessions: int
    identities: int
    labels: int
    consents: int
    memberships: int  # saved segments' and static lists' together
    notes: int


def counts(db: Database, secondary_id: int) -> MoveCounts:
    return MoveCounts(**db.dicts(_COUNTS, {"s": secondary_id})[0])


def move_back(db: Database, merge_id: int, primary_id: int, secondary_id: int, rows: dict) -> None:
    """Undo one merge: referenced rows go back, keyed rows are restored from the snapshot."""
    for back in _BACK_BY_REF:
        db.execute(back, {"m": merge_id, "p": primary_id, "s": secondary_id})
    for table, (unmove, restore) in _KEYED_BACK.items():
        db.execute(unmove, {"m": merge_id, "p": primary_id})
        _restore(db, table, restore, rows[table])
    _restore(db, "consents", _KEYED_BACK["consents"][1], rows["primary_consents"])


def _restore(db: Database, table: str, sql: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        shape = json.dumps([table_shape(db, table)])
        db.execute(sql, {"rows": json.dumps(rows), "shape": shape})


@dataclass(frozen=True)
class MergeRow:
    """A merge as recorded: who was folded into whom, when, and the snapshot to undo it."""

    id: int
    primary_id: int
    secondary_id: int
    merged_at: dt.datetime
    actor: str | None
    snapshot: str  # JSON: both profile rows and the moved small-table rows
    undone_at: dt.datetime | None


def get(db: Database, merge_id: int) -> MergeRow | None:
    rows = db.dicts(
        "SELECT id, primary_id, secondary_id, merged_at, actor, snapshot, undone_at "
        "FROM merges WHERE id = $id",
        {"id": merge_id},
    )
    return MergeRow(**rows[0]) if rows else None


def later_merge_of(db: Database, profile_id: int, after: dt.datetime) -> int | None:
    """A live merge, made after `after`, that folded `profile_id` into another profile."""
    return db.scalar(
        "SELECT min(id) FROM merges WHERE secondary_id = $id AND undone_at IS NULL "
        "AND merged_at >= $after",
        {"id": profile_id, "after": after},
    )


def mark_undone(db: Database, merge_id: int, at: dt.datetime) -> None:
    db.execute("UPDATE merges SET undone_at = $at WHERE id = $id", {"id": merge_id, "at": at})


def linked(db: Database, profile_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT id, primary_id, secondary_id, merged_at, actor, undone_at FROM merges "
        "WHERE primary_id = $id OR secondary_id = $id ORDER BY merged_at DESC, id DESC",
        {"id": profile_id},
    )


def identity_counts(db: Database, profile_ids: list[int]) -> dict[str, int]:
    """How many distinct values of each identity type the given profiles hold together."""
    rows = db.rows(
        "SELECT type, count(DISTINCT value) FROM identities "
        "WHERE profile_id IN (SELECT unnest($ids)) GROUP BY type ORDER BY type",
        {"ids": [int(i) for i in profile_ids]},
    )
    return {str(kind): int(n) for kind, n in rows}


def merged_counts(db: Database, ids: list[int]) -> dict[int, int]:
    """How many profiles are folded (transitively, by live merges) into each given profile;
    profiles with none are left out."""
    rows = db.rows(
        "WITH RECURSIVE folded(root, id) AS (SELECT id, id FROM (SELECT unnest($ids) AS id) "
        "UNION SELECT f.root, m.secondary_id FROM merges m JOIN folded f "
        "ON m.primary_id = f.id WHERE m.undone_at IS NULL) "
        "SELECT root, count(*) - 1 FROM folded GROUP BY root HAVING count(*) > 1",
        {"ids": [int(i) for i in ids]},
    )
    return {int(root): int(n) for root, n in rows}


def merged_into(db: Database, profile_id: int) -> list[int]:
    """Every profile id folded (transitively, by live merges) into `profile_id`."""
    rows = db.rows(
        "WITH RECURSIVE folded(id) AS (SELECT $id UNION SELECT m.secondary_id FROM merges m "
        "JOIN folded f ON m.primary_id = f.id WHERE m.undone_at IS NULL) "
        "SELECT id FROM folded WHERE id <> $id",
        {"id": profile_id},
    )
    return [int(r[0]) for r in rows]


# ---- merging a batch -------------------------------------------------------------------------

# Every profile of the batch: each group's primary as step 0, its secondaries as steps 1..n.
_MEMBERS = (
    "(SELECT DISTINCT primary_id AS g, 0 AS step, primary_id AS pid FROM kith_merge_pairs "
    "UNION ALL SELECT primary_id, step, secondary_id FROM kith_merge_pairs)"
)

# The primary's row after each step of its group (step 0: as stored), built field by field
# with the rule of one merge: a non-empty value fills an empty one; where both hold one, the
# secondary's wins if it is the more recently updated (after step 1 the primary was updated
# just now, so later secondaries only fill gaps), unless a choice says otherwise.
_STATE = (
    "CREATE OR REPLACE TEMP TABLE kith_merge_state AS WITH steps AS ("
    "SELECT m.g, m.step, to_json(p) AS j, p.properties AS own, "
    "first_value(p.properties) OVER byg AS first_props, "
    "min(p.created_at) OVER upto AS created_at, min(p.first_seen) OVER upto AS first_seen, "
    "max(p.last_seen) OVER upto AS last_seen, "
    "CASE WHEN m.step = 0 THEN p.updated_at ELSE $now END AS updated_at, "
    "CASE WHEN m.step > 0 AND p.updated_at > CASE WHEN m.step = 1 "
    "THEN first_value(p.updated_at) OVER byg ELSE $now END THEN 'override' ELSE 'fill' END AS side "
    "FROM " + _MEMBERS + " m JOIN profiles p ON p.id = m.pid "
    "WINDOW byg AS (PARTITION BY m.g ORDER BY m.step), upto AS (PARTITION BY m.g ORDER BY m.step "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)), "
    "fields AS (SELECT s.g, s.step, f.key AS field, f.value AS v FROM steps s, json_each(s.j) f "
    "WHERE f.key NOT IN ('id', 'created_at', 'updated_at', 'first_seen', 'last_seen', "
    "'properties') UNION ALL "
    "SELECT s.g, s.step, 'properties.' || f.key, f.value FROM steps s, json_each(s.own) f), "
    "choices AS (SELECT unnest(CAST($fields AS VARCHAR[])) AS field, "
    "unnest(CAST($sides AS VARCHAR[])) AS side), "
    "grid AS (SELECT k.g, k.field, s.step, f.v, "
    "f.v IS NOT NULL AND CAST(f.v AS VARCHAR) NOT IN ('null', '\"\"') AS filled, "
    "CASE WHEN s.step = 0 THEN 'fill' WHEN c.side = 'primary' THEN 'never' "
    "WHEN c.side = 'secondary' THEN 'override' ELSE s.side END AS mode "
    "FROM (SELECT DISTINCT g, field FROM fields) k JOIN steps s ON s.g = k.g "
    "LEFT JOIN fields f ON f.g = k.g AND f.field = k.field AND f.step = s.step "
    "LEFT JOIN choices c ON c.field = k.field), "
    "folded AS (SELECT g, step, field, bool_or(v IS NOT NULL) OVER upto AS seen, coalesce("
    "last_value(CASE WHEN filled AND mode = 'override' THEN v END IGNORE NULLS) OVER upto, "
    "first_value(CASE WHEN filled AND mode <> 'never' THEN v END IGNORE NULLS) OVER upto, "
    "first_value(v) OVER upto) AS v FROM grid WINDOW upto AS (PARTITION BY g, field "
    "ORDER BY step ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)), "
    "props AS (SELECT g, step, to_json(map(list(substr(field, 12) ORDER BY field), "
    "list(v ORDER BY field))) AS obj FROM folded "
    "WHERE seen AND starts_with(field, 'properties.') GROUP BY g, step), "
    "entries AS (SELECT g, step, field, v FROM folded WHERE NOT starts_with(field, 'properties.') "
    "UNION ALL SELECT s.g, s.step, unnest([{'field': 'id', 'v': to_json(s.g)}, "
    "{'field': 'created_at', 'v': to_json(s.created_at)}, "
    "{'field': 'updated_at', 'v': to_json(s.updated_at)}, "
    "{'field': 'first_seen', 'v': to_json(s.first_seen)}, "
    "{'field': 'last_seen', 'v': to_json(s.last_seen)}, "
    "{'field': 'properties', 'v': coalesce(p.obj, to_json(s.first_props))}], recursive := true) "
    "FROM steps s LEFT JOIN props p ON p.g = s.g AND p.step = s.step) "
    "SELECT s.g, s.step, CASE WHEN s.step = 0 THEN s.j ELSE to_json(map("
    "list(e.field ORDER BY e.field), list(e.v ORDER BY e.field))) END AS row "
    "FROM steps s JOIN entries e ON e.g = s.g AND e.step = s.step GROUP BY s.g, s.step, s.j"
)

# The consents of a group in step order; a "leader" is newer than everything before it (so it
# moved onto the primary), and the leader before it is the consent it replaced there.
_REPLACED_CONSENTS = (
    "replaced AS (SELECT g, step, to_json(list(json_merge_patch(before, "
    "json_object('profile_id', g)))) AS rows FROM (SELECT *, lag(j) OVER "
    "(PARTITION BY g, channel, purpose ORDER BY step) AS before FROM (SELECT *, max(updated_at) "
    "OVER (PARTITION BY g, channel, purpose ORDER BY step RANGE BETWEEN UNBOUNDED PRECEDING "
    "AND 1 PRECEDING) AS best FROM (SELECT m.g, m.step, c.channel, c.purpose, c.updated_at, "
    "to_json(c) AS j FROM " + _MEMBERS + " m JOIN consents c ON c.profile_id = m.pid)) "
    "WHERE best IS NULL OR updated_at > best) WHERE step > 0 AND before IS NOT NULL "
    "GROUP BY g, step)"
)

_SNAPSHOT = (
    "INSERT INTO merges (id, primary_id, secondary_id, merged_at, actor, snapshot) "
    "WITH kept AS (SELECT profile_id, 'labels' AS t, to_json(list(x)) AS rows FROM labels x "
    "WHERE profile_id IN (SELECT secondary_id FROM kith_merge_pairs) GROUP BY profile_id "
    "UNION ALL SELECT profile_id, 'list_members', to_json(list(x)) FROM list_members x "
    "WHERE profile_id IN (SELECT secondary_id FROM kith_merge_pairs) GROUP BY profile_id "
    "UNION ALL SELECT profile_id, 'consents', to_json(list(x)) FROM consents x "
    "WHERE profile_id IN (SELECT secondary_id FROM kith_merge_pairs) GROUP BY profile_id), "
    + _REPLACED_CONSENTS
    + " SELECT m.merge_id, m.primary_id, m.secondary_id, $at, $actor, json_object("
    "'primary', st.row, 'secondary', to_json(s), 'rows', json_object("
    "'labels', coalesce(kl.rows, '[]'::JSON), "
    "'list_members', coalesce(kli.rows, '[]'::JSON), 'consents', coalesce(kc.rows, '[]'::JSON), "
    "'primary_consents', coalesce(r.rows, '[]'::JSON))) "
    "FROM kith_merge_pairs m JOIN profiles s ON s.id = m.secondary_id "
    "JOIN kith_merge_state st ON st.g = m.primary_id AND st.step = m.step - 1 "
    "LEFT JOIN kept kl ON kl.profile_id = m.secondary_id AND kl.t = 'labels' "
    "LEFT JOIN kept kli ON kli.profile_id = m.secondary_id AND kli.t = 'list_members' "
    "LEFT JOIN kept kc ON kc.profile_id = m.secondary_id AND kc.t = 'consents' "
    "LEFT JOIN replaced r ON r.g = m.primary_id AND r.step = m.step"
)

# kind -> (record the keys of the secondaries' rows, move them onto their primary)
_BY_REF: dict[str, tuple[str, str]] = {
    "identity": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'identity', "
        "CAST(json_array(x.type, x.value) AS VARCHAR) "
        "FROM kith_merge_pairs m JOIN identities x ON x.profile_id = m.secondary_id",
        "UPDATE identities SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE identities.profile_id = m.secondary_id",
    ),
    "event": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'event', CAST(x.id AS VARCHAR) "
        "FROM kith_merge_pairs m JOIN events x ON x.profile_id = m.secondary_id",
        "UPDATE events SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE events.profile_id = m.secondary_id",
    ),
    "session": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'session', x.id "
        "FROM kith_merge_pairs m JOIN sessions x ON x.profile_id = m.secondary_id",
        "UPDATE sessions SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE sessions.profile_id = m.secondary_id",
    ),
    "consent_log": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'consent_log', CAST(x.id AS VARCHAR) "
        "FROM kith_merge_pairs m JOIN consent_log x ON x.profile_id = m.secondary_id",
        "UPDATE consent_log SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE consent_log.profile_id = m.secondary_id",
    ),
    "note": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'note', CAST(x.id AS VARCHAR) "
        "FROM kith_merge_pairs m JOIN notes x ON x.profile_id = m.secondary_id",
        "UPDATE notes SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE notes.profile_id = m.secondary_id",
    ),
}

# A secondary's row is a duplicate when the primary or an earlier secondary of its group holds
# the same key (merged one by one, that row would already sit on the primary).
_EARLIER = (
    "FROM kith_merge_pairs m JOIN " + _MEMBERS + " o ON o.g = m.primary_id AND o.step < m.step "
)

# table -> (record the secondaries' rows that are not duplicates, drop the duplicates, move)
_KEYED: dict[str, tuple[str, str, str]] = {
    "labels": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'labels', x.label "
        "FROM kith_merge_pairs m JOIN labels x ON x.profile_id = m.secondary_id WHERE NOT EXISTS "
        "(SELECT 1 FROM " + _MEMBERS + " o JOIN labels y ON y.profile_id = o.pid "
        "WHERE o.g = m.primary_id AND o.step < m.step AND y.label = x.label)",
        "DELETE FROM labels x WHERE EXISTS (SELECT 1 " + _EARLIER + "JOIN labels y "
        "ON y.profile_id = o.pid WHERE m.secondary_id = x.profile_id AND y.label = x.label)",
        "UPDATE labels SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE labels.profile_id = m.secondary_id",
    ),
    "list_members": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'list_members', "
        "CAST(x.segment_id AS VARCHAR) FROM kith_merge_pairs m JOIN list_members x "
        "ON x.profile_id = m.secondary_id WHERE NOT EXISTS (SELECT 1 FROM " + _MEMBERS + " o "
        "JOIN list_members y ON y.profile_id = o.pid WHERE o.g = m.primary_id "
        "AND o.step < m.step AND y.segment_id = x.segment_id)",
        "DELETE FROM list_members x WHERE EXISTS (SELECT 1 " + _EARLIER + "JOIN "
        "list_members y ON y.profile_id = o.pid WHERE m.secondary_id = x.profile_id "
        "AND y.segment_id = x.segment_id)",
        "UPDATE list_members SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE list_members.profile_id = m.secondary_id",
    ),
    # Per channel and purpose the newest consent of the group stays (ties: the earliest step);
    # a secondary's consent moved if it was newer than every earlier one of its group.
    "consents": (
        "INSERT INTO merge_moves SELECT m.merge_id, 'consents', "
        "CAST(json_array(x.channel, x.purpose) AS VARCHAR) FROM kith_merge_pairs m "
        "JOIN consents x ON x.profile_id = m.secondary_id WHERE NOT EXISTS (SELECT 1 FROM "
        + _MEMBERS
        + " o JOIN consents y ON y.profile_id = o.pid WHERE o.g = m.primary_id "
        "AND o.step < m.step AND y.channel = x.channel AND y.purpose = x.purpose "
        "AND y.updated_at >= x.updated_at)",
        "DELETE FROM consents x WHERE EXISTS (SELECT 1 FROM "
        + _MEMBERS
        + " c JOIN "
        + _MEMBERS
        + " o ON o.g = c.g JOIN consents y ON y.profile_id = o.pid WHERE c.pid = x.profile_id "
        "AND y.channel = x.channel AND y.purpose = x.purpose AND (y.updated_at > x.updated_at "
        "OR (y.updated_at = x.updated_at AND o.step < c.step)))",
        "UPDATE consents SET profile_id = m.primary_id FROM kith_merge_pairs m "
        "WHERE consents.profile_id = m.secondary_id",
    ),
}

_REPLACE_PROFILES = (
    "DELETE FROM profiles WHERE id IN (SELECT pid FROM " + _MEMBERS + ")",
    "INSERT INTO profiles BY NAME SELECT unnest(json_transform(row, $shape)) "
    "FROM kith_merge_state QUALIFY step = max(step) OVER (PARTITION BY g)",
)

_AUDIT = (
    "INSERT INTO audit_log SELECT $first + row_number() OVER (ORDER BY merge_id) - 1, $at, "
    "$actor, 'profile', CAST(primary_id AS VARCHAR), 'merge', NULL, NULL, to_json(secondary_id) "
    "FROM kith_merge_pairs"
)


def merge_pairs(
    db: Database,
    pairs: pd.DataFrame,
    *,
    at: dt.datetime,
    actor: str,
    first_audit_id: int,
    choices: Mapping[str, str] = _NO_CHOICES,
) -> None:
    """Fold every pair of `pairs` (merge_id, primary_id, secondary_id, step) in a fixed number
    of statements: merged rows and snapshots first, then the moves, then the profile rows."""
    with db.transaction(), db.views(**{PAIRS: pairs}):
        db.execute(_STATE, {"now": at, "fields": list(choices), "sides": list(choices.values())})
        db.execute(_SNAPSHOT, {"at": at, "actor": actor})
        _move_rows(db)
        _replace_profiles(db)
        db.execute(_AUDIT, {"first": first_audit_id, "at": at, "actor": actor})
        db.execute("DROP TABLE kith_merge_state")


def _move_rows(db: Database) -> None:
    for record, move_rows in _BY_REF.values():
        db.execute(record)
        db.execute(move_rows)
    for record, drop_dupes, move_rows in _KEYED.values():
        db.execute(record)
        db.execute(drop_dupes)
        db.execute(move_rows)


def _replace_profiles(db: Database) -> None:
    drop, insert = _REPLACE_PROFILES
    db.execute(drop)
    db.execute(insert, {"shape": json.dumps(table_shape(db, "profiles"))})
