"""Users, passwords, the login throttle and session cookies, on a real workspace file."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.access import logins
from engine.access.passwords import hash_password, verify_password
from engine.access.users import FREE_FAILURES, LOCK_BASE, Throttle
from kith_errors import AuthError, Conflict, TooManyAttempts, ValidationError


def test_passwords_are_stored_as_scrypt_hashes_only(ws: Workspace) -> None:
    user, password = ws.users.create("ana", "admin")
    stored = ws.db.scalar("SELECT password_hash FROM users WHERE id = $id", {"id": user.id})
    assert stored.startswith("scrypt$16384$8$1$") and password not in stored
    assert verify_password(password, stored) and not verify_password(password + "x", stored)
    assert not verify_password(password, stored[:-4] + "AAA=")
    assert hash_password(password) != hash_password(password)  # salted


def test_creating_users_checks_what_was_typed(ws: Workspace) -> None:
    ws.users.create("ana", "admin", "ana-password-1")
    with pytest.raises(Conflict, match="a user named 'ANA' exists"):
        ws.users.create("ANA", "viewer", "other-password-1")
    with pytest.raises(ValidationError, match="unknown role 'boss'"):
        ws.users.create("bob", "boss", "bob-password-1")
    with pytest.raises(ValidationError, match="10 to 1024 characters"):
        ws.users.create("bob", "viewer", "short")
    with pytest.raises(ValidationError, match="a username has 1 to 64 characters"):
        ws.users.create("[bob](https://x)", "viewer", "bob-password-1")
    assert ws.users.list()["username"].tolist() == ["ana"]


def test_the_last_admin_stays(ws: Workspace) -> None:
    ws.users.create("ana", "admin", "ana-password-1")
    with pytest.raises(Conflict, match="last active admin"):
        ws.users.set_role("ana", "viewer")
    with pytest.raises(Conflict, match="last active admin"):
        ws.users.disable("ana")
    ws.users.create("bob", "admin", "bob-password-1")
    assert ws.users.disable("ana").active is False
    assert ws.users.set_role("ana", "viewer").role == "viewer"


def test_login_and_its_throttle(ws: Workspace) -> None:
    ws.users.create("ana", "agent", "ana-password-1")
    assert ws.users.authenticate("Ana", "ana-password-1").username == "ana"
    for _ in range(FREE_FAILURES):
        with pytest.raises(AuthError, match="wrong username or password"):
            ws.users.authenticate("ana", "wrong-password", client="10.0.0.1")
    with pytest.raises(TooManyAttempts, match="try again in"):
        ws.users.authenticate("ana", "ana-password-1", client="10.0.0.2")  # the user is locked
    with pytest.raises(TooManyAttempts):
        ws.users.authenticate("nobody", "x", client="10.0.0.1")  # so is the address


def test_the_throttle_doubles_then_forgets() -> None:
    throttle, now = Throttle(), dt.datetime(2026, 1, 1)
    for i in range(FREE_FAILURES + 1):
        throttle.failed("k", now + dt.timedelta(seconds=i))
    last = now + dt.timedelta(seconds=FREE_FAILURES)
    assert throttle.wait("k", last) == 2 * LOCK_BASE
    assert throttle.wait("k", last + dt.timedelta(hours=1)) == dt.timedelta(0)
    throttle.failed("k", last)
    throttle.succeeded("k")
    assert throttle.wait("k", last) == dt.timedelta(0)


def test_disabled_users_cannot_log_in(ws: Workspace) -> None:
    ws.users.create("root", "admin", "root-password-1")
    ws.users.create("ana", "agent", "ana-password-1")
    ws.users.disable("ana")
    with pytest.raises(AuthError):
        ws.users.authenticate("ana", "ana-password-1")
    ws.users.enable("ana")
    assert ws.users.authenticate("ana", "ana-password-1").active


def test_session_cookies(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.users.create("root", "admin", "root-password-1")
    user, _ = ws.users.create("ana", "agent", "ana-password-1")
    cookie = ws.logins.start(user)
    assert ws.logins.user(cookie).username == "ana"
    session_id, expiry, signature = cookie.split(".")
    forged = f"{session_id}.{int(expiry) + 3600}.{signature}"
    assert ws.logins.user(forged) is None and ws.logins.user("junk") is None
    ws.logins.end(cookie)
    assert ws.logins.user(cookie) is None  # logged out
    again = ws.logins.start(user)
    ws.users.reset_password("ana", "new-password-22")
    assert ws.logins.user(again) is None  # a new password ends the sessions
    third = ws.logins.start(user)
    ws.users.disable("ana")
    assert ws.logins.user(third) is None
    ws.users.enable("ana")
    monkeypatch.setattr(logins, "LIFETIME", dt.timedelta(seconds=-1))
    assert ws.logins.user(ws.logins.start(user)) is None  # expired


def test_a_read_write_key_acts_for_its_user(ws: Workspace) -> None:
    ws.users.create("root", "admin", "root-password-1")
    ws.users.create("ana", "analyst", "ana-password-1")
    key = ws.keys.create("notebook", scope="read_write", user="ana")
    assert ws.keys.authenticate(key.key, "read_write").user_id == ws.users.named("ana").id
    ws.users.disable("ana")
    with pytest.raises(ValidationError, match="disabled"):
        ws.keys.create("another", scope="read_write", user="ana")
