"""Group commit in-process: many requests become few ingestion batches, each request gets its
own rejections back, and closing the queue commits everything accepted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

import pytest

from app.ingest_queue import IngestQueue, Outcome, QueueClosed
from engine import Workspace


def track(user: str, n: int) -> dict:
    return {"type": "track", "event": "tick", "userId": user, "messageId": f"{user}-{n}"}


def count_events(ws: Workspace) -> int:
    return int(ws.db.scalar("SELECT count(*) FROM events WHERE type = 'tick'"))


def test_concurrent_requests_share_batches(ws: Workspace) -> None:
    queue = IngestQueue(ws, max_wait=0.02).start()
    requests = [[track(f"u{r}", n) for n in range(10)] for r in range(40)]
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda msgs: queue.submit(msgs).result(30), requests))
    queue.close()
    assert all(o.accepted == 10 and not o.rejected for o in outcomes)
    assert count_events(ws) == 400
    assert queue.stats.batches < len(requests)


def test_each_request_gets_its_own_rejections(ws: Workspace) -> None:
    queue = IngestQueue(ws, max_wait=0.5)  # not started: both requests land in one group
    first = queue.submit([track("a", 1), {"type": "nonsense"}, track("a", 2)])
    second = queue.submit([{"event": "no_type"}, track("b", 1)])
    queue.start().close()
    a, b = first.result(10), second.result(10)
    assert queue.stats.batches == 1
    assert [r.index for r in a.rejected] == [1] and "nonsense" in a.rejected[0].reason
    assert [r.index for r in b.rejected] == [0]
    assert (a.accepted, b.accepted) == (2, 1)
    assert a.batch_id == b.batch_id
    assert count_events(ws) == 3


def test_close_commits_everything_accepted_then_refuses(ws: Workspace) -> None:
    queue = IngestQueue(ws).start()
    futures = [queue.submit([track(f"u{r}", n) for n in range(5)]) for r in range(100)]
    queue.close()
    done, pending = wait(futures, timeout=0)
    assert not pending and all(isinstance(f.result(), Outcome) for f in done)
    assert count_events(ws) == 500
    with pytest.raises(QueueClosed, match="shutting down"):
        queue.submit([track("late", 1)])
