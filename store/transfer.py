"""CSV profile import: the SQL. The engine hands over the parsed file's identities (row, type,
value), its rows joined to their profile ids, and the links (profile_id, type, value); each
function registers the frame it reads as a view for its own statement. The profile columns
written are the file's own (checked by the engine), so those statements are built here."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlglot import exp

from store.db import Database


def matches(db: Database, ids: pd.DataFrame) -> pd.DataFrame:
    """Per file row: how many existing profiles its identities (`ids`) point at, and which."""
    with db.views(import_ids=ids):
        return db.df(
            "SELECT l.row, count(DISTINCT i.profile_id) AS owners, "
            "min(i.profile_id) AS profile_id, "
            "array_to_string(list_sort(list(DISTINCT i.profile_id)), ', ') AS owner_ids "
            "FROM import_ids l JOIN identities i ON i.type = l.type AND i.value = l.value "
            "GROUP BY l.row ORDER BY l.row"
        )


def insert_profiles(db: Database, rows: pd.DataFrame, columns: list[str], now: dt.datetime) -> None:
    """New profiles from `rows` (profile_id and `columns`); `source` defaults to 'import'."""
    with db.views(import_new=rows):
        db.execute(_insert_new(columns), {"now": now})


def update_profiles(db: Database, rows: pd.DataFrame, columns: list[str], now: dt.datetime) -> None:
    """Matched profiles (`rows`: profile_id and `columns`) take the file's non-empty cells."""
    with db.views(import_matched=rows):
        db.execute(_update_matched(columns), {"now": now})


def insert_identities(db: Database, links: pd.DataFrame, at: dt.datetime) -> int:
    """The `links` (profile_id, type, value) no profile holds yet, as identities."""
    with db.views(import_links=links):
        rows = db.rows(
            "INSERT INTO identities SELECT l.profile_id, l.type, l.value, $at, 'import' "
            "FROM import_links l WHERE NOT EXISTS (SELECT 1 FROM identities i "
            "WHERE i.type = l.type AND i.value = l.value) RETURNING profile_id",
            {"at": at},
        )
    return len(rows)


def mappings(db: Database) -> dict[str, dict[str, str]]:
    """Saved column mappings of the import, by name."""
    rows = db.rows("SELECT name, mapping FROM import_mappings ORDER BY name")
    return {str(name): json.loads(mapping) for name, mapping in rows}


def save_mapping(db: Database, name: str, mapping: dict[str, str], at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO import_mappings (name, mapping, created_at, updated_at) "
        "VALUES ($name, $mapping, $at, $at) ON CONFLICT (name) "
        "DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at",
        {"name": name, "mapping": json.dumps(mapping), "at": at},
    )


def delete_mapping(db: Database, name: str) -> None:
    db.execute("DELETE FROM import_mappings WHERE name = $name", {"name": name})


def _col(name: str, table: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def _insert_new(columns: list[str]) -> exp.Expr:
    now = exp.Placeholder(this="now")
    empty = exp.cast(exp.Literal.string("{}"), "JSON")
    values: list[exp.Expr] = [_col(c, "r") for c in columns if c != "source"]
    imported = exp.Literal.string("import")
    has_source = "source" in columns
    values.append(exp.func("coalesce", _col("source", "r"), imported) if has_source else imported)
    select = exp.select(_col("profile_id", "r"), now, now, empty, *values).from_(
        exp.to_table("import_new").as_("r")
    )
    names = ["id", "created_at", "updated_at", "properties"]
    names += [c for c in columns if c != "source"] + ["source"]
    return exp.insert(
        select, "profiles", columns=[exp.to_identifier(n, quoted=True) for n in names]
    )


def _update_matched(columns: list[str]) -> exp.Expr:
    values: dict[Any, object] = {
        exp.to_identifier(c, quoted=True): exp.func("coalesce", _col(c, "r"), _col(c, "profiles"))
        for c in columns
    }
    values[exp.to_identifier("updated_at")] = exp.Placeholder(this="now")
    where = exp.EQ(this=_col("id", "profiles"), expression=_col("profile_id", "r"))
    update = exp.update("profiles", values, where=where)
    update.set("from_", exp.From(this=exp.to_table("import_matched").as_("r")))
    return update
