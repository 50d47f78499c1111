"""The tracking API's pipeline: admit, journal, acknowledge; load in the background.

1. `submit` (the request's thread) runs admission (engine/ingest/intake.py): each message's fate is
   known before anything is written, so the answer can list the refused ones.
2. The journal thread takes every admitted request waiting, appends them to the journal
   (app/journal.py) and fsyncs ONCE, then resolves their futures: a 200 means the messages are
   on disk and survive a crash, at the cost of one fsync per group (well under a millisecond
   on the test machine) instead of a DuckDB commit.
3. The loader thread takes everything journaled so far (up to `max_load` messages) and stores it
   as ONE ingestion batch, with the journal position, in one transaction. While it works the
   next group accumulates, so a busy server loads fewer, larger batches; a trickle is given
   `linger` seconds to gather (unless a reader is waiting for its writes).

On start, records the workspace has not loaded are loaded first (a crash left them). On close,
everything accepted is journaled and loaded before the workspace is closed. `wait_loaded` lets a
reader see its own writes: it waits until what was acknowledged before it is loaded.

Neither thread dies silently. A failed journal write fails only the requests of that group (503,
retry) and the thread goes on; a failed load is retried `retries` times with a growing pause.
Every failure is kept in `health()` (what /api/health shows: status not "ok", the errors); a
thread that cannot go on (the load still fails, or a bug) calls `on_fatal`, which in
`kith serve` stops the process loudly: what was acknowledged is in the journal and is loaded on
the next start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import queue
import threading
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from app.journal import Journal, Record, journal_dir
from engine import Workspace
from engine.clock import utcnow
from engine.ingest.intake import Admitted, Part, Refusal
from kith_errors import JournalFailed, QueueClosed, QueueFull

log = logging.getLogger("kith.ingest")


@dataclass(frozen=True)
class ThreadError:
    """One failure of a background thread, as /api/health shows it."""

    thread: str
    at: str  # naive UTC ISO time
    error: str


@dataclass(frozen=True)
class Health:
    status: str  # "ok", "degraded" (a thread failed and went on) or "failed" (one stopped)
    errors: list[ThreadError]


@dataclass
class PipelineStats:
    """What the pipeline has done since start: for /api/health and the benchmark."""

    accepted_requests: int = 0
    accepted_messages: int = 0
    journal_writes: int = 0
    journal_seconds: float = 0.0
    loads: int = 0
    loaded_messages: int = 0
    duplicates: int = 0
    failures: int = 0
    load_seconds: float = 0.0


@dataclass
class _Waiting:
    """Admitted requests (one or a group admitted together) waiting for the journal."""

    admitted: Admitted
    received: dt.datetime
    requests: int
    future: Future[None] = field(default_factory=Future)


Outcome = tuple[list[Refusal], Future[None]]  # a request's refused messages; journaled when done


@dataclass(frozen=True)
class _Journaled:
    seq: int
    part: Part


_STOP = object()


class IngestPipeline:
    def __init__(
        self,
        ws: Workspace,
        journal: Journal,
        *,
        max_load: int = 50_000,
        max_backlog: int = 1_000_000,
        linger: float = 1.0,
        retries: int = 5,
        retry_pause: float = 1.0,
        on_fatal: Callable[[str], None] | None = None,
    ) -> None:
        self.ws = ws
        self.journal = journal
        self.max_load = max_load
        self.max_backlog = max_backlog
        self.linger = linger
        self.retries = retries
        self.retry_pause = retry_pause
        self.on_fatal = on_fatal or _log_fatal
        self.stats = PipelineStats()
        self._errors: deque[ThreadError] = deque(maxlen=20)
        self._fatal: str | None = None
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._gate = threading.Lock()  # submit vs close: nothing is queued behind the stop
        self._closed = False
        self.replayed = 0  # journaled requests the last run left unloaded (known on start)
        self._loaded = threading.Condition()  # guards the fields below
        self._backlog: deque[_Journaled] = deque()
        self._backlog_messages = 0
        self._journaled_seq = 0
        self._loaded_seq = 0
        self._stopping = False
        self._readers = 0  # threads in wait_loaded: the loader does not linger for them
        self._arrivals: list[tuple[list[Any], asyncio.Future[Outcome]]] = []  # event loop only
        self._writer = threading.Thread(target=self._write_loop, name="kith-journal", daemon=True)
        self._loader = threading.Thread(target=self._load_loop, name="kith-loader", daemon=True)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> IngestPipeline:
        """Queue what the last run journaled but did not load (it is loaded first, and reads
        wait for it like for any acknowledged write), then start the threads."""
        loaded = self.ws.intake.loaded_seq()
        left = self.journal.open(loaded, self.ws.intake.workspace_key())
        if left:
            log.warning("loading %d journaled requests left by the last run", len(left))
        self.replayed = len(left)
        self._loaded_seq = loaded
        self._journaled_seq = max(loaded, self.journal.last_seq)
        for record in left:
            self._backlog.append(self._replayed(record))
            self._backlog_messages += len(record.messages)
        self._writer.start()
        self._loader.start()
        return self

    def close(self, timeout: float = 120.0) -> None:
        """Stop taking requests; journal and load everything accepted."""
        with self._gate:
            if self._closed:
                return
            self._closed = True
        self._inbox.put(_STOP)
        self._writer.join(timeout)
        with self._loaded:
            self._stopping = True
            self._loaded.notify_all()
        self._loader.join(timeout)
        self.journal.close(self._loaded_seq)

    # ---- requests ----------------------------------------------------------------------------

    def submit(self, messages: list[Any]) -> Outcome:
        """Admit one request's messages; the future resolves once the accepted ones are
        journaled (durable). Raises QueueClosed / QueueFull."""
        return self.submit_many([messages])[0]

    def submit_many(self, requests: list[list[Any]]) -> list[Outcome]:
        """Admit several requests together, as one frame (admission's fixed cost, about 0.7 ms,
        is paid once), and journal what they accept as one record."""
        received = utcnow()
        admitted = self.ws.intake.admit([m for messages in requests for m in messages], received)
        refused = _split(admitted.refused, [len(messages) for messages in requests])
        waiting = _Waiting(admitted, received, len(requests))
        if not admitted.messages:
            waiting.future.set_result(None)
            return [(own, waiting.future) for own in refused]
        with self._gate:
            if self._closed:
                raise QueueClosed("the server is shutting down; send again in a moment")
            if self._fatal:
                raise JournalFailed(f"the server cannot store messages now: {self._fatal}")
            if self._backlog_messages > self.max_backlog:
                raise QueueFull("too many messages are waiting to be stored; retry shortly")
            self._inbox.put(waiting)
        return [(own, waiting.future) for own in refused]

    async def ingest(self, messages: list[Any]) -> list[Refusal]:
        """Admit on the event loop together with every request that arrived in the same turn of
        the loop, then wait for the journal; the refused messages. Admission stays on the loop:
        a hand-off to a worker thread costs more than the work in GIL switches under load."""
        loop = asyncio.get_running_loop()
        arrival: asyncio.Future[Outcome] = loop.create_future()
        self._arrivals.append((messages, arrival))
        if len(self._arrivals) == 1:
            loop.call_soon(self._admit_arrivals)
        refused, journaled = await arrival
        await asyncio.wrap_future(journaled)
        return refused

    def _admit_arrivals(self) -> None:
        arrivals, self._arrivals = self._arrivals, []
        self._admit(arrivals)

    def _admit(self, arrivals: list[tuple[list[Any], asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = self.submit_many([messages for messages, _ in arrivals])
        except (QueueClosed, QueueFull) as err:
            _settle(arrivals, err)
        except Exception as err:
            if len(arrivals) == 1:
                _settle(arrivals, err)
                return
            for arrival in arrivals:  # one at a time, so a request that breaks fails alone
                self._admit([arrival])
        else:
            for (_, answer), outcome in zip(arrivals, outcomes, strict=True):
                if not answer.done():  # the client may have gone away
                    answer.set_result(outcome)

    def wait_loaded(self, timeout: float) -> bool:
        """Wait until everything acknowledged so far is loaded; False on timeout."""
        with self._loaded:
            target = self._journaled_seq
            self._readers += 1
            self._loaded.notify_all()
            try:
                return self._loaded.wait_for(lambda: self._loaded_seq >= target, timeout)
            finally:
                self._readers -= 1

    def forget(self, timeout: float = 60.0) -> None:
        """Leave no loaded message in the journal (after an erase: the journal must not keep
        the person's messages until the next rotation): the open segment is closed, what it
        holds is loaded, and every segment fully loaded is deleted. New messages go to a new
        segment meanwhile."""
        self.journal.seal()
        if not self.wait_loaded(timeout):
            raise JournalFailed("the journal could not be cleared: loading is behind")
        self.journal.release(self._loaded_seq)

    @property
    def lag(self) -> int:
        """Messages acknowledged but not yet loaded."""
        return self._backlog_messages

    def health(self) -> Health:
        """ "failed" once a thread stopped, "degraded" once one failed and went on, else "ok"."""
        errors = list(self._errors)
        if self._fatal or not self._threads_alive():
            return Health("failed", errors)
        return Health("degraded" if errors else "ok", errors)

    def _threads_alive(self) -> bool:
        return self._closed or (self._writer.is_alive() and self._loader.is_alive())

    def _report(self, thread: str, err: BaseException) -> None:
        self._errors.append(
            ThreadError(thread, utcnow().isoformat(), f"{type(err).__name__}: {err}")
        )

    def _die(self, thread: str, err: BaseException) -> None:
        """A thread cannot go on: keep why, refuse new messages, and call `on_fatal`."""
        log.critical("the %s thread stopped", thread, exc_info=err)
        self._report(thread, err)
        self._fatal = f"the {thread} thread stopped ({type(err).__name__}: {err})"
        self.on_fatal(self._fatal)

    # ---- the journal thread ------------------------------------------------------------------

    def _write_loop(self) -> None:
        try:
            stopping = False
            while not stopping:
                group, stopping = self._take_inbox()
                if group:
                    self._journal(group)
        except BaseException as err:
            self._die("journal", err)

    def _take_inbox(self) -> tuple[list[_Waiting], bool]:
        """Block for one request, then take every one already waiting."""
        group: list[_Waiting] = []
        item = self._inbox.get()
        while item is not None:
            if item is _STOP:
                return group, True
            group.append(item)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                item = None
        return group, False

    def _journal(self, group: list[_Waiting]) -> None:
        """Journal the group and answer its requests; a failure fails this group alone (its
        requests get an error to retry on) and the thread goes on with the next."""
        first = max(self._journaled_seq, self.journal.last_seq) + 1  # a failed write's are used
        records = [
            Record(first + k, w.received, w.admitted.messages, w.admitted.encoded)
            for k, w in enumerate(group)
        ]
        started = time.perf_counter()
        try:
            self.journal.append(records)
        except Exception as err:
            log.error("the journal could not be written: %s", err)
            self._report("journal", err)
            failure = JournalFailed(f"the journal could not be written ({err}); send again")
            for waiting in group:
                waiting.future.set_exception(failure)
            return
        self.stats.journal_seconds += time.perf_counter() - started
        self._hand_to_loader(records, group)
        for waiting in group:
            waiting.future.set_result(None)

    def _hand_to_loader(self, records: list[Record], group: list[_Waiting]) -> None:
        with self._loaded:
            for record, waiting in zip(records, group, strict=True):
                part = Part(record.received, record.messages, waiting.admitted.canon)
                self._backlog.append(_Journaled(record.seq, part))
                self._backlog_messages += len(record.messages)
            self._journaled_seq = records[-1].seq
            self._loaded.notify_all()
        self.stats.accepted_requests += sum(w.requests for w in group)
        self.stats.accepted_messages += sum(len(r.messages) for r in records)
        self.stats.journal_writes += 1

    # ---- the loader thread -------------------------------------------------------------------

    def _load_loop(self) -> None:
        try:
            while True:
                with self._loaded:
                    self._loaded.wait_for(lambda: self._backlog or self._stopping)
                    self._linger()
                    chunk = self._take_backlog()
                if not chunk:
                    return  # stopping, and nothing is left
                self._load_retrying(chunk)
        except BaseException as err:
            self._die("loader", err)

    def _load_retrying(self, chunk: list[_Journaled]) -> None:
        """Load the chunk; when that fails (the file cannot be written, a bug), again with a
        growing pause, only the records not loaded yet; after `retries` the error stands."""
        for attempt in range(self.retries + 1):
            left = [j for j in chunk if j.seq > self._loaded_seq]
            if not left:
                return
            try:
                self._load(left)
                return
            except Exception as err:
                log.error("loading journal records failed (attempt %d): %s", attempt + 1, err)
                self._report("loader", err)
                if attempt == self.retries:
                    raise
                time.sleep(self.retry_pause * 2**attempt)

    def _linger(self) -> None:
        """Let a trickle of small requests gather into one batch for up to `linger` seconds:
        a batch's fixed cost is paid once for all of them. Not when a reader waits for its
        writes, the batch is full, or the pipeline is stopping."""
        deadline = time.monotonic() + self.linger
        while not (self._stopping or self._readers or self._backlog_messages >= self.max_load):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._loaded.wait(remaining)

    def _take_backlog(self) -> list[_Journaled]:
        chunk: list[_Journaled] = []
        size = 0
        while self._backlog and (not chunk or size < self.max_load):
            item = self._backlog.popleft()
            chunk.append(item)
            size += len(item.part.messages)
        return chunk

    def _load(self, chunk: list[_Journaled]) -> None:
        """Store the chunk as one batch; if that fails, each request alone, so one bad request
        cannot hold up the others (what still fails is kept in `ingest_failures`)."""
        started = time.perf_counter()
        try:
            loaded = self.ws.intake.load([j.part for j in chunk], chunk[-1].seq)
            self._count(loaded.report.accepted, loaded.report.duplicates, len(loaded.failures))
        except Exception as err:
            if len(chunk) > 1:
                log.warning(
                    "a load of %d requests failed (%s); loading one by one", len(chunk), err
                )
                for item in chunk:
                    self._load([item])
                return
            self._give_up(chunk[0], err)
        self.stats.loads += 1
        self.stats.load_seconds += time.perf_counter() - started
        self._mark_loaded(chunk)

    def _give_up(self, item: _Journaled, err: Exception) -> None:
        log.error("journal record %d could not be stored: %s", item.seq, err)
        kept = self.ws.intake.fail([item.part], item.seq, f"the batch could not be stored: {err}")
        self._count(0, 0, len(kept))

    def _count(self, accepted: int, duplicates: int, failures: int) -> None:
        self.stats.loaded_messages += accepted
        self.stats.duplicates += duplicates
        self.stats.failures += failures

    def _mark_loaded(self, chunk: list[_Journaled]) -> None:
        with self._loaded:
            self._loaded_seq = max(self._loaded_seq, chunk[-1].seq)
            self._backlog_messages -= sum(len(j.part.messages) for j in chunk)
            self._loaded.notify_all()
        self.journal.release(self._loaded_seq)

    def _replayed(self, record: Record) -> _Journaled:
        canon = self.ws.intake.canonical(record.messages, record.received)
        return _Journaled(record.seq, Part(record.received, record.messages, canon))


def load_left_journal(ws: Workspace) -> int:
    """Without a server: load what a server that stopped without a clean shutdown journaled
    but never loaded, as its next start would, and delete the journal files once loaded (an
    erase must not leave the person's messages there). Returns the records loaded."""
    directory = journal_dir(ws.path)
    if not directory.is_dir():
        return 0
    pipeline = IngestPipeline(ws, Journal(directory), linger=0.0).start()
    pipeline.close()
    if pipeline.health().status == "failed":
        raise JournalFailed(f"the journal {directory} could not be loaded; see the log")
    return pipeline.replayed


def _log_fatal(reason: str) -> None:
    log.critical("ingestion stopped: %s", reason)


def _split(refused: list[Refusal], sizes: list[int]) -> list[list[Refusal]]:
    """Refusals over a group's messages, back to each request's own (indexes its own)."""
    starts = list(accumulate(sizes, initial=0))
    own: list[list[Refusal]] = [[] for _ in sizes]
    for refusal in refused:
        k = bisect_right(starts, refusal.index) - 1
        own[k].append(Refusal(refusal.index - starts[k], refusal.reason))
    return own


def _settle(arrivals: list[tuple[list[Any], asyncio.Future[Outcome]]], err: Exception) -> None:
    for _, arrival in arrivals:
        if not arrival.done():
            arrival.set_exception(err)
