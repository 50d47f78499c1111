"""Saved segments, static list members, materialized membership with history: the static SQL.

List additions arrive as DataFrames of ids, which the functions here register as views for
their own statements; a full refresh's fresh members as the query that finds them; a scoped
refresh's few changes as bound lists; every statement here is set-based."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from store.db import Database, render

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """A saved segment as stored: a dynamic one has its `expression`, a compound one its
    `compound_op` and the names it combines (`compound_of`, None for other kinds)."""

    id: int
    name: str
    kind: str
    expression: str | None
    compound_op: str | None
    compound_of: list[str] | None
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    refreshed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class SegmentDefinition:
    """What saving a segment writes (`now`: when), for a new segment or over an old one."""

    name: str
    kind: str
    expression: str | None
    compound_op: str | None
    compound_of: list[str] | None
    description: str | None
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class SegmentVersion:
    """An earlier definition of a segment, kept when it was replaced."""

    version: int
    kind: str
    expression: str | None
    compound_op: str | None
    compound_of: list[str] | None
    description: str | None
    saved_at: dt.datetime
    replaced_at: dt.datetime


_SELECT = (
    "SELECT id, name, kind, expression, compound_op, compound_of, description, created_at, "
    "updated_at, refreshed_at FROM segments "
)


def _parts(text: str | None) -> list[str] | None:
    """A compound's part names from their JSON text (None when there are none)."""
    return json.loads(text) if text else None


def _written(row: SegmentDefinition, segment_id: int) -> dict[str, Any]:
    parts = None if row.compound_of is None else json.dumps(row.compound_of)
    return {
        "id": segment_id,
        "kind": row.kind,
        "expression": row.expression,
        "compound_op": row.compound_op,
        "compound_of": parts,
        "description": row.description,
        "now": row.now,
    }


def insert(db: Database, segment_id: int, row: SegmentDefinition) -> None:
    db.execute(
        "INSERT INTO segments (id, name, kind, expression, compound_op, compound_of, description, "
        "created_at, updated_at) VALUES ($id, $name, $kind, $expression, $compound_op, "
        "$compound_of, $description, $now, $now)",
        {**_written(row, segment_id), "name": row.name},
    )


def update(db: Database, segment_id: int, row: SegmentDefinition) -> None:
    """The segment's definition replaced (its name stays)."""
    db.execute(
        "UPDATE segments SET kind = $kind, expression = $expression, compound_op = $compound_op, "
        "compound_of = $compound_of, description = $description, updated_at = $now "
        "WHERE id = $id",
        _written(row, segment_id),
    )


def _segment(row: dict[str, Any]) -> SegmentRow:
    return SegmentRow(**{**row, "compound_of": _parts(row["compound_of"])})


def get(db: Database, name: str) -> SegmentRow | None:
    rows = db.dicts(_SELECT + "WHERE name = $name", {"name": name})
    return _segment(rows[0]) if rows else None


def all_rows(db: Database) -> list[SegmentRow]:
    return [_segment(row) for row in db.dicts(_SELECT + "ORDER BY name")]


def marker(db: Database) -> tuple[int, Any, int]:
    """Moves whenever a segment is saved, redefined or deleted: (count, latest save, id sum)."""
    row = db.rows("SELECT count(*), max(updated_at), coalesce(sum(id), 0) FROM segments")[0]
    return int(row[0]), row[1], int(row[2])


def names_by_id(db: Database) -> dict[int, str]:
    return {int(r[0]): str(r[1]) for r in db.rows("SELECT id, name FROM segments")}


_DELETES = (
    "DELETE FROM segment_members WHERE segment_id = $id",
    "DELETE FROM list_members WHERE segment_id = $id",
    "DELETE FROM segment_history WHERE segment_id = $id",
    "DELETE FROM segment_sizes WHERE segment_id = $id",
    "DELETE FROM segment_versions WHERE segment_id = $id",
    "DELETE FROM segments WHERE id = $id",
)


