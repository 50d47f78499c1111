"""Acceptance: `kith serve` runs the workspace's clock. A schedule rule due every minute and a
segment-entry rule whose webhook receiver fails the first attempt both fire within one
interval; the receiver gets the delivery once, after the retry; a restart in the middle loses
and doubles nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pandas as pd

from engine import Workspace
from tests.analytics.test_webhooks import Receiver, receiver  # noqa: F401  (the fixture)
from tests.api.conftest import Server, new_server

WITHIN = 45.0  # seconds: well inside the schedule rule's one-minute interval
BACKOFF = 3  # seconds before the failed delivery's retry


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not check():
        assert time.monotonic() < deadline, f"not within {WITHIN:.0f} s: {what}"
        time.sleep(0.1)


def prepare(db: Path, hook: str) -> None:
    with Workspace.open(db) as ws:
        ws.settings.set_webhook_backoff_seconds(BACKOFF)
        ws.ingest.messages([_identify("u1", "US"), _identify("u2", "US")])
        ws.segments.save("indonesia", expression='country = "ID"')
        ws.rules.add("ping", 'every minute then notify "still here"')
        ws.rules.add("welcome", f'when entering segment "indonesia" then call webhook "{hook}"')


def _identify(user: str, country: str) -> dict:
    return {"type": "identify", "userId": user, "traits": {"country": country}}


def clock(server: Server) -> dict:
    return httpx.get(f"{server.url}/api/health", timeout=10).json()["clock"]


def test_the_server_runs_schedules_and_retries_webhooks_across_a_restart(
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    server = new_server(tmp_path)
    prepare(server.db, receiver.url)
    server.start()
    try:
        eventually(lambda: clock(server)["jobs"]["schedule_rules"]["runs"] >= 1, "schedules ran")
        with server.client("ingest") as client:
            sent = client.post("/v1/identify", json=_identify("u3", "ID"))
        assert sent.status_code == 200
        eventually(lambda: receiver.calls == 1, "the first delivery attempt (refused)")
        assert server.stop() == 0  # restart in the middle: the retry is still pending
        server.start()
        eventually(lambda: len(receiver.bodies) == 1, "the retried delivery")
        time.sleep(2 * BACKOFF)  # time for anything that would run twice
        health = clock(server)
        assert health["failures"] == 0 and health["running"] is True
    finally:
        server.stop()
    assert receiver.calls == 2 and len(receiver.bodies) == 1
    assert receiver.keys[0] == receiver.keys[1]  # the same delivery, retried
    with Workspace.open(server.db) as ws:
        u3 = ws.profiles.find("user_id", "u3")
        assert receiver.bodies[0]["profile_id"] == u3
        assert ws.rules.webhooks()[["status", "attempts"]].values.tolist() == [["delivered", 2]]
        runs = ws.rules.log("ping").groupby("fired_at")["profile_id"].agg(sorted).sort_index()
        first = [ws.profiles.find("user_id", user) for user in ("u1", "u2")]
        assert runs.iloc[0][:2] == first
        for profiles in runs:  # each run fires once per profile
            assert len(set(profiles)) == len(profiles)
        gaps = runs.index.to_series().diff().dropna()  # a slow machine may reach the next minute
        assert (gaps >= pd.Timedelta(minutes=1)).all()  # but the restart never runs it again
