"""API write keys: created once (the key is shown only then), stored as a sha256 hash with a
short prefix for recognition, scoped `ingest` (the /v1 tracking API) or `read_write` (also the
/api REST API), and revocable. A read_write key belongs to a user and acts with that user's
role (engine/access/); ingest keys belong to nobody and only feed /v1."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel

from engine.clock import utcnow
from kith_errors import AuthError, Forbidden, NotFound, ValidationError
from store import keys as repo
from store.db import Database

if TYPE_CHECKING:
    from engine.access.users import Users

Scope = Literal["ingest", "read_write"]
SCOPES: tuple[Scope, ...] = ("ingest", "read_write")
KEY_PREFIX = "kith_"
_LIST_COLUMNS = ["id", "name", "prefix", "scope", "created_at", "revoked_at", "user_id"]
PREFIX_LENGTH = 12  # "kith_" plus 7 characters: enough to tell keys apart in a list


class ApiKey(BaseModel):
    id: int
    name: str
    prefix: str
    scope: Scope
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    user_id: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        """read_write keys may do everything; ingest keys only ingest."""
        return self.scope == "read_write" or scope == "ingest"


class CreatedKey(ApiKey):
    key: str  # the secret itself: returned once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    """`ws.keys`. Successful lookups are cached per process (the server authenticates every
    request); create and revoke clear the cache, and only this process writes the file."""

    def __init__(self, db: Database, users: Users) -> None:
        self.db = db
        self.users = users  # who a read_write key acts for
        self._cache: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def create(self, name: str, *, scope: str = "ingest", user: str | None = None) -> CreatedKey:
        """A new key; a read_write key needs `user`, the username it acts for."""
        name = _valid_name(name)
        checked = _check_scope(scope)
        user_id = self._owner(scope, user)
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        row = repo.NewKey(
            id=self.db.allocate_ids("api_keys", 1),
            name=name,
            prefix=key[:PREFIX_LENGTH],
            hash=hash_key(key),
            scope=scope,
            at=utcnow(),
            user=user_id,
        )
        repo.insert(self.db, row)
        self._forget()
        return CreatedKey(
            id=row.id,
            name=name,
            prefix=row.prefix,
            scope=checked,
            created_at=row.at,
            user_id=user_id,
            key=key,
        )

    def _owner(self, scope: str, user: str | None) -> int | None:
        if scope == "ingest":
            if user is not None:
                raise ValidationError(
                    "ingest keys belong to no user (they only send to /v1)",
                    details={"scope": scope, "user": user},
                )
            return None
        if user is None:
            raise ValidationError(
                "a read_write key acts for a user: name the user it belongs to",
                details={"scope": scope},
            )
        return self.users.active(user).id

    def list(self) -> pd.DataFrame:
        rows = [asdict(row) for row in repo.all_keys(self.db)]
        frame = pd.DataFrame(rows, columns=_LIST_COLUMNS)
        frame["active"] = frame["revoked_at"].isna()
        return frame

    def get(self, key_id: int) -> ApiKey:
        row = repo.by_id(self.db, key_id)
        if row is None:
            raise NotFound(f"no API key with id {key_id}", details={"id": key_id})
        return ApiKey(**asdict(row))

    def revoke(self, key_id: int) -> ApiKey:
        self.get(key_id)
        repo.revoke(self.db, key_id, utcnow())
        self._forget()
        return self.get(key_id)

    def authenticate(self, key: str, scope: Scope = "ingest") -> ApiKey:
        """The active key for `key`: AuthError when unknown or revoked, Forbidden (an AuthError
        with code `forbidden`) when its scope does not allow `scope`."""
        found = self._lookup(key)
        if found is None or not found.active:
            raise AuthError("missing, unknown or revoked API key")
        if not found.allows(scope):
            raise Forbidden(
                f"the API key {found.prefix}… has scope {found.scope!r}; this needs {scope!r}",
                details={"key": found.prefix, "scope": found.scope, "needs": scope},
            )
        return found

    def _lookup(self, key: str) -> ApiKey | None:
        digest = hash_key(key)
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None:
            return cached
        row = repo.by_hash(self.db, digest)
        if row is None:
            return None
        found = ApiKey(**asdict(row))
        with self._lock:
            self._cache[digest] = found
        return found

    def _forget(self) -> None:
        with self._lock:
            self._cache.clear()


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "an API key needs a name of 1 to 100 characters", details={"name": name}
        )
    return name


def _check_scope(scope: str) -> Scope:
    """The scope, once it is known to be one of SCOPES."""
    for known in SCOPES:
        if scope == known:
            return known
    raise ValidationError(
        f"unknown scope {scope!r}; use one of: {', '.join(SCOPES)}",
        details={"scope": scope, "allowed": list(SCOPES)},
    )
