"""Hostile input against the real server: every request is answered with 200 or a 4xx naming
the problem (never a hang or a 500), a bad message is refused alone, and afterwards the server
still ingests and every acknowledged message is stored exactly once."""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Workspace
from tests.api.conftest import Server, new_server

pytestmark = pytest.mark.xdist_group("api_hostile")

FIELDS = ("event", "userId", "anonymousId", "timestamp", "sentAt", "properties", "context")
FIELDS += ("traits", "integrations", "type")


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def body(value: Any, *, raw_surrogates: bool = False) -> bytes:
    """JSON text of `value` with NaN/Infinity as the literals Python writes, and lone
    surrogates either escaped (\\ud800) or as raw bytes (invalid UTF-8, as a hostile client
    would send them)."""
    if raw_surrogates:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "Ｏｒｄｅｒ", "🎉 Party", "NaN", ""]),
)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, float("nan"), float("inf"), float("-inf")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
times = st.one_of(
    json_values,
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-01T10:00:00Z"]),
)
deep = st.integers(min_value=30, max_value=400).map(nested)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A Segment message with some fields any JSON value (or a deeply nested one)."""
    message: dict[str, Any] = {"type": "track", "event": "fuzz", "userId": "fuzzer"}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        strategy = times if name in ("timestamp", "sentAt") else st.one_of(json_values, deep)
        message[name] = draw(strategy)
    return message


def good(run: str, n: int) -> dict[str, Any]:
    return {"type": "track", "event": "good", "userId": f"{run}-u", "messageId": f"{run}-{n}"}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for this file (starting one is the slow part); the last test stops it."""
    running = new_server(tmp_path_factory.mktemp("hostile")).start()
    yield running
    if running.proc is not None:
        running.stop(signal.SIGKILL)


def test_the_probe_cases_are_refused_alone_with_a_reason(hostile_server: Server) -> None:
    """The requests that stopped ingestion before: each bad message is refused with its
    reason, the good ones beside it are stored, and the server goes on."""
    deep_track = {"type": "track", "event": "deep", "userId": "d", "properties": nested(300)}
    bad = [
        deep_track,
        {"type": "track", "event": "s", "userId": "lone \ud800 surrogate"},
        {"type": "track", "event": "n", "userId": math.nan},
        {"type": "track", "event": "t", "userId": "t", "timestamp": False},
        {"type": "track", "event": "🎉 Party", "userId": "p"},
    ]
    with hostile_server.client("ingest") as client:
        for raw in (False, True):
            batch = [good(f"probe{raw}", 1), *bad, good(f"probe{raw}", 2)]
            answer = client.post("/v1/batch", content=body({"batch": batch}, raw_surrogates=raw))
            assert answer.status_code == 200, answer.text
            reasons = [r["reason"] for r in answer.json()["rejected"]]
            assert [r["index"] for r in answer.json()["rejected"]] == [1, 2, 3, 4, 5]
            assert "properties nests deeper than 32 levels" in reasons[0]
            assert "surrogate" in reasons[1] and "finite number" in reasons[2]
            assert "'false' is not ISO 8601" in reasons[3] and "🎉" in reasons[4]
        single = client.post("/v1/track", content=body(deep_track))
        too_deep_to_parse = client.post("/v1/track", content=b"[" * 200_000)
        health = client.get("/api/health")
    assert single.status_code == 422 and "deeper than 32" in single.json()["error"]["message"]
    assert too_deep_to_parse.status_code == 400
    assert health.json()["status"] == "ok"
    with hostile_server.client("rw") as client:
        total = client.get("/api/events", params={"type": "good"}).json()["total"]
    assert total == 4


def test_hostile_batches_never_stop_ingestion(hostile_server: Server) -> None:
    acknowledged: list[str] = []
    client = hostile_server.client("ingest")
    counter = iter(range(10**6))

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=st.lists(messages(), min_size=1, max_size=4), raw=st.booleans())
    def hostile_batch(batch: list[dict[str, Any]], raw: bool) -> None:
        n = next(counter)
        for k, message in enumerate(batch):
            message["messageId"] = f"fuzz-{n}-{k}"
        sent = [*batch, good("fuzz", n)]
        answer = client.post("/v1/batch", content=body({"batch": sent}, raw_surrogates=raw))
        assert answer.status_code < 500, answer.text
        if answer.status_code != 200:  # the whole body was unreadable: a 4xx naming why
            assert answer.json()["error"]["message"]
            return
        refused = {r["index"]: r["reason"] for r in answer.json()["rejected"]}
        assert all(refused.values())
        assert len(sent) - 1 not in refused  # the good message always goes in
        acknowledged.extend(m["messageId"] for i, m in enumerate(sent) if i not in refused)

    hostile_batch()
    health = client.get("/api/health").json()
    assert health["status"] == "ok", health
    assert client.post("/v1/track", json=good("after", 0)).status_code == 200
    client.close()
    assert hostile_server.stop(signal.SIGTERM) == 0
    assert stored_counts(hostile_server, acknowledged) == dict.fromkeys(acknowledged, 1)


def stored_counts(server: Server, message_ids: list[str]) -> dict[str, int]:
    with Workspace.open(server.db) as ws:
        rows = ws.db.rows(
            "SELECT message_id, count(*) FROM events WHERE list_contains($ids, message_id) "
            "GROUP BY message_id",
            {"ids": message_ids},
        )
    return {row[0]: row[1] for row in rows}
