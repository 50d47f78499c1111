"""The server's clock: the recurring jobs `kith serve` runs beside the ingest pipeline.

Each job runs on its own thread, so a slow webhook receiver never delays a schedule rule:

- `schedule_rules`: the `every ...` rules that are due (each rule's last run is stored with it);
- `time_refresh`: every time-dependent saved segment re-evaluated as of now (one set-based
  statement per segment) and the entering/leaving rules fired, every
  `settings.time_refresh_seconds` (default 5 minutes);
- `webhooks`: the webhook outbox's due deliveries, retried with exponential backoff
  (engine/rules/webhooks.py; the base wait and the attempts are settings);
- `activation`: segment syncs that are due queue their deltas, due broadcasts queue their
  messages, and every destination's outbox is delivered in order, paced, with the same backoff
  (engine/activation/);
- `at_a_glance`: once a minute at most, when the data changed since the last measure (the
  workspace's data version), every goal's rate and the consent violations over each of the
  Overview's windows are measured and stored (engine/analytics/goal_rates.py, overview.py), so
  the Overview reads them instead of running a funnel per goal and the violations' join.

Jobs with an interval of their own remember their last run in the workspace
(engine/admin/jobs.py): after a restart, a job that fell due while the server was down runs once,
at start, and one that ran recently waits out its interval. The others find what is due from the
workspace itself (a rule's last run, a delivery's next try). A failing run is logged, counted and
shown in `/api/health` with its error; the job runs again at its next turn. Intervals are read
before every wait, so a Settings change applies within one tick.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import Workspace
from engine.admin import jobs
from engine.analytics.goal_rates import WINDOWS
from engine.changes import Change, ChangeKind
from engine.clock import utcnow

log = logging.getLogger("kith.clock")

TICK = 1.0  # seconds: how often the jobs without an interval of their own look for work
GLANCE_SECONDS = 60.0  # at most this often: measuring costs a funnel per goal per window


@dataclass
class JobStats:
    """What one job has done since the server started."""

    runs: int = 0
    failures: int = 0
    running: bool = False
    last_run_at: dt.datetime | None = None
    last_seconds: float | None = None  # how long the last run took
    last_error: str | None = None
    last_failed_at: dt.datetime | None = None
    next_run_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        def stamp(at: dt.datetime | None) -> str | None:
            return None if at is None else at.isoformat(timespec="seconds")

        return {
            "runs": self.runs,
            "failures": self.failures,
            "running": self.running,
            "last_run_at": stamp(self.last_run_at),
            "last_seconds": None if self.last_seconds is None else round(self.last_seconds, 3),
            "last_error": self.last_error,
            "last_failed_at": stamp(self.last_failed_at),
            "next_run_at": stamp(self.next_run_at),
        }


@dataclass(frozen=True)
class Job:
    """A recurring piece of work: `run(now)` every `interval()` seconds. `remembered`: its last
    run is kept in the workspace (it has an interval of its own)."""

    name: str
    interval: Callable[[], float]
    run: Callable[[dt.datetime], object]
    remembered: bool = False
    stats: JobStats = field(default_factory=JobStats)


class Scheduler:
    def __init__(self, ws: Workspace, jobs_to_run: list[Job], *, tick: float = TICK) -> None:
        self.ws = ws
        self.jobs = jobs_to_run
        self.tick = tick
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Scheduler:
        """Start one thread per job; remembered jobs due while the server was down run first."""
        last = jobs.last_runs(self.ws.db)
        for job in self.jobs:
            job.stats.last_run_at = last.get(job.name) if job.remembered else None
            thread = threading.Thread(
                target=self._loop, args=(job,), name=f"kith-clock-{job.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking up new runs; wait for the running ones (a delivery in flight ends
        within its HTTP timeout)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    # ---- the jobs ----------------------------------------------------------------------------

    def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                wait = self._wait(job)
                if wait <= 0:
                    self._run(job)
                    continue
            except Exception as err:  # reading the interval failed: count it, try again later
                self._failed(job, err)
                wait = self.tick
            self._stop.wait(min(wait, self.tick))

    def _wait(self, job: Job) -> float:
        """Seconds until the job is due (0 or less: now)."""
        interval = max(float(job.interval()), 0.0)
        last = job.stats.last_run_at
        job.stats.next_run_at = utcnow() if last is None else last + dt.timedelta(seconds=interval)
        return (job.stats.next_run_at - utcnow()).total_seconds()

    def _run(self, job: Job) -> None:
        now, started = utcnow(), time.perf_counter()
        job.stats.running = True
        try:
            job.run(now)
            job.stats.runs += 1
        except Exception as err:  # the job fails, the clock does not: logged, counted, shown
            self._failed(job, err)
        finally:
            job.stats.running = False
            job.stats.last_run_at = now  # a failed run waits its interval too: no retry storm
            job.stats.last_seconds = time.perf_counter() - started
        if job.remembered:
            self._remember(job, now)

    def _remember(self, job: Job, now: dt.datetime) -> None:
        try:
            jobs.record_run(self.ws.db, job.name, now)
        except Exception as err:
            self._failed(job, err)

    def _failed(self, job: Job, err: Exception) -> None:
        log.exception("the clock's job %r failed", job.name)
        job.stats.failures += 1
        job.stats.last_error = f"{type(err).__name__}: {err}"
        job.stats.last_failed_at = utcnow()

    # ---- health ------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Per job: runs, failures, last run, last error, next run; and whether every job's
        thread is alive."""
        alive = bool(self._threads) and all(t.is_alive() for t in self._threads)
        return {
            "running": alive and not self._stop.is_set(),
            "failures": sum(job.stats.failures for job in self.jobs),
            "jobs": {job.name: job.stats.as_dict() for job in self.jobs},
        }


def server_jobs(ws: Workspace, *, tick: float = TICK) -> list[Job]:
    """The jobs `kith serve` runs."""
    return [
        Job("schedule_rules", lambda: tick, lambda now: ws.rules.run_schedules(now)),
        Job(
            "time_refresh",
            lambda: ws.settings.time_refresh_seconds,
            lambda now: refresh_time(ws, now),
            remembered=True,
        ),
        Job("webhooks", lambda: tick, lambda now: ws.rules.deliver_webhooks(now)),
        Job("activation", lambda: tick, lambda now: ws.activation.run(now)),
        Job("at_a_glance", lambda: GLANCE_SECONDS, AtAGlanceJob(ws)),
    ]


class AtAGlanceJob:
    """Measures the Overview's at-a-glance figures (every goal's rate, the consent violations)
    over its windows when the data changed since it last did (and once at start: the file may
    have changed while the server was down)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.measured: str | None = None  # the data version last measured

    def __call__(self, now: dt.datetime) -> None:
        version = self.ws.data_version  # read first: a commit while measuring brings a rerun
        if version == self.measured:
            return
        self.ws.goals.measure_rates(WINDOWS, as_of=now)
        self.ws.overview.measure_violations(WINDOWS, as_of=now)
        self.measured = version


def refresh_time(ws: Workspace, now: dt.datetime) -> None:
    """Time passed: every time-dependent saved segment re-evaluated as of `now`, set-based, and
    the entering/leaving rules fired. It holds the write lock throughout, so the ingest thread's
    commits wait for it rather than interleave with it (acknowledgments do not wait: the
    journal answers them)."""
    with ws.db.writing():
        ws.commit(Change(ChangeKind.TIME, as_of=now))
