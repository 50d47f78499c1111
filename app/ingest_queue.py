"""Group commit for the tracking API: one writer thread turns many small requests into few
ingestion batches.

A request hands its messages to `IngestQueue.submit` and waits for the returned future. The
writer thread takes everything queued (waiting up to `max_wait` seconds for more while the
group is below `max_messages`), calls `ws.ingest.messages` ONCE for the whole group, and then
resolves each request's future with its own part of the report. So a 200 is only sent after
the request's messages are committed to DuckDB, and a busy server writes bigger batches
instead of more of them (the queue fills while a commit runs).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from bisect import bisect_right
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from engine import Workspace
from engine.models import IngestReport
from kith_errors import KithError, StoreError

log = logging.getLogger("kith.ingest_queue")


class QueueClosed(StoreError):
    """The server is shutting down and takes no more messages."""

    code = "shutting_down"


class QueueFull(StoreError):
    """More requests are waiting than the writer can keep up with; the client should retry."""

    code = "overloaded"


@dataclass(frozen=True)
class Rejected:
    index: int  # 0-based position in the request's list of messages
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one request's messages (the group's report, cut to this request)."""

    received: int
    rejected: list[Rejected]
    batch_id: int | None

    @property
    def accepted(self) -> int:
        return self.received - len(self.rejected)


@dataclass
class QueueStats:
    """What the writer has done since start: for /api/health and the benchmark."""

    batches: int = 0
    messages: int = 0
    ingest_seconds: float = 0.0

    def add(self, messages: int, seconds: float) -> None:
        self.batches += 1
        self.messages += messages
        self.ingest_seconds += seconds


@dataclass
class _Request:
    messages: list[dict[str, Any]]
    future: Future[Outcome] = field(default_factory=Future)


_STOP = object()


class IngestQueue:
    def __init__(
        self,
        ws: Workspace,
        *,
        source: str = "api",
        max_messages: int = 20000,
        max_wait: float = 0.002,
        max_pending: int = 20000,
    ) -> None:
        self.ws = ws
        self.source = source
        self.max_messages = max_messages
        self.max_wait = max_wait
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._closed = False
        self._gate = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="kith-ingest-writer", daemon=True)
        self.stats = QueueStats()

    def start(self) -> IngestQueue:
        self._thread.start()
        return self

    def submit(self, messages: list[dict[str, Any]]) -> Future[Outcome]:
        """Queue one request's messages; the future resolves once they are committed."""
        request = _Request(messages)
        with self._gate:  # never behind the stop marker, where the writer would not see it
            if self._closed:
                raise QueueClosed("the server is shutting down; send again in a moment")
            try:
                self._queue.put_nowait(request)
            except queue.Full as err:
                raise QueueFull("too many requests are waiting; retry shortly") from err
        return request.future

    async def ingest(self, messages: list[dict[str, Any]]) -> Outcome:
        return await asyncio.wrap_future(self.submit(messages))

    def close(self, timeout: float = 60.0) -> None:
        """Stop taking requests and wait until every accepted one is committed."""
        with self._gate:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)  # after every accepted request; blocks only while the queue is full
        self._thread.join(timeout)

    # ---- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group, stopping = self._collect()
            if group:
                self._commit(group)

    def _collect(self) -> tuple[list[_Request], bool]:
        """The next group: block for one request, then take more until full or max_wait."""
        first = self._queue.get()
        if first is _STOP:
            return self._drain(), True
        group, size = [first], len(first.messages)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_messages:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                return group + self._drain(), True
            group.append(item)
            size += len(item.messages)
        return group, False

    def _drain(self) -> list[_Request]:
        """Everything still queued (at shutdown, after the stop marker)."""
        items: list[_Request] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return items
            if item is not _STOP:
                items.append(item)

    def _commit(self, group: list[_Request]) -> None:
        try:
            report = self._ingest([m for r in group for m in r.messages])
        except Exception as err:
            if len(group) == 1:
                _fail(group[0], err)
                return
            # one request may hold what broke the batch: retry each alone so the rest land
            log.warning("group of %d requests failed (%s); retrying one by one", len(group), err)
            for request in group:
                self._commit([request])
            return
        _resolve(group, report)

    def _ingest(self, messages: list[dict[str, Any]]) -> IngestReport:
        started = time.perf_counter()
        report = self.ws.ingest.messages(messages, source=self.source)
        self.stats.add(len(messages), time.perf_counter() - started)
        return report

    @property
    def pending(self) -> int:
        return self._queue.qsize()


def _resolve(group: list[_Request], report: IngestReport) -> None:
    """Give each request the rejections that fall in its slice of the group."""
    starts = list(accumulate((len(r.messages) for r in group), initial=0))
    rejected: list[list[Rejected]] = [[] for _ in group]
    for rejection in report.rejected:
        position = rejection.line - 1  # the report counts from 1
        k = bisect_right(starts, position) - 1
        rejected[k].append(Rejected(position - starts[k], rejection.reason))
    for request, own in zip(group, rejected, strict=True):
        request.future.set_result(Outcome(len(request.messages), own, report.batch_id))


def _fail(request: _Request, err: Exception) -> None:
    if not isinstance(err, KithError):
        log.exception("ingestion failed", exc_info=err)
    request.future.set_exception(err)
