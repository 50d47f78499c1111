"""The ingest pipeline in-process, on a real workspace file and a real journal folder: requests
are acknowledged once journaled, loaded in few large batches, read back after `wait_loaded`,
and what a crash left in the journal is loaded exactly once on the next start."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.ingest_pipeline import IngestPipeline
from app.journal import Journal, Record, journal_dir
from engine import Workspace
from engine.clock import utcnow
from engine.ingest.intake import Part
from kith_errors import QueueClosed, QueueFull


def track(user: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": "tick", "userId": user, "properties": {"n": n}, **extra}


def ticks(ws: Workspace) -> int:
    return ws.db.scalar("SELECT count(*) FROM events WHERE type = 'tick'")


def pipeline_for(ws: Workspace, tmp_path: Path, **options: Any) -> IngestPipeline:
    return IngestPipeline(ws, Journal(journal_dir(tmp_path / "kith.duckdb")), **options)


def test_concurrent_requests_are_loaded_in_few_batches(ws: Workspace, tmp_path: Path) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()

    def send(r: int) -> None:
        refused, future = pipeline.submit([track(f"u{r % 7}", r * 4 + n) for n in range(4)])
        future.result(30)
        assert refused == []

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(200)))
    pipeline.close()
    assert ticks(ws) == 800
    assert pipeline.stats.accepted_messages == pipeline.stats.loaded_messages == 800
    assert pipeline.stats.loads < 200 and pipeline.stats.journal_writes < 200
    assert list(journal_dir(tmp_path / "kith.duckdb").glob("*.jsonl")) == []  # all loaded


def test_refused_messages_are_answered_and_the_rest_acknowledged(
    ws: Workspace, tmp_path: Path
) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()
    refused, future = pipeline.submit(
        [track("a", 1), {"type": "track", "event": "x"}, track("a", 2)]
    )
    future.result(30)
    assert [(r.index, r.reason.split(":")[0]) for r in refused] == [(1, "no identity")]
    assert pipeline.wait_loaded(30)
    assert ticks(ws) == 2  # read your writes: acknowledged, so loaded after wait_loaded
    pipeline.close()


def test_a_request_with_nothing_to_store_is_answered_without_the_journal(
    ws: Workspace, tmp_path: Path
) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()
    refused, future = pipeline.submit(["nope"])
    assert future.done() and len(refused) == 1
    pipeline.close()
    assert pipeline.stats.journal_writes == 0


def test_what_a_crash_left_in_the_journal_is_loaded_once(ws: Workspace, tmp_path: Path) -> None:
    """The last run journaled three requests (no messageIds) and loaded only the first."""
    journal = Journal(journal_dir(tmp_path / "kith.duckdb"))
    journal.open(0, ws.intake.workspace_key())
    received = utcnow()
    records = [Record(seq, received, [track(f"c{seq}", n) for n in range(5)]) for seq in (1, 2, 3)]
    journal.append(records)
    first = records[0]
    ws.intake.load(
        [Part(received, first.messages, ws.intake.canonical(first.messages, received))], 1
    )
    pipeline = pipeline_for(ws, tmp_path).start()
    assert pipeline.wait_loaded(30)
    assert ticks(ws) == 15 and ws.intake.loaded_seq() == 3
    pipeline.submit([track("after", 1)])[1].result(30)
    pipeline.close()
    assert ws.intake.loaded_seq() == 4  # numbering continues after the journal's records
    assert ticks(ws) == 16


def test_replaying_an_already_loaded_journal_stores_nothing_twice(
    ws: Workspace, tmp_path: Path
) -> None:
    messages = [track("r", n, messageId=f"r-{n}") for n in range(3)]
    pipeline = pipeline_for(ws, tmp_path).start()
    pipeline.submit(messages)[1].result(30)
    pipeline.close()
    ws.db.execute("DELETE FROM journal_checkpoint")  # as if the checkpoint had been lost
    journal = Journal(journal_dir(tmp_path / "kith.duckdb"))
    journal.open(0, ws.intake.workspace_key())
    journal.append([Record(1, utcnow(), messages)])
    again = pipeline_for(ws, tmp_path).start()
    assert again.wait_loaded(30)
    again.close()
    assert ticks(ws) == 3 and again.stats.duplicates == 3


def test_a_closed_pipeline_refuses_new_requests(ws: Workspace, tmp_path: Path) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()
    pipeline.close()
    with pytest.raises(QueueClosed, match="shutting down"):
        pipeline.submit([track("late", 1)])


def test_too_much_waiting_to_load_is_refused_until_the_loader_catches_up(
    ws: Workspace, tmp_path: Path
) -> None:
    pipeline = pipeline_for(ws, tmp_path, max_backlog=5).start()
    with ws.db.writing():  # the loader cannot store anything meanwhile
        pipeline.submit([track("b", n) for n in range(10)])[1].result(30)
        with pytest.raises(QueueFull, match="retry"):
            pipeline.submit([track("b", 99)])
    assert pipeline.wait_loaded(30)
    pipeline.submit([track("b", 99)])[1].result(30)
    pipeline.close()
    assert ticks(ws) == 11


def test_a_trickle_of_requests_gathers_into_one_batch(ws: Workspace, tmp_path: Path) -> None:
    pipeline = pipeline_for(ws, tmp_path, linger=5.0).start()
    for r in range(10):
        pipeline.submit([track("t", r)])[1].result(30)
    assert pipeline.wait_loaded(30)
    assert pipeline.stats.loads == 1 and ticks(ws) == 10
    pipeline.close()


def test_a_waiting_reader_does_not_wait_for_the_linger(ws: Workspace, tmp_path: Path) -> None:
    pipeline = pipeline_for(ws, tmp_path, linger=60.0).start()
    pipeline.submit([track("w", 1)])[1].result(30)
    assert pipeline.wait_loaded(20)  # would time out if the loader lingered its 60 s
    assert ticks(ws) == 1
    pipeline.close()


def test_requests_admitted_together_get_their_own_refusals(ws: Workspace, tmp_path: Path) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()
    first = [track("g1", 1), {"type": "track", "event": "x"}]
    second = [{"type": "teleport", "userId": "g2"}, track("g2", 2), "nope"]
    outcomes = pipeline.submit_many([first, [], second])
    assert [[r.index for r in refused] for refused, _ in outcomes] == [[1], [], [0, 2]]
    assert "teleport" in outcomes[2][0][0].reason
    for _, journaled in outcomes:
        journaled.result(30)
    assert pipeline.wait_loaded(30)
    pipeline.close()
    assert ticks(ws) == 2 and pipeline.stats.journal_writes == 1
    assert pipeline.stats.accepted_requests == 3


def test_requests_arriving_in_one_turn_of_the_event_loop_are_admitted_as_one(
    ws: Workspace, tmp_path: Path
) -> None:
    pipeline = pipeline_for(ws, tmp_path).start()

    async def send_all() -> list[list[int]]:
        requests = [[track(f"e{r}", r), {"type": "bad", "userId": "x"}] for r in range(20)]
        answers = await asyncio.gather(*(pipeline.ingest(messages) for messages in requests))
        return [[refusal.index for refusal in refused] for refused in answers]

    assert asyncio.run(send_all()) == [[1]] * 20
    pipeline.close()
    assert ticks(ws) == 20 and pipeline.stats.journal_writes == 1


def test_a_journal_left_for_another_workspace_file_is_set_aside(
    ws: Workspace, tmp_path: Path
) -> None:
    """An old file crashed with records in its journal, then was deleted and a new workspace
    created at the same path: the old records must not land in the new file."""
    folder = journal_dir(tmp_path / "kith.duckdb")
    old = Journal(folder)
    old.open(0, "key-of-the-deleted-file")
    old.append([Record(1, utcnow(), [track("ghost", 1)])])
    pipeline = pipeline_for(ws, tmp_path).start()
    pipeline.submit([track("new", 1)])[1].result(30)
    pipeline.close()
    assert ticks(ws) == 1
    [aside] = tmp_path.glob("kith.duckdb.journal.other-*")
    assert [r.messages for r in Journal(aside).open(0, "key-of-the-deleted-file")] == [
        [track("ghost", 1)]
    ]
