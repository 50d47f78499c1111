"""The one-process server: Streamlit and the API side by side, docs, auth, limits, error shape."""

from __future__ import annotations

import gzip
import json
import subprocess

import httpx
import pytest

from tests.api.conftest import KITH, Server, free_port

pytestmark = pytest.mark.xdist_group("api_server")


def test_streamlit_is_served_at_root_in_the_same_process(server: Server) -> None:
    with server.session() as browser:
        page = browser.get("/", timeout=10)
        assert page.status_code == 200 and "<title>Streamlit</title>" in page.text
        health = browser.get("/_stcore/health", timeout=10)
        assert (health.status_code, health.text) == (200, "ok")
    assert httpx.get(f"{server.url}/api/health").json()["status"] == "ok"


def test_openapi_docs(server: Server) -> None:
    docs = httpx.get(f"{server.url}/api/docs")
    assert docs.status_code == 200 and "<h1>Kith API" in docs.text
    # served offline: the page loads nothing (no script, no stylesheet, no image) from anywhere
    assert "<script" not in docs.text and "src=" not in docs.text and "<link" not in docs.text
    assert "permission: <code>people.erase</code>" in docs.text
    spec = httpx.get(f"{server.url}/api/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/v1/track", "/v1/batch", "/api/profiles/{profile_id}", "/api/events"} <= paths
    assert "/api/segments/evaluate" in paths and "/api/funnels/run" in paths
    assert "/api/goals/{name}/report" in paths and "/api/merges/{merge_id}/undo" in paths


@pytest.mark.parametrize(
    "auth",
    [None, ("kith_not_a_key", ""), "revoked"],
    ids=["missing", "unknown", "revoked"],
)
def test_bad_keys_get_401(server: Server, auth: object) -> None:
    if auth == "revoked":
        auth = (server.keys["revoked"], "")
    message = {"type": "track", "event": "signup", "userId": "u-401"}
    for path, body in (("/v1/track", message), ("/v1/batch", {"batch": [message]})):
        answer = httpx.post(f"{server.url}{path}", json=body, auth=auth)  # type: ignore[arg-type]
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Basic")
    assert httpx.get(f"{server.url}/api/events", auth=auth).status_code == 401  # type: ignore[arg-type]


def test_ingest_keys_cannot_use_the_rest_api(server: Server) -> None:
    with server.client("ingest") as client:
        answer = client.get("/api/events")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "forbidden" and "read_write" in error["message"]


def test_oversize_requests_get_413(server: Server) -> None:
    big = {"type": "track", "event": "x", "userId": "u", "properties": {"blob": "a" * 40_000}}
    with server.client("ingest") as client:
        huge = [dict(big, properties={"blob": "b" * 30_000}) for _ in range(20)]
        batch = client.post("/v1/batch", json={"batch": huge})
        zipped = client.post(
            "/v1/batch",
            content=gzip.compress(json.dumps({"batch": huge}).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    for answer in (batch, zipped):
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "payload_too_large"
        assert "limit is 500 KB" in answer.json()["error"]["message"]


def test_one_message_size_rule_for_single_calls_and_batches(server: Server) -> None:
    """32 KB of compact JSON per message, whichever way it comes: spaces in the body do not
    count, and a message over the limit is refused alone with the same reason."""
    padded = {"type": "track", "event": "x", "userId": "u", "properties": {"b": "a" * 30_000}}
    spacious = json.dumps(padded, indent=40_000 // 8).encode()  # > 32 KB raw, < 32 KB compact
    big = dict(padded, properties={"b": "a" * 40_000})
    with server.client("ingest") as client:
        roomy = client.post("/v1/track", content=spacious)
        single = client.post("/v1/track", json=big)
        batch = client.post("/v1/batch", json={"batch": [big, padded]})
    assert len(spacious) > 32 * 1024 and roomy.status_code == 200
    assert single.status_code == 422
    assert "limit is 32 KB" in single.json()["error"]["message"]
    assert batch.status_code == 200 and batch.json()["accepted"] == 1
    (refused,) = batch.json()["rejected"]
    assert refused["index"] == 0 and refused["reason"] in single.json()["error"]["message"]


def test_unreadable_bodies_get_400(server: Server) -> None:
    with server.client("ingest") as client:
        not_json = client.post("/v1/track", content=b"{nope")
        no_batch = client.post("/v1/batch", json={"messages": []})
        wrong_type = client.post("/v1/track", json={"type": "identify", "userId": "u"})
        upper = client.post("/v1/track", json={"type": "TRACK", "event": "e", "userId": "u"})
    assert upper.status_code == 200  # any case, as in a batch
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["error"]["message"]
    assert no_batch.status_code == 400 and '"batch" list' in no_batch.json()["error"]["message"]
    assert wrong_type.status_code == 400 and "identify" in wrong_type.json()["error"]["message"]


def test_error_shape_for_unknown_routes_and_bad_parameters(server: Server) -> None:
    with server.client("rw") as client:
        bad_param = client.get("/api/events", params={"limit": "lots"})
        unknown = client.get("/api/profiles/999999")
    assert bad_param.status_code == 422
    error = bad_param.json()["error"]
    assert error["code"] == "validation_error" and "limit" in error["message"]
    assert unknown.status_code == 404
    assert set(unknown.json()["error"]) == {"code", "message", "details"}


def test_a_second_server_on_the_same_file_fails_clearly(server: Server) -> None:
    second = subprocess.run(
        [KITH, "serve", "--db", str(server.db), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 1
    assert "open in another process" in second.stderr
