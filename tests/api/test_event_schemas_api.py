"""Event schemas through the real server: registered and enforced over REST, then `block`
answers each refused event of a tracking batch with its reason while the rest of the batch is
stored, a single call is a 422, and `warn` stores the event and lists it as flagged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")


def order(user: str, amount: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "schema_order",
        "userId": user,
        "properties": {"amount": amount},
    }


def test_block_refuses_each_bad_event_and_keeps_the_batch(server: Server) -> None:
    with server.client("rw") as rest:
        made = rest.post(
            "/api/event-types", json={"name": "schema_order", "properties": {"amount": "number"}}
        )
        assert made.status_code == 200, made.text
        policy = rest.put("/api/event-types/schema_order/enforcement", json={"policy": "block"})
        assert policy.json() == {"name": "schema_order", "enforcement": "block"}
    batch = [order("so-1", 5), order("so-2", "lots"), order("so-3", 7), order("so-4", [1])]
    with server.client("ingest") as tracking:
        answer = tracking.post("/v1/batch", json={"batch": batch})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["accepted"] == 2
        assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
            (
                1,
                "schema_order event does not follow its registered schema (enforcement block): "
                'amount must be a number, got "lots"',
            ),
            (
                3,
                "schema_order event does not follow its registered schema (enforcement block): "
                "amount must be a number, got [1]",
            ),
        ]
        single = tracking.post("/v1/track", json=order("so-5", "many"))
        assert single.status_code == 422
        assert 'amount must be a number, got "many"' in single.json()["error"]["message"]
    with server.client("rw") as rest:
        stored = rest.get("/api/events", params={"type": "schema_order"}).json()
        assert sorted(e["properties"]["amount"] for e in stored["events"]) == [5, 7]
        assert (
            rest.put(
                "/api/event-types/schema_order/enforcement", json={"policy": "warn"}
            ).status_code
            == 200
        )
    with server.client("ingest") as tracking:
        assert tracking.post("/v1/track", json=order("so-6", "some")).status_code == 200
    with server.client("rw") as rest:
        flagged = rest.get("/api/event-types/flagged").json()
        assert [f["problem"] for f in flagged if f["type"] == "schema_order"] == [
            'amount must be a number, got "some"'
        ]
        types = {t["name"]: t for t in rest.get("/api/event-types").json()}
        assert (types["schema_order"]["enforcement"], types["schema_order"]["flagged"]) == (
            "warn",
            1,
        )
