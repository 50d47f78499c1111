"""The server's clock on a real workspace: a failing job is logged, counted and shown while the
others keep running; a job with an interval of its own runs once at start when it fell due while
the server was down, and not at all when it ran recently."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from app.scheduler import Job, Scheduler, server_jobs
from engine import Workspace
from engine.admin import jobs
from engine.clock import utcnow

WAIT = 10.0


def eventually(check: Callable[[], bool], wait: float = WAIT) -> None:
    deadline = time.monotonic() + wait
    while not check():
        assert time.monotonic() < deadline, "the clock did not get there in time"
        time.sleep(0.02)


def test_a_failing_job_is_counted_and_shown_and_the_clock_goes_on(ws: Workspace) -> None:
    ran = threading.Event()

    def broken(now: dt.datetime) -> None:
        raise RuntimeError("the receiver is on fire")

    clock = Scheduler(
        ws, [Job("broken", lambda: 0.01, broken), Job("fine", lambda: 0.01, lambda _: ran.set())]
    ).start()
    try:
        eventually(lambda: clock.health()["jobs"]["broken"]["failures"] >= 2)
        assert ran.wait(WAIT)
        health = clock.health()
        assert health["running"] is True
        assert health["jobs"]["broken"]["last_error"] == "RuntimeError: the receiver is on fire"
        assert health["jobs"]["broken"]["runs"] == 0
        assert health["failures"] == health["jobs"]["broken"]["failures"]
        eventually(lambda: clock.health()["jobs"]["fine"]["runs"] >= 2)
    finally:
        clock.close()
    assert clock.health()["running"] is False


def test_a_job_due_while_the_server_was_down_runs_once_at_start(ws: Workspace) -> None:
    runs: list[dt.datetime] = []
    hour = 3600.0
    jobs.record_run(ws.db, "hourly", utcnow() - dt.timedelta(days=2))  # missed 48 runs
    clock = Scheduler(ws, [Job("hourly", lambda: hour, runs.append, remembered=True)]).start()
    try:
        eventually(lambda: len(runs) == 1)
        time.sleep(0.2)
        assert len(runs) == 1
        assert jobs.last_runs(ws.db)["hourly"] == runs[0]
        next_run = clock.health()["jobs"]["hourly"]["next_run_at"]
        assert next_run == (runs[0] + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    finally:
        clock.close()
    again = Scheduler(ws, [Job("hourly", lambda: hour, runs.append, remembered=True)]).start()
    time.sleep(0.3)
    again.close()
    assert len(runs) == 1  # it ran a moment ago: a restart does not run it again


def test_schedule_rules_due_several_times_over_fire_once(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "identify", "userId": "u1", "timestamp": "2026-03-01T09:00:00Z"}])
    ws.rules.add("daily", 'every day then notify "hello"')
    start = dt.datetime(2030, 1, 1)
    assert ws.rules.run_schedules(start) == {"daily": 1}
    assert ws.rules.run_schedules(start + dt.timedelta(hours=23)) == {}
    assert ws.rules.run_schedules(start + dt.timedelta(days=5)) == {"daily": 1}
    assert len(ws.rules.notifications()) == 2


def test_the_time_refresh_moves_people_out_of_a_window_and_fires_leaving_rules(
    ws: Workspace,
) -> None:
    """A purchase 50 s ago is inside `in last 1 minutes` now and outside it in a few seconds:
    only the clock's time-based refresh can notice, and the leaving rule fires once."""
    ws.settings.set_time_refresh_seconds(1)
    bought = (utcnow() - dt.timedelta(seconds=50)).isoformat() + "Z"
    ws.ingest.messages(
        [{"type": "track", "userId": "u1", "event": "purchase", "timestamp": bought}]
    )
    ws.segments.save("just_bought", expression="did purchase in last 1 minutes")
    ws.rules.add("lapsed", 'when leaving segment "just_bought" then notify "lapsed"')
    assert ws.segments.get("just_bought")["size"] == 1
    clock = Scheduler(ws, [job for job in server_jobs(ws) if job.name == "time_refresh"])
    clock.start()
    try:
        eventually(lambda: ws.rules.unread() == 1, wait=30)  # the window ends within 10 s
        time.sleep(1.5)  # more refreshes: the person is out already, nothing fires again
    finally:
        clock.close()
    assert ws.segments.get("just_bought")["size"] == 0
    assert ws.rules.notifications()["message"].tolist() == ["lapsed"]
    assert clock.health()["jobs"]["time_refresh"]["runs"] >= 2
    assert clock.health()["failures"] == 0
