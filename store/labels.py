"""Labels: the static SQL. A profile holds a label at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from store.db import Database


def add(db: Database, ids: Sequence[int], label: str, at: dt.datetime, actor: str) -> list[int]:
    """Label the profiles that do not hold it yet; returns those that changed."""
    rows = db.rows(
        "INSERT INTO labels SELECT q.id, $label, $at, $actor FROM (SELECT DISTINCT unnest($ids) "
        "AS id) q WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.profile_id = q.id AND "
        "l.label = $label) RETURNING profile_id",
        {"ids": list(ids), "label": label, "at": at, "actor": actor},
    )
    return sorted(int(r[0]) for r in rows)


def remove(db: Database, ids: Sequence[int], label: str) -> list[int]:
    rows = db.rows(
        "DELETE FROM labels WHERE label = $label AND profile_id IN (SELECT unnest($ids)) "
        "RETURNING profile_id",
        {"ids": list(ids), "label": label},
    )
    return sorted(int(r[0]) for r in rows)


def of(db: Database, profile_id: int) -> list[str]:
    rows = db.rows(
        "SELECT label FROM labels WHERE profile_id = $id ORDER BY label", {"id": profile_id}
    )
    return [r[0] for r in rows]


def counts(db: Database) -> pd.DataFrame:
    return db.df("SELECT label, count(*) AS profiles FROM labels GROUP BY label ORDER BY label")
