"""The audit trail: who changed what, when, with the value before and after.

Every service records through here, so entries look the same whoever writes them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from engine.clock import utcnow
from store import audit as repo
from store.db import Database

if TYPE_CHECKING:
    import pandas as pd


class HasDb(Protocol):
    """Whatever holds the workspace's database: the facade, or a service."""

    db: Database


AUDIT_IDS = "audit_log"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def record(
    owner: HasDb,
    actor: str,
    entity: str,
    entity_id: str | int | None,
    action: str,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit entry."""
    record_changes(owner, actor, entity, entity_id, action, [(field, before, after)])


def record_changes(
    owner: HasDb,
    actor: str,
    entity: str,
    entity_id: str | int | None,
    action: str,
    changes: Sequence[tuple[str | None, Any, Any]],
    *,
    at: dt.datetime | None = None,
) -> None:
    """Append one entry per (field, before, after), all at the same instant."""
    if not changes:
        return
    first = owner.db.allocate_ids(AUDIT_IDS, len(changes))
    when = at or utcnow()
    key = None if entity_id is None else str(entity_id)
    rows = [
        (first + i, when, actor, entity, key, action, field, _json(before), _json(after))
        for i, (field, before, after) in enumerate(changes)
    ]
    repo.insert(owner.db, rows)


def record_bulk(
    owner: HasDb,
    actor: str,
    entity: str,
    entity_ids: Sequence[int | str],
    action: str,
    field: str | None = None,
) -> None:
    """One entry per entity without values (bulk label changes, imports), set-based."""
    if not entity_ids:
        return
    first = owner.db.allocate_ids(AUDIT_IDS, len(entity_ids))
    ids = [str(i) for i in entity_ids]
    repo.insert_for_ids(owner.db, first, utcnow(), actor, entity, ids, action, field)


def history(
    owner: HasDb, entity: str, entity_id: str | int, field: str | None = None
) -> pd.DataFrame:
    """Entries of one entity, oldest first; before/after parsed back from JSON."""
    import pandas as pd  # here: writing an entry needs no pandas

    frame = repo.history(owner.db, entity, str(entity_id), field)
    for column in ("before", "after"):
        values = [json.loads(v) if isinstance(v, str) else None for v in frame[column]]
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame
