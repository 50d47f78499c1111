"""The tracking API's journal on real files: what is appended comes back after a restart,
segments rotate and are deleted once loaded, and a torn last line is skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.journal import Journal, Record
from kith_errors import StoreError

T0 = dt.datetime(2026, 11, 23, 8, 30, 0, 123456)


def record(seq: int, size: int = 2) -> Record:
    messages = [
        {"type": "track", "event": "tick", "userId": f"u{seq}", "n": n} for n in range(size)
    ]
    return Record(seq, T0 + dt.timedelta(seconds=seq), messages)


def segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def reopened(directory: Path, loaded: int) -> tuple[Journal, list[Record]]:
    journal = Journal(directory)
    return journal, journal.open(loaded)


def test_appended_records_come_back_after_a_restart(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1), record(2)])
    journal.append([record(3)])  # no close: as after kill -9
    again, pending = reopened(tmp_path / "j", loaded=1)
    assert pending == [record(2), record(3)]
    assert again.last_seq == 3


def test_segments_rotate_and_are_deleted_once_loaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", segment_bytes=200)
    journal.open(0)
    for seq in range(1, 7):
        journal.append([record(seq)])
    names = [p.name for p in segments(tmp_path / "j")]
    assert len(names) > 2 and names[0] == f"{1:012d}.jsonl"
    journal.release(loaded=3)
    remaining = segments(tmp_path / "j")
    assert remaining and all(int(p.stem) > 1 for p in remaining)
    journal.close(loaded=6)
    assert segments(tmp_path / "j") == []


def test_a_closed_journal_keeps_what_is_not_loaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1), record(2)])
    journal.close(loaded=1)
    assert reopened(tmp_path / "j", loaded=1)[1] == [record(2)]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1)])
    segment = segments(tmp_path / "j")[0]
    with segment.open("ab") as handle:
        handle.write(record(2).line()[:25])  # the crash came mid-write: never acknowledged
    assert reopened(tmp_path / "j", loaded=0)[1] == [record(1)]


def test_a_damaged_record_before_the_end_is_an_error_naming_the_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1), record(2)])
    segment = segments(tmp_path / "j")[0]
    lines = segment.read_bytes().split(b"\n")
    segment.write_bytes(b"\n".join([lines[0][:10], *lines[1:]]))
    with pytest.raises(StoreError, match=r"damaged at line 1") as caught:
        reopened(tmp_path / "j", loaded=0)
    assert caught.value.details["path"] == str(segment)


def test_new_records_after_a_restart_continue_the_numbering(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1), record(2)])
    again, _ = reopened(tmp_path / "j", loaded=1)
    again.append([record(again.last_seq + 1)])
    assert [r.seq for r in reopened(tmp_path / "j", loaded=0)[1]] == [1, 2, 3]


def test_opening_deletes_segments_that_are_fully_loaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0)
    journal.append([record(1), record(2)])
    again, pending = reopened(tmp_path / "j", loaded=2)
    assert pending == [] and segments(tmp_path / "j") == []
    assert again.last_seq == 2


def test_a_journal_of_another_owner_is_moved_aside_not_read(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.open(0, "file-a")
    journal.append([record(1)])
    assert Journal(tmp_path / "j").open(0, "file-b") == []
    assert segments(tmp_path / "j") == []
    [aside] = tmp_path.glob("j.other-file-a-*")
    assert Journal(aside).open(0, "file-a") == [record(1)]