# ---- earlier definitions -----------------------------------------------------------------------

_VERSIONS = (
    "SELECT version, kind, expression, compound_op, compound_of, description, saved_at, "
    "replaced_at FROM segment_versions WHERE segment_id = $id "
)


def keep_version(db: Database, segment_id: int, now: dt.datetime) -> int:
    """Copy the segment's current definition into its versions (the next number); returns the
    number. Run inside the transaction that replaces the definition."""
    db.execute(
        "INSERT INTO segment_versions SELECT s.id, coalesce((SELECT max(version) FROM "
        "segment_versions WHERE segment_id = s.id), 0) + 1, s.kind, s.expression, "
        "s.compound_op, s.compound_of, s.description, s.updated_at, $now "
        "FROM segments s WHERE s.id = $id",
        {"id": segment_id, "now": now},
    )
    sql = "SELECT max(version) FROM segment_versions WHERE segment_id = $id"
    return int(db.scalar(sql, {"id": segment_id}))


def versions(db: Database, segment_id: int) -> pd.DataFrame:
    """The segment's earlier definitions, newest first."""
    return db.df(
        _VERSIONS + "ORDER BY version DESC",
        {"id": segment_id},
    )


def version(db: Database, segment_id: int, number: int) -> SegmentVersion | None:
    rows = db.dicts(
        _VERSIONS + "AND version = $version",
        {"id": segment_id, "version": number},
    )
    if not rows:
        return None
    return SegmentVersion(**{**rows[0], "compound_of": _parts(rows[0]["compound_of"])})


def delete(db: Database, segment_id: int) -> None:
    with db.transaction():
        for statement in _DELETES:
            db.execute(statement, {"id": segment_id})


# One pass over the window's history: each entry (+1) or exit (-1) is put in the first day
# boundary it lies after (k: 0 = now, 1 = a day ago, ...), summed per segment and k; a boundary's
# size is today's size minus every move after it.
_OVERVIEW = (
    "WITH sizes AS (SELECT segment_id, count(*) AS size FROM segment_members "
    "GROUP BY segment_id), "
    "bounds AS (SELECT back FROM range(0, $days + 1) AS t(back)), "
    "moves AS (SELECT segment_id, greatest(CAST(floor(date_diff('second', changed_at, $now) "
    "/ 86400.0) AS BIGINT) + 1, 0) AS k, "
    "CAST(sum(CASE WHEN change = 'entered' THEN 1 ELSE -1 END) AS BIGINT) AS net "
    "FROM segment_history WHERE changed_at > $now - to_days($days) GROUP BY ALL), "
    "after AS (SELECT m.segment_id, b.back, CAST(sum(m.net) AS BIGINT) AS net FROM moves m "
    "JOIN bounds b ON m.k <= b.back GROUP BY ALL), "
    "series AS (SELECT s.id, list(coalesce(n.size, 0) - coalesce(a.net, 0) "
    "ORDER BY b.back DESC) AS sizes, "
    "coalesce(max(a.net) FILTER (WHERE b.back = $days), 0) AS trend "
    "FROM segments s CROSS JOIN bounds b LEFT JOIN sizes n ON n.segment_id = s.id "
    "LEFT JOIN after a ON a.segment_id = s.id AND a.back = b.back GROUP BY s.id), "
    "everyone AS (SELECT count(*) AS n FROM profiles) "
    "SELECT s.name, s.kind, coalesce(n.size, 0) AS size, "
    "coalesce(n.size, 0) / greatest(e.n, 1) AS share, x.trend, x.sizes, s.refreshed_at "
    "FROM segments s CROSS JOIN everyone e LEFT JOIN sizes n ON n.segment_id = s.id "
    "JOIN series x ON x.id = s.id ORDER BY s.name"
)


