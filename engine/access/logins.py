"""`ws.logins`: login sessions carried by a cookie.

The cookie is `<session id>.<expiry>.<signature>`: the signature is an HMAC-SHA256 over the id
and the expiry with a secret kept in the workspace (made on first use), so a forged or altered
cookie is refused without a lookup; a well-signed one must also name a session that is stored
(as the sha256 of its id), not ended (logout, password reset, disabled user) and not expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cached_property
from typing import TYPE_CHECKING

from engine.access.users import User, Users
from engine.clock import utcnow
from store import access as repo
from store import settings as settings_repo

if TYPE_CHECKING:
    from store.db import Database

COOKIE = "kith_session"
LIFETIME = dt.timedelta(hours=12)
_SECRET_KEY = "access.session_secret"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class Logins:
    def __init__(self, db: Database, users: Users) -> None:
        self.db, self.users = db, users

    @cached_property
    def _secret(self) -> bytes:
        secret = settings_repo.get(self.db, _SECRET_KEY)
        if secret is None:
            secret = secrets.token_hex(32)
            settings_repo.put(self.db, _SECRET_KEY, secret)
        return bytes.fromhex(secret)

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def start(self, user: User) -> str:
        """A new session for `user`; returns the cookie value."""
        session_id = secrets.token_urlsafe(32)
        created = utcnow()
        expires = created + LIFETIME
        repo.insert_session(self.db, _digest(session_id), user.id, created, expires)
        payload = f"{session_id}.{int(expires.replace(tzinfo=dt.UTC).timestamp())}"
        return f"{payload}.{self._sign(payload)}"

    def user(self, cookie: str | None) -> User | None:
        """The active user of a valid, unexpired, not ended session; None otherwise."""
        session_id = self._verified(cookie)
        if session_id is None:
            return None
        row = repo.session(self.db, _digest(session_id))
        if row is None or row.ended_at is not None or row.expires_at <= utcnow():
            return None
        user = self.users.get(row.user_id)
        if not user.active or user.password_changed_at > row.created_at:
            return None
        return user

    def end(self, cookie: str | None) -> None:
        """Log out: the session of this cookie can no longer be used."""
        session_id = self._verified(cookie)
        if session_id is not None:
            repo.end_session(self.db, _digest(session_id), utcnow())

    def _verified(self, cookie: str | None) -> str | None:
        """The session id of a well-signed cookie whose expiry is still ahead."""
        session_id, _, rest = (cookie or "").partition(".")
        expiry, _, signature = rest.partition(".")
        if not (session_id and expiry.isdigit() and signature):
            return None
        if not hmac.compare_digest(self._sign(f"{session_id}.{expiry}"), signature):
            return None
        if int(expiry) <= utcnow().replace(tzinfo=dt.UTC).timestamp():
            return None
        return session_id
