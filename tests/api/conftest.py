"""A real `kith serve` process on loopback, with a temporary workspace, an admin user and three
API keys (the read_write ones act for the admin)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from engine import Workspace

KITH = str(Path(sys.executable).parent / "kith")
READY_TIMEOUT = 60.0
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1"
GOAL = 'goal "pricing_to_signup": start page_view where url contains "/pricing" target signup'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One `kith serve` subprocess over `db`; `start`/`stop` may be called again on the same
    file (restart after a crash or a shutdown)."""

    db: Path
    keys: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        command = [KITH, "serve", "--db", str(self.db), "--port", str(self.port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                output = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"kith serve exited with {self.proc.returncode}:\n{output}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop(signal.SIGKILL)
        raise RuntimeError("kith serve did not become ready in time")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` and wait for the process; returns its exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return code

    def session(self, username: str = "admin", password: str = "admin-password-1") -> httpx.Client:
        """An HTTP client logged in through the login form (it carries the session cookie)."""
        form = {"username": username, "password": password}
        answer = httpx.post(f"{self.url}/login", data=form, timeout=30)
        assert answer.status_code == 303, answer.text
        return httpx.Client(base_url=self.url, cookies=answer.cookies, timeout=30)

    def client(self, key: str = "rw") -> httpx.Client:
        """An HTTP client authenticated with one of the keys ('ingest', 'rw', 'revoked')."""
        return httpx.Client(base_url=self.url, auth=(self.keys[key], ""), timeout=30)


def prepare(db: Path) -> dict[str, str]:
    """Create the workspace file with an admin, an ingest key, a read_write key of the admin and
    a revoked key."""
    with Workspace.open(db) as ws:
        ws.users.create(ADMIN, "admin", ADMIN_PASSWORD)
        keys = {
            "ingest": ws.keys.create("website", scope="ingest").key,
            "rw": ws.keys.create("backend", scope="read_write", user=ADMIN).key,
        }
        revoked = ws.keys.create("old", scope="read_write", user=ADMIN)
        ws.keys.revoke(revoked.id)
        keys["revoked"] = revoked.key
        ws.goals.define(GOAL)  # goals are defined in the workspace, not through the API
    return keys


def new_server(tmp: Path) -> Server:
    db = tmp / "kith.duckdb"
    return Server(db=db, keys=prepare(db))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server shared by the tests that leave it running (starting one takes seconds; the
    tests that use it are in the xdist group "api_server", so one worker runs them all)."""
    running = new_server(tmp_path_factory.mktemp("server")).start()
    yield running
    if running.proc is not None:
        running.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for tests that kill or stop it."""
    running = new_server(tmp_path).start()
    yield running
    if running.proc is not None:
        running.stop(signal.SIGKILL)
