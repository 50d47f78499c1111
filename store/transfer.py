"""CSV profile import/export: the static SQL. The engine registers the parsed file as
`import_rows` (one row per line) and `import_ids` (row, type, value) before calling these."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from store.db import Database


def matches(db: Database) -> pd.DataFrame:
    """Per file row: how many existing profiles its identities point at, and which."""
    return db.df(
        "SELECT l.row, count(DISTINCT i.profile_id) AS owners, min(i.profile_id) AS profile_id, "
        "array_to_string(list_sort(list(DISTINCT i.profile_id)), ', ') AS owner_ids "
        "FROM import_ids l JOIN identities i ON i.type = l.type AND i.value = l.value "
        "GROUP BY l.row ORDER BY l.row"
    )


# The import plan (file row -> profile id, is it new), passed as three list parameters.
_PLAN = (
    "(SELECT unnest($plan_rows) AS row, unnest($plan_ids) AS profile_id, "
    "unnest($plan_new) AS is_new) plan"
)


def insert_identities(db: Database, at: dt.datetime, plan: dict[str, list[Any]]) -> int:
    """Identities of the planned rows that no profile holds yet."""
    rows = db.rows(
        "INSERT INTO identities SELECT plan.profile_id, l.type, l.value, $at, 'import' "
        "FROM import_ids l JOIN " + _PLAN + " ON plan.row = l.row "
        "WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.type = l.type "
        "AND i.value = l.value) RETURNING profile_id",
        {"at": at, **plan},
    )
    return len(rows)
