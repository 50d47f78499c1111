"""An erase through the real server rewrites the workspace file while the server runs
(store/db.py `Database.compact`): the person's values are then in no byte of the file or the
journal, and ingestion going on meanwhile loses, repeats and fails nothing. An erase without a
server, after a `kill -9`, first loads what the killed server left in its journal, so the
person is not left in the journal's files either."""

from __future__ import annotations

import signal
import threading

import pytest

from app.cli import main
from app.journal import journal_dir
from engine import Workspace
from tests.api.conftest import Server
from tests.profiles.erased_person import PERSON, found_in_files, messages

pytestmark = pytest.mark.xdist_group("api_erase")


def _person(server: Server) -> int:
    with server.client("rw") as client:
        found = client.get("/api/profiles", params={"search": PERSON["userId"]}).json()
    (person,) = found["profiles"]
    return int(person["id"])


def _sending(server: Server, stop: threading.Event, acked: list[str], answers: list[int]) -> None:
    """Batches of 10 until `stop`; the message ids answered 200, and every status code."""
    n = 0
    with server.client("ingest") as client:
        while not stop.is_set():
            ids = [f"bg-{n}-{i}" for i in range(10)]
            batch = [
                {"type": "track", "event": "steady", "userId": f"bg-{n % 5}", "messageId": m}
                for m in ids
            ]
            n += 1
            answer = client.post("/v1/batch", json={"batch": batch})
            answers.append(answer.status_code)
            if answer.status_code == 200:
                acked.extend(ids)


def _reading(server: Server, stop: threading.Event, answers: list[int]) -> None:
    with server.client("rw") as client:
        while not stop.is_set():
            answers.append(client.get("/api/events", params={"limit": 5}).status_code)


def test_a_served_erase_compacts_the_file_while_ingestion_goes_on(fresh_server: Server) -> None:
    with fresh_server.client("ingest") as client:
        assert client.post("/v1/batch", json={"batch": messages()}).status_code == 200
    person = _person(fresh_server)
    stop, acked, answers = threading.Event(), [], []
    workers = [
        threading.Thread(target=_sending, args=(fresh_server, stop, acked, answers)),
        threading.Thread(target=_reading, args=(fresh_server, stop, answers)),
    ]
    for worker in workers:
        worker.start()
    try:
        with fresh_server.client("rw") as client:
            erased = client.delete(f"/api/profiles/{person}")
            assert erased.status_code == 200, erased.text
            assert found_in_files(fresh_server.db.parent) == {}
            stop.wait(1.0)  # ingestion and reads go on against the new file
            stop.set()
            for worker in workers:
                worker.join(30)
            assert client.get("/api/events", params={"limit": 1}).status_code == 200
            health = client.get("/api/health").json()
    finally:
        stop.set()
    assert [code for code in answers if code != 200] == []
    assert health["status"] == "ok", health
    assert health["clock"]["running"] and health["clock"]["failures"] == 0, health
    assert fresh_server.stop(signal.SIGTERM) == 0
    with Workspace.open(fresh_server.db) as ws:
        stored = ws.db.rows(
            "SELECT message_id, count(*) FROM events WHERE type = 'steady' GROUP BY ALL"
        )
    assert acked and sorted(acked) == sorted(m for m, _ in stored)
    assert {n for _, n in stored} == {1}


def test_an_offline_erase_clears_the_journal_a_killed_server_left(fresh_server: Server) -> None:
    with fresh_server.client("ingest") as client:
        assert client.post("/v1/batch", json={"batch": messages()}).status_code == 200
        person = _person(fresh_server)  # loaded; the journal's open segment still holds it
        later = {"type": "track", "event": "viewed", "userId": PERSON["userId"]}
        assert client.post("/v1/track", json=later).status_code == 200  # acknowledged...
    fresh_server.stop(signal.SIGKILL)  # ...and perhaps never loaded
    journal = journal_dir(fresh_server.db)
    assert found_in_files(journal)  # the killed server left the person there
    assert main(["erase", str(person), "--yes", "--db", str(fresh_server.db)]) == 0
    assert found_in_files(fresh_server.db.parent) == {}
    with Workspace.open(fresh_server.db) as ws:
        assert ws.events.list(types=["viewed"])[1] == 0  # the late event was loaded, then erased
    fresh_server.start()  # the next start finds nothing of the person left to load
    with fresh_server.client("rw") as client:
        found = client.get("/api/profiles", params={"search": PERSON["userId"]}).json()
    assert found["profiles"] == []
