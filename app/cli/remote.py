"""A CLI command on a workspace file that a running `kith serve` holds: carried out by that
server (app/local_access.py, app/api/local.py), printing what the command printed there and
exiting with its code. Paths among the arguments are made absolute first: the server runs in
another directory."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from app.local_access import NOT_THROUGH_SERVER, TOKEN_HEADER, read

# a generous wait: the server may first load what its clients sent, then run the command
TIMEOUT = 600.0
_FILE_SUFFIXES = {".csv", ".json", ".jsonl", ".ndjson", ".parquet", ".txt", ".duckdb"}


def through_server(db: str, argv: list[str]) -> int | None:
    """Run `kith argv` through the server holding `db`: its exit code, or None when no server
    of this machine holds it (no access file, or the server does not answer)."""
    access = read(db)
    if access is None or not argv or argv[0] in NOT_THROUGH_SERVER:
        return None
    try:
        answer = httpx.post(
            f"{access.url}/api/local/cli",
            json={"argv": [_absolute(arg) for arg in argv]},
            headers={TOKEN_HEADER: access.token},
            timeout=TIMEOUT,
        )
    except httpx.TransportError:
        return None
    if answer.status_code != 200:
        message = answer.json().get("error", {}).get("message", answer.text)
        print(f"error: the server holding {db} refused the command: {message}", file=sys.stderr)
        return 1
    result = answer.json()
    sys.stdout.write(result["stdout"])
    sys.stderr.write(result["stderr"])
    return int(result["code"])


def _absolute(arg: str) -> str:
    """An argument naming a file here (one that exists, or a data file to write) as an
    absolute path; anything else as it is."""
    if arg.startswith("-") or Path(arg).is_absolute():
        return arg
    path = Path(arg)
    if path.exists() or path.suffix.lower() in _FILE_SUFFIXES:
        return str(path.resolve())
    return arg
