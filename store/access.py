"""Team access: the static SQL over `users` and `user_sessions` (engine/access/)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from store.db import Database


@dataclass(frozen=True)
class UserRow:
    """A user as stored, without the password hash (read alone by `password_hash`)."""

    id: int
    username: str
    role: str
    created_at: dt.datetime
    password_changed_at: dt.datetime
    disabled_at: dt.datetime | None


@dataclass(frozen=True)
class NewUser:
    id: int
    username: str
    role: str
    password_hash: str
    at: dt.datetime


@dataclass(frozen=True)
class SessionRow:
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None


_USER = "SELECT id, username, role, created_at, password_changed_at, disabled_at FROM users "


def insert_user(db: Database, user: NewUser) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO users (id, username, role, password_hash, created_at, "
            "password_changed_at) VALUES ($id, $username, $role, $password_hash, $at, $at)",
            asdict(user),
        )


def user_by_id(db: Database, user_id: int) -> UserRow | None:
    found = db.dicts(_USER + "WHERE id = $id", {"id": user_id})
    return UserRow(**found[0]) if found else None


def user_by_name(db: Database, username: str) -> UserRow | None:
    found = db.dicts(_USER + "WHERE lower(username) = lower($name)", {"name": username})
    return UserRow(**found[0]) if found else None


def password_hash(db: Database, user_id: int) -> str | None:
    return db.scalar("SELECT password_hash FROM users WHERE id = $id", {"id": user_id})


def all_users(db: Database) -> list[UserRow]:
    return [UserRow(**row) for row in db.dicts(_USER + "ORDER BY id")]


def active_admins(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"))


def user_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM users"))


def set_role(db: Database, user_id: int, role: str) -> None:
    with db.transaction():
        db.execute("UPDATE users SET role = $role WHERE id = $id", {"id": user_id, "role": role})


def set_disabled(db: Database, user_id: int, at: dt.datetime | None) -> None:
    with db.transaction():
        db.execute("UPDATE users SET disabled_at = $at WHERE id = $id", {"id": user_id, "at": at})


def set_password(db: Database, user_id: int, hashed: str, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE users SET password_hash = $hash, password_changed_at = $at WHERE id = $id",
            {"id": user_id, "hash": hashed, "at": at},
        )


def insert_session(
    db: Database, session_hash: str, user_id: int, created: dt.datetime, expires: dt.datetime
) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO user_sessions (session_hash, user_id, created_at, expires_at) "
            "VALUES ($hash, $user, $created, $expires)",
            {"hash": session_hash, "user": user_id, "created": created, "expires": expires},
        )


def session(db: Database, session_hash: str) -> SessionRow | None:
    found = db.dicts(
        "SELECT user_id, created_at, expires_at, ended_at FROM user_sessions "
        "WHERE session_hash = $hash",
        {"hash": session_hash},
    )
    return SessionRow(**found[0]) if found else None


def end_session(db: Database, session_hash: str, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE user_sessions SET ended_at = $at WHERE session_hash = $hash "
            "AND ended_at IS NULL",
            {"hash": session_hash, "at": at},
        )


def end_sessions_of(db: Database, user_id: int, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "UPDATE user_sessions SET ended_at = $at WHERE user_id = $user AND ended_at IS NULL",
            {"user": user_id, "at": at},
        )
