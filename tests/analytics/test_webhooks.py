"""The webhook outbox against a real HTTP server on loopback that fails the first call."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine import Workspace
from engine.rules.webhooks import backoff
from tests.analytics.messages import track


class Receiver(ThreadingHTTPServer):
    """Answers 500 to the first `failures` POSTs, then 200; keeps the bodies it accepted."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.failures = failures
        self.calls = 0
        self.bodies: list[dict] = []
        self.keys: list[str | None] = []  # the Idempotency-Key of every call

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.calls += 1
        self.server.keys.append(self.headers.get("idempotency-key"))
        ok = self.server.calls > self.server.failures
        if ok:
            self.server.bodies.append(json.loads(body))
        self.send_response(200 if ok else 500)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_failed_delivery_is_retried_with_backoff_and_survives_a_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    path = tmp_path / "kith.duckdb"
    with Workspace.open(path) as ws:
        ws.rules.add("hook", f'when signup then call webhook "{receiver.url}"')
        ws.ingest.messages([track("u1", "signup")])
        now = dt.datetime(2030, 1, 1)
        first = ws.rules.deliver_webhooks(now)
        assert first.as_dict() == {"delivered": 0, "retrying": 1, "failed": 0}
        row = ws.rules.webhooks().iloc[0]
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 500")
        assert row["next_attempt_at"] == now + backoff(1)
        assert ws.rules.deliver_webhooks(now).as_dict()["retrying"] == 0  # not due yet
    with Workspace.open(path) as ws:  # the outbox is a table: a restart loses nothing
        later = ws.rules.deliver_webhooks(now + backoff(1))
        assert later.delivered == 1
        assert ws.rules.webhooks("delivered")["attempts"].tolist() == [2]
    assert receiver.bodies[0]["rule"] == "hook"
    assert receiver.keys == ["kith-webhook-1", "kith-webhook-1"]  # a resend is recognisable
    assert receiver.bodies[0]["profile_id"] is not None


def test_delivery_gives_up_after_the_last_attempt(ws: Workspace) -> None:
    ws.rules.add("hook", 'when signup then call webhook "http://127.0.0.1:9/closed"')
    ws.ingest.messages([track("u1", "signup")])
    stats = ws.rules.deliver_webhooks(dt.datetime(2030, 1, 1), max_attempts=1, timeout=10)
    assert stats.failed == 1
    failed = ws.rules.webhooks("failed")
    assert failed["last_error"].str.contains("Connect").all()


def test_backoff_doubles() -> None:
    base = dt.timedelta(seconds=10)
    assert [backoff(n, base).seconds for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