def overview(db: Database, now: dt.datetime, days: int) -> pd.DataFrame:
    """name, kind, size, share (of all profiles), trend (entries minus exits recorded in the
    `days` days up to `now`: the size change over that time), sizes (the size at each of those
    days' ends, oldest first, replayed from the history), refreshed_at."""
    return db.df(_OVERVIEW, {"now": now, "days": days})


def population(db: Database) -> int:
    """How many profiles there are."""
    return int(db.scalar("SELECT count(*) FROM profiles"))


# ---- static lists ----------------------------------------------------------------------------


def add_list_members(
    db: Database, segment_id: int, picked: pd.DataFrame, actor: str, now: dt.datetime
) -> int:
    """Add the `picked` ids (column id) that are profiles and not yet on the list; returns how
    many."""
    before = _list_size(db, segment_id)
    with db.views(_segment_picked=picked):
        db.execute(
            "INSERT INTO list_members SELECT $id, d.id, $now, $actor FROM "
            "(SELECT DISTINCT id FROM _segment_picked) d WHERE d.id IN (SELECT id FROM profiles) "
            "AND d.id NOT IN (SELECT profile_id FROM list_members WHERE segment_id = $id)",
            {"id": segment_id, "now": now, "actor": actor},
        )
    return _list_size(db, segment_id) - before


def remove_list_members(db: Database, segment_id: int, picked: pd.DataFrame) -> int:
    before = _list_size(db, segment_id)
    with db.views(_segment_picked=picked):
        db.execute(
            "DELETE FROM list_members WHERE segment_id = $id "
            "AND profile_id IN (SELECT id FROM _segment_picked)",
            {"id": segment_id},
        )
    return before - _list_size(db, segment_id)


def _list_size(db: Database, segment_id: int) -> int:
    sql = "SELECT count(*) FROM list_members WHERE segment_id = $id"
    return int(db.scalar(sql, {"id": segment_id}))


# ---- materialized membership -----------------------------------------------------------------

_FRESH_DIFF = (
    "CREATE OR REPLACE TEMP TABLE _segment_diff AS WITH fresh AS ({fresh}), "
    "stored AS (SELECT profile_id AS id FROM segment_members WHERE segment_id = $segment_id) "
    "SELECT coalesce(f.id, s.id) AS profile_id, f.id IS NOT NULL AS entered "
    "FROM (SELECT DISTINCT id FROM fresh) f FULL JOIN stored s ON f.id = s.id "
    "WHERE f.id IS NULL OR s.id IS NULL"
)
_DROP_EXITED = (
    "DELETE FROM segment_members m USING _segment_diff d WHERE m.segment_id = $segment_id "
    "AND NOT d.entered AND m.profile_id = d.profile_id"
)
_RECORD_DIFF = (
    "INSERT INTO segment_history SELECT $segment_id, profile_id, "
    "CASE WHEN entered THEN 'entered' ELSE 'exited' END, $now FROM _segment_diff"
)
_ADD_DIFF = (
    "INSERT INTO segment_members SELECT $segment_id, profile_id, $now FROM _segment_diff "
    "WHERE entered"
)


def apply_fresh(
    db: Database, segment_id: int, fresh: exp.Expr, params: dict[str, Any], now: dt.datetime
) -> list[tuple[int, bool]]:
    """Diff a full evaluation (`fresh`: a query of member ids, with its parameters) with the
    stored members, set-based: drop who exited, add who entered, record both in the history
    and the size; returns the (profile_id, entered) changes in id order."""
    own = {"segment_id": segment_id}
    with db.transaction():  # a failure rolls the temporary table back with the rest
        db.execute(_FRESH_DIFF.format(fresh=render(fresh)), {**params, **own})
        db.execute(_DROP_EXITED, own)
        db.execute(_RECORD_DIFF, {**own, "now": now})
        db.execute(_ADD_DIFF, {**own, "now": now})
        changes = db.rows("SELECT profile_id, entered FROM _segment_diff ORDER BY profile_id")
        db.execute("DROP TABLE _segment_diff")
        record_size(db, segment_id, now)
    return [(int(pid), bool(entered)) for pid, entered in changes]


