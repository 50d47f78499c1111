"""The tracking API's durable journal: append-only files of accepted requests.

A request's accepted messages are appended and fsynced before its 200 is sent, so they survive
a crash before they reach DuckDB. The loader (app/ingest_pipeline.py) loads records into the
workspace in large batches and stores the last loaded sequence number in the workspace in the
same transaction; on start, the records after it are loaded again. Files are named after their
first sequence number, rotated at `segment_bytes`, and deleted once all their records are loaded.

One record per line: {"seq": n, "received": "<naive UTC ISO time>", "messages": [...]}. A crash
mid-write can leave a torn last line; it was never acknowledged, so reading skips it. The file
`workspace` holds the key of the workspace file the journal belongs to (store/journal.py), so a
journal left by a deleted file is set aside rather than loaded into a new one at the same path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic_core

from kith_errors import StoreError

log = logging.getLogger("kith.journal")
SEGMENT_BYTES = 64 * 1024 * 1024
_sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
_SUFFIX = ".jsonl"
_OWNER = "workspace"  # the key of the workspace file the journal belongs to


@dataclass(frozen=True)
class Record:
    seq: int
    received: dt.datetime
    messages: list[dict[str, Any]]
    # the messages as compact JSON, encoded at admission (engine/ingest/intake.py), which
    # refuses a message that cannot be encoded: the journal thread then never meets one
    encoded: list[bytes] = field(default_factory=list)

    def line(self) -> bytes:
        if len(self.encoded) != len(self.messages):
            body = {
                "seq": self.seq,
                "received": self.received.isoformat(),
                "messages": self.messages,
            }
            return pydantic_core.to_json(body) + b"\n"  # compact, and 3x json.dumps' speed
        head = pydantic_core.to_json({"seq": self.seq, "received": self.received.isoformat()})
        return head[:-1] + b',"messages":[' + b",".join(self.encoded) + b"]}\n"


def journal_dir(db_path: str | Path) -> Path:
    """Where the journal of a workspace file lives: beside it."""
    return Path(f"{db_path}.journal")


class Journal:
    """Appends (one thread) and releases (another) are serialised on a lock."""

    def __init__(self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._segments: dict[Path, int] = {}  # closed segment -> its last seq
        self._file: Any = None
        self._path: Path | None = None
        self._size = 0
        self.last_seq = 0

    def open(self, loaded: int, owner: str = "") -> list[Record]:
        """Read the journal left by the last run: the records after `loaded`, in order. New
        records go to a new segment numbered after every record found. `owner` names the
        workspace file the journal belongs to: a journal left for another file (one deleted and
        created anew at the same path) is set aside, never loaded into this one."""
        self._claim(owner)
        pending: list[Record] = []
        self.last_seq = loaded
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            records = _read_segment(path)
            last = records[-1].seq if records else 0
            self.last_seq = max(self.last_seq, last)
            self._segments[path] = last
            pending += [r for r in records if r.seq > loaded]
        self.release(loaded)
        return pending

    def append(self, records: list[Record]) -> None:
        """Write the records and fsync once: when this returns they are durable. When it
        raises, the segment is closed (a torn record can only be the last line of a file, which
        reading skips) and the records' numbers are used up, never given to other records."""
        data = b"".join(r.line() for r in records)
        with self._lock:
            self.last_seq = records[-1].seq
            try:
                if self._file is None or self._size >= self.segment_bytes:
                    self._rotate(records[0].seq)
                self._file.write(data)
                self._file.flush()
                _sync(self._file.fileno())
            except BaseException:
                self._abandon_current()
                raise
            self._size += len(data)

    def release(self, loaded: int) -> None:
        """Delete the closed segments whose records are all loaded (`seq <= loaded`)."""
        with self._lock:
            for path, last in list(self._segments.items()):
                if last <= loaded:
                    path.unlink(missing_ok=True)
                    del self._segments[path]

    def seal(self) -> None:
        """Close the open segment: the next append starts a new one, and this one can be
        deleted as soon as its records are loaded."""
        with self._lock:
            self._close_current()

    def close(self, loaded: int) -> None:
        """Close the open segment, and delete it too when everything in it is loaded."""
        with self._lock:
            self._close_current()
        self.release(loaded)

    def _claim(self, owner: str) -> None:
        marker = self.directory / _OWNER
        found = marker.read_text(encoding="utf-8").strip() if marker.exists() else owner
        if found != owner:
            stamp = f"{found[:12]}-{time.time_ns()}"  # unique: this may happen more than once
            aside = self.directory.with_name(f"{self.directory.name}.other-{stamp}")
            log.warning(
                "journal %s belongs to another workspace file; moved to %s", self.directory, aside
            )
            self.directory.rename(aside)
        self.directory.mkdir(parents=True, exist_ok=True)
        marker.write_text(owner, encoding="utf-8")

    def _rotate(self, first_seq: int) -> None:
        self._close_current()
        self._path = self.directory / f"{first_seq:012d}{_SUFFIX}"
        self._file = open(self._path, "ab")  # noqa: SIM115 - held open across appends
        self._size = 0
        _sync_directory(self.directory)  # the new file's name is durable too

    def _abandon_current(self) -> None:
        """Close the open segment after a failed write, whatever state the file is in."""
        try:
            self._close_current()
        except OSError as err:
            log.error("journal %s could not be closed after a failed write: %s", self._path, err)
            if self._path is not None:
                self._segments[self._path] = self.last_seq
            self._file, self._path = None, None

    def _close_current(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._segments[self._path] = self.last_seq
        self._file, self._path = None, None


def _read_segment(path: Path) -> list[Record]:
    records: list[Record] = []
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            records.append(_parse(raw))
        except (ValueError, KeyError, TypeError) as err:
            if number == len(lines):  # a torn last line: its request was never answered
                log.warning("journal %s: skipping an incomplete last record", path.name)
                break
            raise StoreError(
                f"journal file {path} is damaged at line {number}: {err}",
                details={"path": str(path), "line": number},
            ) from err
    return records


def _parse(raw: bytes) -> Record:
    body = json.loads(raw)
    received = dt.datetime.fromisoformat(body["received"])
    return Record(int(body["seq"]), received, list(body["messages"]))


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
