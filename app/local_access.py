"""The CLI on a file a running server holds: `kith serve` writes a machine-local access file
beside the workspace (`<db>.server`: the server's URL and a random token, mode 0600, so only
the file's owner can read it) and deletes it on shutdown. A CLI command that finds the workspace
locked reads it and has the server carry the command out (POST /api/local/cli, app/api/local.py):
the server runs the same command on its own open workspace and sends back the exit code and
what the command printed, so the output is the same as without a server.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

TOKEN_HEADER = "x-kith-local-token"
# commands that make or serve a workspace file themselves: never carried out by a server
NOT_THROUGH_SERVER = frozenset({"serve", "demo"})


@dataclass(frozen=True)
class LocalAccess:
    url: str
    token: str
    pid: int


def access_file(db_path: str | Path) -> Path:
    return Path(f"{db_path}.server")


def publish(db_path: str | Path, url: str) -> LocalAccess:
    """Write the access file (readable by its owner only) with a new token."""
    access = LocalAccess(url, secrets.token_urlsafe(32), os.getpid())
    path = access_file(db_path)
    path.unlink(missing_ok=True)  # O_CREAT keeps an existing file's mode: start afresh
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": access.url, "token": access.token, "pid": access.pid}, handle)
    return access


def withdraw(db_path: str | Path, access: LocalAccess) -> None:
    """Delete the access file, if it is still this server's."""
    found = read(db_path)
    if found is not None and found.token == access.token:
        access_file(db_path).unlink(missing_ok=True)


def read(db_path: str | Path) -> LocalAccess | None:
    """The access file's contents; None when there is none or it cannot be read."""
    try:
        body = json.loads(access_file(db_path).read_text(encoding="utf-8"))
        return LocalAccess(str(body["url"]), str(body["token"]), int(body["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
