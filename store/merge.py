"""Merges: the static SQL that moves a secondary profile's rows onto a primary one, records
what moved (`merge_moves`) and what was replaced (`merges.snapshot`), and puts it all back.

Big tables (identities, events, sessions, consent_log) move by reference: their keys are
recorded and only `profile_id` changes. Small per-profile tables keyed by a name (labels,
consents, segment and list memberships) are also snapshotted whole, because a merge drops the
secondary's duplicates and may replace the primary's older consent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from store.db import Database
from store.profiles import table_shape

# kind -> (record the secondary's keys, move them, move them back)
_BY_REF: dict[str, tuple[str, str, str]] = {
    "identity": (
        "INSERT INTO merge_moves SELECT $m, 'identity', CAST(json_array(type, value) AS VARCHAR) "
        "FROM identities WHERE profile_id = $s",
        "UPDATE identities SET profile_id = $p WHERE profile_id = $s",
        "UPDATE identities SET profile_id = $s WHERE profile_id = $p AND "
        "CAST(json_array(type, value) AS VARCHAR) IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'identity')",
    ),
    "event": (
        "INSERT INTO merge_moves SELECT $m, 'event', CAST(id AS VARCHAR) "
        "FROM events WHERE profile_id = $s",
        "UPDATE events SET profile_id = $p WHERE profile_id = $s",
        "UPDATE events SET profile_id = $s WHERE profile_id = $p AND id IN "
        "(SELECT CAST(ref AS BIGINT) FROM merge_moves WHERE merge_id = $m AND kind = 'event')",
    ),
    "session": (
        "INSERT INTO merge_moves SELECT $m, 'session', id FROM sessions WHERE profile_id = $s",
        "UPDATE sessions SET profile_id = $p WHERE profile_id = $s",
        "UPDATE sessions SET profile_id = $s WHERE profile_id = $p AND id IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'session')",
    ),
    "consent_log": (
        "INSERT INTO merge_moves SELECT $m, 'consent_log', CAST(id AS VARCHAR) "
        "FROM consent_log WHERE profile_id = $s",
        "UPDATE consent_log SET profile_id = $p WHERE profile_id = $s",
        "UPDATE consent_log SET profile_id = $s WHERE profile_id = $p AND id IN "
        "(SELECT CAST(ref AS BIGINT) FROM merge_moves WHERE merge_id = $m "
        "AND kind = 'consent_log')",
    ),
}

# table -> (snapshot the secondary's rows, drop the secondary's duplicates, record + move the
# rest, remove the moved ones from the primary on undo, restore snapshotted rows)
_KEYED: dict[str, tuple[str, str, str, str, str, str]] = {
    "labels": (
        "SELECT to_json(coalesce(list(t), [])) FROM labels t WHERE profile_id = $s",
        "DELETE FROM labels WHERE profile_id = $s AND label IN "
        "(SELECT label FROM labels WHERE profile_id = $p)",
        "INSERT INTO merge_moves SELECT $m, 'labels', label FROM labels WHERE profile_id = $s",
        "UPDATE labels SET profile_id = $p WHERE profile_id = $s",
        "DELETE FROM labels WHERE profile_id = $p AND label IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'labels')",
        "INSERT INTO labels BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
    "segment_members": (
        "SELECT to_json(coalesce(list(t), [])) FROM segment_members t WHERE profile_id = $s",
        "DELETE FROM segment_members WHERE profile_id = $s AND segment_id IN "
        "(SELECT segment_id FROM segment_members WHERE profile_id = $p)",
        "INSERT INTO merge_moves SELECT $m, 'segment_members', CAST(segment_id AS VARCHAR) "
        "FROM segment_members WHERE profile_id = $s",
        "UPDATE segment_members SET profile_id = $p WHERE profile_id = $s",
        "DELETE FROM segment_members WHERE profile_id = $p AND CAST(segment_id AS VARCHAR) IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'segment_members')",
        "INSERT INTO segment_members BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
    "list_members": (
        "SELECT to_json(coalesce(list(t), [])) FROM list_members t WHERE profile_id = $s",
        "DELETE FROM list_members WHERE profile_id = $s AND segment_id IN "
        "(SELECT segment_id FROM list_members WHERE profile_id = $p)",
        "INSERT INTO merge_moves SELECT $m, 'list_members', CAST(segment_id AS VARCHAR) "
        "FROM list_members WHERE profile_id = $s",
        "UPDATE list_members SET profile_id = $p WHERE profile_id = $s",
        "DELETE FROM list_members WHERE profile_id = $p AND CAST(segment_id AS VARCHAR) IN "
        "(SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'list_members')",
        "INSERT INTO list_members BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
    "consents": (
        "SELECT to_json(coalesce(list(t), [])) FROM consents t WHERE profile_id = $s",
        "DELETE FROM consents c WHERE profile_id = $s AND EXISTS (SELECT 1 FROM consents o "
        "WHERE o.profile_id = $p AND o.channel = c.channel AND o.purpose = c.purpose)",
        "INSERT INTO merge_moves SELECT $m, 'consents', "
        "CAST(json_array(channel, purpose) AS VARCHAR) FROM consents WHERE profile_id = $s",
        "UPDATE consents SET profile_id = $p WHERE profile_id = $s",
        "DELETE FROM consents WHERE profile_id = $p AND CAST(json_array(channel, purpose) AS "
        "VARCHAR) IN (SELECT ref FROM merge_moves WHERE merge_id = $m AND kind = 'consents')",
        "INSERT INTO consents BY NAME "
        "SELECT unnest(json_transform($rows, $shape), recursive := true)",
    ),
}

# The primary's consents that a newer consent of the secondary replaces.
_OLDER_PRIMARY_CONSENTS = (
    "SELECT to_json(coalesce(list(c), [])) FROM consents c WHERE profile_id = $p AND EXISTS "
    "(SELECT 1 FROM consents n WHERE n.profile_id = $s AND n.channel = c.channel "
    "AND n.purpose = c.purpose AND n.updated_at > c.updated_at)"
)
_DROP_OLDER_PRIMARY_CONSENTS = (
    "DELETE FROM consents c WHERE profile_id = $p AND EXISTS "
    "(SELECT 1 FROM consents n WHERE n.profile_id = $s AND n.channel = c.channel "
    "AND n.purpose = c.purpose AND n.updated_at > c.updated_at)"
)

_COUNTS = (
    "SELECT (SELECT count(*) FROM events WHERE profile_id = $s) AS events, "
    "(SELECT count(*) FROM sessions WHERE profile_id = $s) AS sessions, "
    "(SELECT count(*) FROM identities WHERE profile_id = $s) AS identities, "
    "(SELECT count(*) FROM labels WHERE profile_id = $s) AS labels, "
    "(SELECT count(*) FROM consents WHERE profile_id = $s) AS consents, "
    "(SELECT count(*) FROM segment_members WHERE profile_id = $s) "
    "+ (SELECT count(*) FROM list_members WHERE profile_id = $s) AS memberships"
)


def counts(db: Database, secondary_id: int) -> dict[str, int]:
    """How many rows of each kind a merge of `secondary_id` would move."""
    return {k: int(v) for k, v in db.dicts(_COUNTS, {"s": secondary_id})[0].items()}


def snapshot_rows(db: Database, primary_id: int, secondary_id: int) -> dict[str, Any]:
    """The secondary's keyed rows, and the primary's consents a merge would replace."""
    ids = {"p": primary_id, "s": secondary_id}
    rows = {t: json.loads(db.scalar(sql[0], {"s": secondary_id})) for t, sql in _KEYED.items()}
    rows["primary_consents"] = json.loads(db.scalar(_OLDER_PRIMARY_CONSENTS, ids))
    return rows


def move(db: Database, merge_id: int, primary_id: int, secondary_id: int) -> None:
    """Move every row of the secondary onto the primary, recording what moved."""
    for record, move_rows, _ in _BY_REF.values():
        db.execute(record, {"m": merge_id, "s": secondary_id})
        db.execute(move_rows, {"p": primary_id, "s": secondary_id})
    db.execute(_DROP_OLDER_PRIMARY_CONSENTS, {"p": primary_id, "s": secondary_id})
    for _, drop_dupes, record, move_rows, _, _ in _KEYED.values():
        db.execute(drop_dupes, {"p": primary_id, "s": secondary_id})
        db.execute(record, {"m": merge_id, "s": secondary_id})
        db.execute(move_rows, {"p": primary_id, "s": secondary_id})


def move_back(db: Database, merge_id: int, primary_id: int, secondary_id: int, rows: dict) -> None:
    """Undo `move`: referenced rows go back, keyed rows are restored from the snapshot."""
    for _, _, back in _BY_REF.values():
        db.execute(back, {"m": merge_id, "p": primary_id, "s": secondary_id})
    for table, (_, _, _, _, unmove, restore) in _KEYED.items():
        db.execute(unmove, {"m": merge_id, "p": primary_id})
        _restore(db, table, restore, rows[table])
    _restore(db, "consents", _KEYED["consents"][5], rows["primary_consents"])


def _restore(db: Database, table: str, sql: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        shape = json.dumps([table_shape(db, table)])
        db.execute(sql, {"rows": json.dumps(rows), "shape": shape})


def insert_merge(
    db: Database,
    merge_id: int,
    primary_id: int,
    secondary_id: int,
    at: dt.datetime,
    actor: str,
    snapshot: dict[str, Any],
) -> None:
    db.execute(
        "INSERT INTO merges (id, primary_id, secondary_id, merged_at, actor, snapshot) "
        "VALUES ($id, $p, $s, $at, $actor, $snapshot)",
        {
            "id": merge_id,
            "p": primary_id,
            "s": secondary_id,
            "at": at,
            "actor": actor,
            "snapshot": json.dumps(snapshot),
        },
    )


def get(db: Database, merge_id: int) -> dict[str, Any] | None:
    rows = db.dicts("SELECT * FROM merges WHERE id = $id", {"id": merge_id})
    return rows[0] if rows else None


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


def merged_into(db: Database, profile_id: int) -> list[int]:
    """Every profile id folded (transitively, by live merges) into `profile_id`."""
    rows = db.rows(
        "WITH RECURSIVE folded(id) AS (SELECT $id UNION SELECT m.secondary_id FROM merges m "
        "JOIN folded f ON m.primary_id = f.id WHERE m.undone_at IS NULL) "
        "SELECT id FROM folded WHERE id <> $id",
        {"id": profile_id},
    )
    return [int(r[0]) for r in rows]
