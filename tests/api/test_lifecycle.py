"""Durability: a 200 survives kill -9, and SIGTERM commits everything that was accepted."""

from __future__ import annotations

import signal
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from app.journal import Journal, Record, journal_dir
from engine import Workspace
from engine.clock import utcnow
from tests.api.conftest import Server


def stored(server: Server, message_ids: list[str]) -> set[str]:
    """The message ids found in the workspace file (the server must be stopped)."""
    with Workspace.open(server.db) as ws:
        rows = ws.db.rows(
            "SELECT message_id FROM events WHERE list_contains($ids, message_id)",
            {"ids": message_ids},
        )
    return {row[0] for row in rows}


def batch_of(run: str, n: int, size: int = 50) -> list[dict]:
    return [
        {"type": "track", "event": "tick", "userId": f"{run}-{n}", "messageId": f"{run}-{n}-{i}"}
        for i in range(size)
    ]


def test_kill_9_then_sigterm_lose_nothing(fresh_server: Server) -> None:
    """One server for both (starting one is the slow part): crash it, restart it on the same
    file, then shut it down with SIGTERM while requests are in flight."""
    crashed = crash_right_after_200s(fresh_server)
    fresh_server.start()  # the server comes back on the same file with everything
    with fresh_server.client() as client:
        total = client.get("/api/events", params={"type": "tick", "limit": 1}).json()["total"]
    assert total == len(crashed)
    accepted = terminate_under_load(fresh_server)
    assert stored(fresh_server, crashed + accepted) == set(crashed + accepted)


def crash_right_after_200s(server: Server) -> list[str]:
    """Five batches answered 200, then kill -9 at once; their message ids."""
    run = uuid.uuid4().hex[:8]
    with server.client("ingest") as client:
        for n in range(5):
            assert client.post("/v1/batch", json={"batch": batch_of(run, n)}).status_code == 200
    server.stop(signal.SIGKILL)
    return [m["messageId"] for n in range(5) for m in batch_of(run, n)]


def terminate_under_load(server: Server) -> list[str]:
    """SIGTERM once the first of 30 concurrent batches is answered; the ids answered 200."""
    run = uuid.uuid4().hex[:8]
    accepted: list[str] = []
    lock = threading.Lock()
    first_ok = threading.Event()

    def send(n: int) -> None:
        messages = batch_of(run, n)
        try:
            with server.client("ingest") as client:
                answer = client.post("/v1/batch", json={"batch": messages})
        except httpx.TransportError:
            return  # refused once shutdown began: not accepted, nothing promised
        if answer.status_code == 200:
            with lock:
                accepted.extend(m["messageId"] for m in messages)
            first_ok.set()

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(send, n) for n in range(30)]
        assert first_ok.wait(60)
        assert server.stop(signal.SIGTERM) == 0
        for future in futures:
            future.result()
    assert accepted
    return accepted


def test_a_journaled_message_the_store_now_refuses_is_kept_and_listed(
    fresh_server: Server,
) -> None:
    """A crash left a record in the journal; before the restart an admin blocked its only
    identity value. The restarted server keeps it in ingest_failures instead of dropping it."""
    fresh_server.stop()
    with Workspace.open(fresh_server.db) as ws:
        ws.settings.set_blocked_values([*ws.settings.blocked_values, "walk-in"])
        key = ws.intake.workspace_key()
    journal = Journal(journal_dir(fresh_server.db))
    journal.open(0, key)
    message = {"type": "track", "event": "tick", "userId": "walk-in", "messageId": "w-1"}
    journal.append([Record(journal.last_seq + 1, utcnow(), [message])])
    fresh_server.start()
    with fresh_server.client() as client:
        body = client.get("/api/ingest/failures").json()
    assert body["total"] == 1
    assert body["failures"][0]["message"] == message
    assert body["failures"][0]["reason"].startswith("no usable identity")
