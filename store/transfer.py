"""CSV profile import: the static SQL. The engine registers the parsed file's identities as
`import_ids` (row, type, value) and, once each row has its profile, `import_links`
(profile_id, type, value) before calling these."""

from __future__ import annotations

import datetime as dt

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


def insert_identities(db: Database, at: dt.datetime) -> int:
    """Identities of the registered `import_links` (profile_id, type, value) no profile holds."""
    rows = db.rows(
        "INSERT INTO identities SELECT l.profile_id, l.type, l.value, $at, 'import' "
        "FROM import_links l WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.type = l.type "
        "AND i.value = l.value) RETURNING profile_id",
        {"at": at},
    )
    return len(rows)
