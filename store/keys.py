"""API keys: the static SQL over `api_keys`. Only hashes are stored, never the key itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from store.db import Database


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A key as stored, without its hash (looked up by it, never read back)."""

    id: int
    name: str
    prefix: str
    scope: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key to store: `hash` is the key's sha256; `user` the owner's id (None for ingest
    keys)."""

    id: int
    name: str
    prefix: str
    hash: str
    scope: str
    at: dt.datetime
    user: int | None


_SELECT = "SELECT id, name, prefix, scope, created_at, revoked_at, user_id FROM api_keys "


def insert(db: Database, key: NewKey) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO api_keys (id, name, prefix, key_hash, scope, created_at, user_id) "
            "VALUES ($id, $name, $prefix, $hash, $scope, $at, $user)",
            asdict(key),
        )


def by_hash(db: Database, key_hash: str) -> KeyRow | None:
    rows = db.dicts(_SELECT + "WHERE key_hash = $hash", {"hash": key_hash})
    return KeyRow(**rows[0]) if rows else None


def by_id(db: Database, key_id: int) -> KeyRow | None:
    rows = db.dicts(_SELECT + "WHERE id = $id", {"id": key_id})
    return KeyRow(**rows[0]) if rows else None


def all_keys(db: Database) -> list[KeyRow]:
    return [KeyRow(**row) for row in db.dicts(_SELECT + "ORDER BY id")]


def revoke(db: Database, key_id: int, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE api_keys SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL",
            {"id": key_id, "at": at},
        )
