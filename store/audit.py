"""Audit log: the static SQL over `audit_log` (append-only; erase only blanks PII)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from store.db import Database

if TYPE_CHECKING:
    import pandas as pd

_COLUMNS = "id, changed_at, actor, entity, entity_id, action, field, before, after"


def insert(db: Database, rows: Sequence[tuple[object, ...]]) -> None:
    """Append entries given as tuples in `_COLUMNS` order (before/after already JSON text)."""
    import pandas as pd  # here: reading the trail needs no pandas

    frame = pd.DataFrame(list(rows), columns=[c.strip() for c in _COLUMNS.split(",")])
    with db.transaction(), db.views(audit_rows=frame):
        db.execute(
            "INSERT INTO audit_log SELECT id, CAST(changed_at AS TIMESTAMP), actor, entity, "
            "entity_id, action, field, CAST(before AS JSON), CAST(after AS JSON) "
            "FROM audit_rows"
        )


def insert_for_ids(
    db: Database,
    first_id: int,
    at: dt.datetime,
    actor: str,
    entity: str,
    entity_ids: Sequence[str],
    action: str,
    field: str | None,
) -> None:
    """One entry per entity id, set-based (bulk label changes, imports)."""
    db.execute(
        "INSERT INTO audit_log (id, changed_at, actor, entity, entity_id, action, field) "
        "SELECT $first + i - 1, $at, $actor, $entity, e, $action, $field "
        "FROM (SELECT unnest($ids) AS e, generate_subscripts($ids, 1) AS i)",
        {
            "first": first_id,
            "at": at,
            "actor": actor,
            "entity": entity,
            "ids": list(entity_ids),
            "action": action,
            "field": field,
        },
    )


def history(db: Database, entity: str, entity_id: str, field: str | None) -> pd.DataFrame:
    return db.df(
        "SELECT " + _COLUMNS + " FROM audit_log WHERE entity = $entity AND entity_id = $eid "
        "AND ($field IS NULL OR field = $field) ORDER BY changed_at, id",
        {"entity": entity, "eid": entity_id, "field": field},
    )


def delete_for(db: Database, entity: str, entity_ids: Sequence[str]) -> None:
    """Remove an erased entity's entries (their before/after values are personal data)."""
    db.execute(
        "DELETE FROM audit_log WHERE entity = $entity AND list_contains($ids, entity_id)",
        {"entity": entity, "ids": list(entity_ids)},
    )
