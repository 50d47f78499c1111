"""The workspace's choices for unregistered event types and extra properties through the real
server: shown and changed over REST (a bad choice is a 422), and then `/v1/batch` answers each
refused message by its index with the reason while the rest of the batch is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")


def _event(user: str, event: str, **props: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": user, "properties": props}


def test_block_over_rest_then_the_batch_answers_per_index(server: Server) -> None:
    with server.client("rw") as rest:
        assert rest.get("/api/event-types/undeclared").json() == {
            "unregistered_types": "accept",
            "extra_properties": "accept",
        }
        bad = rest.put("/api/event-types/undeclared", json={"extra_properties": "strict"})
        assert bad.status_code == 422
        changed = rest.put(
            "/api/event-types/undeclared",
            json={"unregistered_types": "block", "extra_properties": "block"},
        )
        assert changed.json() == {"unregistered_types": "block", "extra_properties": "block"}
    try:
        batch = [
            _event("ud-1", "purchase", amount=5),
            _event("ud-2", "undeclared_thing", level=1),
            _event("ud-3", "purchase", amount=6, platform="ios"),
        ]
        with server.client("ingest") as tracking:
            answer = tracking.post("/v1/batch", json={"batch": batch})
            assert answer.status_code == 200, answer.text
            body = answer.json()
        assert body["accepted"] == 1
        assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
            (
                1,
                "event type 'undeclared_thing' is not registered (unregistered event types: "
                "block); register it with `kith event-type register undeclared_thing "
                "--property NAME:TYPE`",
            ),
            (
                2,
                "purchase event has properties its registered schema does not list: "
                "'platform' (extra properties: block); add them with `kith event-type extend "
                "purchase --property platform:TYPE`",
            ),
        ]
        with server.client("rw") as rest:
            stored = rest.get("/api/events", params={"type": "undeclared_thing"}).json()
            assert stored["events"] == []
    finally:
        with server.client("rw") as rest:
            rest.put(
                "/api/event-types/undeclared",
                json={"unregistered_types": "accept", "extra_properties": "accept"},
            )
