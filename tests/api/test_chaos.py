"""kill -9 at random moments during sustained ingestion, three rounds, each followed by a
restart on the same file: every message answered 200 is then stored exactly once."""

from __future__ import annotations

import random
import signal
import threading
import time

import httpx
import pytest

from engine import Workspace
from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_chaos")

ROUNDS = 3
SENDERS = 3


def sustained(
    server: Server, run: str, stop: threading.Event, acked: list[str], first: threading.Event
) -> None:
    """One client sending batches of 20 until `stop`; the ids of every batch answered 200
    (`first` is set at the first)."""
    n = 0
    with server.client("ingest") as client:
        while not stop.is_set():
            ids = [f"{run}-{n}-{i}" for i in range(20)]
            batch = [
                {"type": "track", "event": "chaos", "userId": f"{run}-{n % 7}", "messageId": m}
                for m in ids
            ]
            n += 1
            try:
                answer = client.post("/v1/batch", json={"batch": batch})
            except httpx.TransportError:
                return  # the server died under this request: nothing was promised
            if answer.status_code == 200:
                acked.extend(ids)
                first.set()


def test_kill_9_during_sustained_ingestion_loses_and_repeats_nothing(fresh_server: Server) -> None:
    chance = random.Random(11)  # the moments are random, and the same on every run
    acked: list[str] = []
    for round_ in range(ROUNDS):
        if fresh_server.proc is None:
            fresh_server.start()
        stop, first = threading.Event(), threading.Event()
        senders = [
            threading.Thread(
                target=sustained, args=(fresh_server, f"r{round_}s{k}", stop, acked, first)
            )
            for k in range(SENDERS)
        ]
        for sender in senders:
            sender.start()
        assert first.wait(120), "no batch was acknowledged"
        time.sleep(chance.uniform(0.0, 1.0))  # then a random moment of sustained ingestion
        fresh_server.stop(signal.SIGKILL)
        stop.set()
        for sender in senders:
            sender.join(30)
    fresh_server.start()  # loads what the last crash left in the journal
    assert fresh_server.stop(signal.SIGTERM) == 0
    with Workspace.open(fresh_server.db) as ws:
        rows = ws.db.rows(
            "SELECT message_id, count(*) FROM events WHERE type = 'chaos' GROUP BY message_id"
        )
    counts = dict(rows)
    assert all(counts.get(m) == 1 for m in acked), "an acknowledged message is missing or repeated"
    assert max(counts.values()) == 1
