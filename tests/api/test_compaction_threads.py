"""The compaction swaps the connection under threads that keep using it the ways the server's
threads do (reads, transactions, views opened before a transaction, transactions opening
views): none fails, none waits forever, nothing written is lost, and every thread goes on
on the new file (store/db.py: the gate and the connection's generation)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from store import Database

ROUNDS = 3
PATIENCE = 60.0  # seconds one compaction may take before the test calls it stuck


def _writer_in_views(db: Database, n: int) -> None:
    with db.views(kith_t_new=pa.table({"v": [n]})), db.transaction():
        db.execute("INSERT INTO kith_t SELECT v, 'views' FROM kith_t_new")


def _writer_with_views(db: Database, n: int) -> None:
    with db.transaction(), db.views(kith_t_new=pa.table({"v": [n]})):
        db.execute("INSERT INTO kith_t SELECT v, 'tx' FROM kith_t_new")


def _reader(db: Database, n: int) -> None:
    assert db.scalar("SELECT count(*) >= 0 FROM kith_t") is True


def _loop(
    db: Database, work: Callable[[Database, int], None], stop: threading.Event, done: list[int]
) -> None:
    n = 0
    while not stop.is_set():
        work(db, n)
        done.append(n)
        n += 1


def _compact_or_fail(db: Database, round_: int) -> None:
    """One compaction on a thread of its own, so that a compaction starved or deadlocked by the
    others fails the test instead of stalling the run (a writer taking the write lock before
    the gate once starved it whenever this file ran alone)."""
    failed: list[BaseException] = []

    def compact() -> None:
        try:
            db.compact()
        except BaseException as err:
            failed.append(err)

    compactor = threading.Thread(target=compact, daemon=True)
    compactor.start()
    compactor.join(PATIENCE)
    assert not compactor.is_alive(), f"compaction {round_ + 1} still waiting after {PATIENCE} s"
    assert failed == []


def test_threads_go_on_across_compactions(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    db.execute("CREATE TABLE kith_t (v INTEGER, how VARCHAR)")
    stop = threading.Event()
    done: dict[str, list[int]] = {"views": [], "tx": [], "read": []}
    errors: list[BaseException] = []

    def run(work: Callable[[Database, int], None], into: list[int]) -> None:
        try:
            _loop(db, work, stop, into)
        except BaseException as err:
            errors.append(err)

    threads = [
        threading.Thread(target=run, args=(_writer_in_views, done["views"])),
        threading.Thread(target=run, args=(_writer_with_views, done["tx"])),
        threading.Thread(target=run, args=(_reader, done["read"])),
    ]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(ROUNDS):
            stop.wait(0.2)
            _compact_or_fail(db, round_)
        stop.wait(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert errors == [] and not any(t.is_alive() for t in threads)
    stored = dict(db.rows("SELECT how, count(*) FROM kith_t GROUP BY how"))
    assert stored == {"views": len(done["views"]), "tx": len(done["tx"])}
    assert all(len(d) > 0 for d in done.values())
    db.close()
