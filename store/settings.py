"""Workspace settings: the static SQL over `settings` (key -> JSON value)."""

from __future__ import annotations

import json
from typing import Any

from store.db import Database


def get(db: Database, key: str) -> Any:
    """The stored value of `key`, or None when it was never set."""
    raw = db.scalar("SELECT value FROM settings WHERE key = $key", {"key": key})
    return None if raw is None else json.loads(raw)


def put(db: Database, key: str, value: Any) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO settings VALUES ($key, $value) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            {"key": key, "value": json.dumps(value)},
        )


def delete(db: Database, key: str) -> None:
    with db.transaction():
        db.execute("DELETE FROM settings WHERE key = $key", {"key": key})
