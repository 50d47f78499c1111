"""The CLI works on a file a running server holds: the command is carried out through the
server (a token file beside the workspace, readable by its owner only) with the same output and
exit code as on the file alone."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from app.local_access import access_file
from engine import Workspace
from tests.api.conftest import KITH, Server, prepare

pytestmark = pytest.mark.xdist_group("api_cli_serving")

COMMANDS = [
    ["stats"],
    ["keys", "revoke", "3"],
    ["label", "add", "vip", "1", "2"],
    ["profiles", "show", "999"],  # an error: same message and exit code
]


def workspace(db: Path) -> Path:
    prepare(db)  # keys 1-3 (3 revoked) and a goal
    with Workspace.open(db) as ws:
        for n in range(2):
            ws.profiles.create({"email": f"p{n}@example.com"}, {"name": f"P{n}"})
    return db


def kith(db: Path, *args: str) -> tuple[int, str, str]:
    """Exit code and output (API key prefixes, random in each workspace, masked)."""
    done = subprocess.run(
        [KITH, *args, "--db", str(db)], capture_output=True, text=True, timeout=300
    )
    return done.returncode, KEY.sub("kith_…", done.stdout), done.stderr


KEY = re.compile(r"kith_[\w-]+…")


def test_commands_on_a_served_file_match_the_file_alone(tmp_path: Path) -> None:
    alone = workspace(tmp_path / "alone.duckdb")
    served = Server(db=workspace(tmp_path / "served.duckdb")).start()
    try:
        token_file = access_file(served.db)
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        for command in COMMANDS:
            expected = kith(alone, *command)
            assert kith(served.db, *command) == expected, command
        guess = {"x-kith-local-token": "guess"}
        refused = httpx.post(f"{served.url}/api/local/cli", json={"argv": ["stats"]}, headers=guess)
        assert refused.status_code == 401
    finally:
        served.stop()
    assert not token_file.exists()  # withdrawn on shutdown
    with Workspace.open(served.db) as ws:  # the changes were made in the served file
        assert ws.labels.of(1) == ["vip"]