def apply_fresh_members(
    db: Database, segment_id: int, members: pd.DataFrame, now: dt.datetime
) -> list[tuple[int, bool]]:
    """`apply_fresh` for members computed elsewhere (Spark): `members` has one column, id."""
    with db.views(_segment_fresh=members):
        fresh = exp.select("id").from_("_segment_fresh")
        return apply_fresh(db, segment_id, fresh, {}, now)


# A scoped refresh's changes, bound as three equally long lists (zipped by UNNEST).
_CHANGES = (
    "(SELECT unnest($segment_ids::BIGINT[]) AS segment_id, "
    "unnest($profile_ids::BIGINT[]) AS profile_id, unnest($entered::BOOLEAN[]) AS entered) c"
)
_DROP_CHANGED = (
    "DELETE FROM segment_members m USING " + _CHANGES + " WHERE NOT c.entered "
    "AND m.segment_id = c.segment_id AND m.profile_id = c.profile_id"
)
_RECORD_CHANGES = (
    "INSERT INTO segment_history SELECT c.segment_id, c.profile_id, "
    "CASE WHEN c.entered THEN 'entered' ELSE 'exited' END, $now FROM " + _CHANGES
)
_ADD_ENTERED = (
    "INSERT INTO segment_members SELECT c.segment_id, c.profile_id, $now FROM "
    + _CHANGES
    + " WHERE c.entered"
)


def apply_changes(db: Database, rows: list[tuple[int, int, bool]], now: dt.datetime) -> None:
    """Apply a scoped refresh's diff, rows of (segment_id, profile_id, entered): drop who
    exited, add who entered, record both in the history; one transaction."""
    segment_ids, profile_ids, entered = (list(column) for column in zip(*rows, strict=True))
    params = {"segment_ids": segment_ids, "profile_ids": profile_ids, "entered": entered}
    with db.transaction():
        db.execute(_DROP_CHANGED, params)
        db.execute(_RECORD_CHANGES, {**params, "now": now})
        db.execute(_ADD_ENTERED, {**params, "now": now})


def record_size(db: Database, segment_id: int, now: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO segment_sizes SELECT $id, $now, count(*) FROM segment_members "
            "WHERE segment_id = $id",
            {"id": segment_id, "now": now},
        )
        db.execute(
            "UPDATE segments SET refreshed_at = $now WHERE id = $id", {"id": segment_id, "now": now}
        )


def sizes(db: Database, segment_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT measured_at, size FROM segment_sizes WHERE segment_id = $id ORDER BY measured_at",
        {"id": segment_id},
    )


def changes(db: Database, segment_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT profile_id, change, changed_at FROM segment_history WHERE segment_id = $id "
        "ORDER BY changed_at, profile_id",
        {"id": segment_id},
    )


def memberships(db: Database, profile_id: int) -> list[str]:
    rows = db.rows(
        "SELECT s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id "
        "WHERE m.profile_id = $id ORDER BY s.name",
        {"id": profile_id},
    )
    return [str(r[0]) for r in rows]


def profile_rows(db: Database, ids: list[int]) -> pd.DataFrame:
    """id, name, email, phone, identities (a list of {type, value}) for `ids`, in id order."""
    return db.df(
        "SELECT p.id, p.name, p.email, p.phone, coalesce(i.identities, []) AS identities "
        "FROM profiles p LEFT JOIN (SELECT profile_id, "
        "list({'type': type, 'value': value} ORDER BY type, value) AS identities "
        "FROM identities WHERE profile_id IN (SELECT unnest($ids)) GROUP BY profile_id) i "
        "ON i.profile_id = p.id WHERE p.id IN (SELECT unnest($ids)) ORDER BY p.id",
        {"ids": ids},
    )


def size(db: Database, segment_id: int) -> int:
    sql = "SELECT count(*) FROM segment_members WHERE segment_id = $id"
    return int(db.scalar(sql, {"id": segment_id}))
