"""API keys: the static SQL over `api_keys`. Only hashes are stored, never the key itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from store.db import Database

_SELECT = "SELECT id, name, prefix, scope, created_at, revoked_at, user_id FROM api_keys "


def insert(db: Database, row: dict[str, Any]) -> None:
    """One key: id, name, prefix, hash, scope, at, user (the owner's id, None for ingest keys)."""
    with db.transaction():
        db.execute(
            "INSERT INTO api_keys (id, name, prefix, key_hash, scope, created_at, user_id) "
            "VALUES ($id, $name, $prefix, $hash, $scope, $at, $user)",
            row,
        )


def by_hash(db: Database, key_hash: str) -> dict[str, Any] | None:
    rows = db.dicts(_SELECT + "WHERE key_hash = $hash", {"hash": key_hash})
    return rows[0] if rows else None


def by_id(db: Database, key_id: int) -> dict[str, Any] | None:
    rows = db.dicts(_SELECT + "WHERE id = $id", {"id": key_id})
    return rows[0] if rows else None


def all_keys(db: Database) -> list[dict[str, Any]]:
    return db.dicts(_SELECT + "ORDER BY id")


def revoke(db: Database, key_id: int, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE api_keys SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL",
            {"id": key_id, "at": at},
        )
