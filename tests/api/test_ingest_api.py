"""The tracking API on a real server, driven by Segment's own Python client and by httpx."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import segment.analytics as analytics
from segment.analytics.client import Client

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")


@pytest.fixture
def segment_client(server: Server) -> Client:
    """Segment's client in sync mode: each call is one POST /v1/batch, errors raise."""
    return analytics.Client(
        write_key=server.keys["ingest"],
        host=server.url,
        sync_mode=True,
        max_retries=0,
        on_error=_raise,
    )


def _raise(error: Exception, _: object) -> None:
    raise error


def events_of(server: Server, profile_id: int) -> list[dict]:
    with server.client() as client:
        answer = client.get(f"/api/profiles/{profile_id}/timeline", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def profile_of(server: Server, kind: str, value: str) -> dict:
    with server.client() as client:
        answer = client.get(f"/api/profiles/by-identity/{kind}/{value}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_segment_client_identities_are_joined(server: Server, segment_client: Client) -> None:
    anon, user = f"anon-{uuid.uuid4()}", f"user-{uuid.uuid4()}"
    segment_client.page(anonymous_id=anon, name="Pricing", properties={"url": "/pricing"})
    segment_client.track(anonymous_id=anon, event="Signup Started", properties={"plan": "pro"})
    segment_client.identify(
        user_id=user, anonymous_id=anon, traits={"email": f"{user}@example.com", "name": "Ana"}
    )
    segment_client.track(user_id=user, event="Order Completed", properties={"amount": 42})
    segment_client.alias(previous_id=f"{anon}-phone", user_id=user)

    profile = profile_of(server, "user_id", user)
    assert profile_of(server, "anonymous_id", anon)["id"] == profile["id"]
    assert profile_of(server, "anonymous_id", f"{anon}-phone")["id"] == profile["id"]
    assert profile["email"] == f"{user}@example.com" and profile["name"] == "Ana"
    types = [e["type"] for e in events_of(server, profile["id"])]
    for expected in ("page_view", "signup_started", "identify", "order_completed", "alias"):
        assert expected in types


def test_segment_client_gzip_bodies(server: Server) -> None:
    user = f"user-{uuid.uuid4()}"
    client = analytics.Client(
        write_key=server.keys["ingest"],
        host=server.url,
        sync_mode=True,
        gzip=True,
        max_retries=0,
        on_error=_raise,
    )
    client.track(user_id=user, event="Zipped", properties={"ok": True})
    profile = profile_of(server, "user_id", user)
    assert [e["type"] for e in events_of(server, profile["id"])].count("zipped") == 1


def test_batch_with_bad_messages_keeps_the_good_ones(server: Server) -> None:
    user = f"user-{uuid.uuid4()}"
    batch = [
        {"type": "track", "event": "good_one", "userId": user},
        "not an object",
        {"type": "teleport", "userId": user},
        {"type": "track", "event": "good_two", "userId": user, "timestamp": "yesterday"},
        {"type": "track", "event": "good_three", "userId": user},
    ]
    with server.client("ingest") as client:
        answer = client.post("/v1/batch", json={"batch": batch})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3]
    assert "JSON object" in body["rejected"][0]["reason"]
    assert "teleport" in body["rejected"][1]["reason"]
    assert "yesterday" in body["rejected"][2]["reason"]
    profile = profile_of(server, "user_id", user)
    assert sorted(e["type"] for e in events_of(server, profile["id"])) == ["good_one", "good_three"]


def test_rejected_single_message_is_422_and_stores_nothing(server: Server) -> None:
    with server.client("ingest") as client:
        answer = client.post("/v1/track", json={"event": "orphan_event"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "ingest_error" and error["details"]["reason"]


def test_oversize_message_inside_a_batch_is_rejected_alone(server: Server) -> None:
    user = f"user-{uuid.uuid4()}"
    batch = [
        {"type": "track", "event": "small", "userId": user},
        {"type": "track", "event": "huge", "userId": user, "properties": {"b": "x" * 40_000}},
    ]
    with server.client("ingest") as client:
        body = client.post("/v1/batch", json={"batch": batch}).json()
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 1 and "32 KB" in body["rejected"][0]["reason"]


def test_duplicate_message_ids_are_stored_once(server: Server) -> None:
    user, message_id = f"user-{uuid.uuid4()}", str(uuid.uuid4())
    message = {"type": "track", "event": "paid", "userId": user, "messageId": message_id}
    with server.client("ingest") as client:
        first = client.post("/v1/batch", json={"batch": [message, message]})
        again = client.post("/v1/track", json=message)
    assert first.status_code == again.status_code == 200
    profile = profile_of(server, "user_id", user)
    assert [e["type"] for e in events_of(server, profile["id"])].count("paid") == 1


def test_auth_failure_stores_nothing(server: Server) -> None:
    user = f"user-{uuid.uuid4()}"
    message = {"type": "identify", "userId": user, "traits": {"name": "Nobody"}}
    answer = httpx.post(f"{server.url}/v1/identify", json=message, auth=("kith_wrong", ""))
    assert answer.status_code == 401
    with server.client() as client:
        assert client.get(f"/api/profiles/by-identity/user_id/{user}").status_code == 404


def test_concurrent_clients_all_land(server: Server) -> None:
    run = uuid.uuid4().hex[:8]
    clients, per_client = 8, 5

    def send(n: int) -> list[int]:
        with server.client("ingest") as client:
            codes = []
            for i in range(per_client):
                message = {
                    "type": "track",
                    "event": "tick",
                    "userId": f"c-{run}-{n}",
                    "messageId": f"{run}-{n}-{i}",
                }
                codes.append(client.post("/v1/track", json=message).status_code)
            return codes

    with ThreadPoolExecutor(clients) as pool:
        codes = [c for result in pool.map(send, range(clients)) for c in result]
    assert codes == [200] * clients * per_client
    for n in range(clients):
        profile = profile_of(server, "user_id", f"c-{run}-{n}")
        types = [e["type"] for e in events_of(server, profile["id"])]
        assert types.count("tick") == per_client


def test_lone_surrogate_escapes_are_refused_by_message(server: Server) -> None:
    """JSON may escape half of a UTF-16 pair ("\\ud800"): valid JSON, but not text."""
    user = f"user-{uuid.uuid4()}"
    broken = '{"type": "track", "event": "broken", "userId": "\\ud800"}'
    emoji = (
        f'{{"type": "track", "event": "emoji", "userId": "{user}",'
        ' "properties": {"face": "\\ud83d\\ude00"}}'
    )
    headers = {"content-type": "application/json"}
    with server.client("ingest") as client:
        answer = client.post(
            "/v1/batch", content=f'{{"batch": [{broken}, {emoji}]}}', headers=headers
        )
        single = client.post("/v1/track", content=broken, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    assert "surrogate" in answer.json()["rejected"][0]["reason"]
    assert single.status_code == 422 and "surrogate" in single.json()["error"]["message"]
    profile = profile_of(server, "user_id", user)
    [event] = [e for e in events_of(server, profile["id"]) if e["type"] == "emoji"]
    assert event["properties"]["face"] == "\U0001f600"
