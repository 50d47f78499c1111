"""`ws.users`: the people who log in, their role, and checking a login with a throttle on
failed attempts. There is always one active admin once the first user exists: the last one
can be neither demoted nor disabled."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import deque
from dataclasses import asdict
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel

from engine.access.matrix import ROLES, Role
from engine.access.passwords import (
    DECOY,
    check_strength,
    generated,
    hash_password,
    verify_password,
)
from engine.clock import utcnow
from kith_errors import AuthError, Conflict, NotFound, TooManyAttempts, ValidationError
from store import access as repo

if TYPE_CHECKING:
    from store.db import Database

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# failed logins per username (and per client address) before logins from it are refused for a
# while; each further failure doubles the wait, up to LOCK_MAX
FREE_FAILURES = 5
LOCK_BASE = dt.timedelta(seconds=30)
LOCK_MAX = dt.timedelta(minutes=15)
FAILURE_WINDOW = dt.timedelta(minutes=15)


class User(BaseModel):
    id: int
    username: str
    role: Role
    created_at: dt.datetime
    password_changed_at: dt.datetime
    disabled_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @classmethod
    def of(cls, row: repo.UserRow) -> User:
        return cls(**asdict(row))


class Throttle:
    """Failed attempts per key (a username or an address), kept in the server's memory."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: dt.datetime) -> dt.timedelta:
        """How long `key` must still wait before its next attempt (zero when it may try)."""
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < FREE_FAILURES:
                return dt.timedelta(0)
            lock = min(LOCK_BASE * 2 ** (len(recent) - FREE_FAILURES), LOCK_MAX)
            return max(recent[-1] + lock - now, dt.timedelta(0))

    def failed(self, key: str, now: dt.datetime) -> None:
        with self._lock:
            self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] < now - FAILURE_WINDOW:
            recent.popleft()
        return recent


class Users:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.throttle = Throttle()

    def create(self, username: str, role: str, password: str | None = None) -> tuple[User, str]:
        """A new user and their password (generated when none is given, to hand over once)."""
        username = _valid_username(username)
        role = _valid_role(role)
        password = password if password is not None else generated()
        check_strength(password)
        if repo.user_by_name(self.db, username) is not None:
            raise Conflict(f"a user named {username!r} exists", details={"username": username})
        user_id = self.db.allocate_ids("users", 1)
        hashed = hash_password(password)
        repo.insert_user(self.db, repo.NewUser(user_id, username, role, hashed, utcnow()))
        return self.get(user_id), password

    def list(self) -> pd.DataFrame:
        rows = [asdict(row) for row in repo.all_users(self.db)]
        frame = pd.DataFrame(rows, columns=list(User.model_fields))
        frame["active"] = frame["disabled_at"].isna()
        return frame

    def get(self, user_id: int) -> User:
        row = repo.user_by_id(self.db, user_id)
        if row is None:
            raise NotFound(f"no user with id {user_id}", details={"id": user_id})
        return User.of(row)

    def named(self, username: str) -> User:
        row = repo.user_by_name(self.db, username)
        if row is None:
            raise NotFound(f"no user named {username!r}", details={"username": username})
        return User.of(row)

    def active(self, username: str) -> User:
        """The user named `username`, who must not be disabled."""
        user = self.named(username)
        if not user.active:
            raise ValidationError(
                f"the user {username!r} is disabled", details={"username": username}
            )
        return user

    def count(self) -> int:
        return repo.user_count(self.db)

    def set_role(self, username: str, role: str) -> User:
        user, role = self.named(username), _valid_role(role)
        if user.role == "admin" and role != "admin":
            self._keep_an_admin(user)
        repo.set_role(self.db, user.id, role)
        return self.get(user.id)

    def disable(self, username: str) -> User:
        """The user can no longer log in; their sessions end and their keys stop working."""
        user = self.named(username)
        if user.role == "admin":
            self._keep_an_admin(user)
        now = utcnow()
        repo.set_disabled(self.db, user.id, now)
        repo.end_sessions_of(self.db, user.id, now)
        return self.get(user.id)

    def enable(self, username: str) -> User:
        user = self.named(username)
        repo.set_disabled(self.db, user.id, None)
        return self.get(user.id)

    def reset_password(self, username: str, password: str | None = None) -> str:
        """Set a new password (generated when none is given) and end the user's sessions."""
        user = self.named(username)
        password = password if password is not None else generated()
        check_strength(password)
        now = utcnow()
        repo.set_password(self.db, user.id, hash_password(password), now)
        repo.end_sessions_of(self.db, user.id, now)
        return password

    def authenticate(self, username: str, password: str, *, client: str = "") -> User:
        """The active user with this username and password. Refused (AuthError) otherwise, and
        refused without checking while the username or the client is throttled."""
        keys = [f"user:{username.strip().lower()}", f"client:{client}"]
        now = utcnow()
        waits = [self.throttle.wait(key, now) for key in keys]
        if max(waits) > dt.timedelta(0):
            seconds = int(max(waits).total_seconds()) + 1
            raise TooManyAttempts(
                f"too many failed logins; try again in {seconds} s",
                details={"retry_after": seconds},
            )
        user = self._check(username, password)
        if user is None:
            for key in keys:
                self.throttle.failed(key, now)
            raise AuthError("wrong username or password, or the user is disabled")
        for key in keys:
            self.throttle.succeeded(key)
        return user

    def _check(self, username: str, password: str) -> User | None:
        row = repo.user_by_name(self.db, username.strip()) if username.strip() else None
        stored = repo.password_hash(self.db, row.id) if row else None
        matches = verify_password(password, stored or DECOY)
        if row is None or stored is None or not matches or row.disabled_at is not None:
            return None
        return User.of(row)

    def _keep_an_admin(self, user: User) -> None:
        if user.active and repo.active_admins(self.db) <= 1:
            raise Conflict(
                f"{user.username!r} is the last active admin; make another admin first",
                details={"username": user.username},
            )


def _valid_username(username: str) -> str:
    username = username.strip()
    if not USERNAME.match(username):
        raise ValidationError(
            "a username has 1 to 64 characters: letters, digits and . _ @ - "
            "(starting with a letter or digit)",
            details={"username": username},
        )
    return username


def _valid_role(role: str) -> Role:
    if role not in ROLES:
        raise ValidationError(
            f"unknown role {role!r}; use one of: {', '.join(ROLES)}",
            details={"role": role, "allowed": list(ROLES)},
        )
    return role
