"""Background threads never fail silently (in-process, real workspace and journal): a failed
journal write fails its requests alone, shows in health and the thread goes on; a loader that
cannot store anything is retried, then stops the pipeline loudly (health "failed", `on_fatal`
called, new messages refused), and what it acknowledged stays in the journal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.ingest_pipeline import IngestPipeline
from app.journal import Journal, journal_dir
from engine import Workspace
from kith_errors import JournalFailed


def track(n: int) -> dict:
    return {"type": "track", "event": "tick", "userId": "u", "messageId": f"m{n}"}


def test_a_failed_journal_write_is_reported_and_the_thread_goes_on(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = journal_dir(tmp_path / "kith.duckdb")
    pipeline = IngestPipeline(ws, Journal(folder, segment_bytes=1)).start()  # a file per write
    pipeline.submit([track(1)])[1].result(30)
    shutil.rmtree(folder)  # the next segment cannot be created
    with pytest.raises(JournalFailed, match="could not be written"):
        pipeline.submit([track(2)])[1].result(30)
    health = pipeline.health()
    assert health.status == "degraded" and health.errors[0].thread == "journal"
    folder.mkdir()
    pipeline.submit([track(3)])[1].result(30)  # recovered
    assert pipeline.wait_loaded(30)
    pipeline.close()
    stored = ws.db.rows("SELECT message_id FROM events WHERE type = 'tick' ORDER BY 1")
    assert stored == [("m1",), ("m3",)]


def test_a_loader_that_cannot_go_on_stops_loudly(tmp_path: Path) -> None:
    db = tmp_path / "kith.duckdb"
    ws = Workspace.open(db)
    stopped: list[str] = []
    pipeline = IngestPipeline(
        ws, Journal(journal_dir(db)), retries=1, retry_pause=0.01, on_fatal=stopped.append
    ).start()
    pipeline.submit([track(0)])[1].result(30)
    assert pipeline.wait_loaded(30)  # admission has read the catalog: it needs no file now
    ws.db.close()  # nothing can be stored any more
    pipeline.submit([track(1)])[1].result(30)  # acknowledged: it is in the journal
    assert not pipeline.wait_loaded(5)
    assert stopped and "loader" in stopped[0]
    health = pipeline.health()
    # two failed attempts (retries=1), then the stop
    assert health.status == "failed" and [e.thread for e in health.errors] == ["loader"] * 3
    with pytest.raises(JournalFailed, match="cannot store messages"):
        pipeline.submit([track(2)])
    pipeline.close(timeout=5)
    with Workspace.open(db) as again:  # the next start loads it from the journal
        restarted = IngestPipeline(again, Journal(journal_dir(db))).start()
        restarted.close()
        assert again.db.scalar("SELECT count(*) FROM events WHERE type = 'tick'") == 2
