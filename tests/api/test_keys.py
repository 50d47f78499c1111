"""API keys: hashed storage, scopes, revocation, and the `kith keys` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from engine.admin.keys import hash_key
from kith_errors import AuthError, Forbidden, NotFound, ValidationError


def test_created_key_authenticates_and_only_its_hash_is_stored(ws: Workspace) -> None:
    created = ws.keys.create("website", scope="ingest")
    assert created.key.startswith(created.prefix)
    assert ws.keys.authenticate(created.key, "ingest").id == created.id
    stored = ws.db.rows("SELECT prefix, key_hash FROM api_keys")
    assert stored == [(created.prefix, hash_key(created.key))]
    assert all(created.key not in str(value) for value in stored[0])


def test_scopes(ws: Workspace) -> None:
    ws.users.create("ana", "marketer", "ana-password-1")
    ingest = ws.keys.create("website", scope="ingest")
    admin = ws.keys.create("backend", scope="read_write", user="ana")
    assert admin.user_id == ws.users.named("ana").id
    assert ws.keys.authenticate(admin.key, "read_write").scope == "read_write"
    assert ws.keys.authenticate(admin.key, "ingest").name == "backend"
    with pytest.raises(Forbidden, match="scope 'ingest'"):
        ws.keys.authenticate(ingest.key, "read_write")


def test_unknown_and_revoked_keys_fail(ws: Workspace) -> None:
    created = ws.keys.create("website")
    ws.keys.authenticate(created.key)  # cached now: revoking must still take effect
    revoked = ws.keys.revoke(created.id)
    assert revoked.revoked_at is not None
    for key in (created.key, "kith_nope", ""):
        with pytest.raises(AuthError, match="unknown or revoked"):
            ws.keys.authenticate(key)


def test_bad_input(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="unknown scope 'admin'"):
        ws.keys.create("x", scope="admin")
    with pytest.raises(ValidationError, match="name of 1 to 100"):
        ws.keys.create("  ")
    with pytest.raises(NotFound, match="no API key with id 42"):
        ws.keys.revoke(42)
    with pytest.raises(ValidationError, match="acts for a user"):
        ws.keys.create("backend", scope="read_write")
    with pytest.raises(ValidationError, match="ingest keys belong to no user"):
        ws.keys.create("site", scope="ingest", user="ana")
    with pytest.raises(NotFound, match="no user named 'ghost'"):
        ws.keys.create("backend", scope="read_write", user="ghost")


def test_cli_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.duckdb")
    assert main(["users", "create", "ana", "--role", "admin", "--db", db]) == 0
    capsys.readouterr()
    create = ["keys", "create", "website", "--scope", "read_write", "--user", "ana", "--json"]
    assert main([*create, "--db", db]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["user_id"] == 1
    assert created["key"].startswith(created["prefix"]) and created["scope"] == "read_write"
    assert main(["keys", "revoke", str(created["id"]), "--db", db]) == 0
    assert "revoked key" in capsys.readouterr().out
    assert main(["keys", "list", "--json", "--db", db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["active"] is False and listed["revoked_at"] is not None
    assert "key" not in listed and listed["prefix"] == created["prefix"]


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.duckdb")
    assert main(["keys", "revoke", "7", "--db", db]) == 1
    assert "no API key with id 7" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["keys", "create", "x", "--scope", "admin", "--db", db])
    assert exit_info.value.code == 2
