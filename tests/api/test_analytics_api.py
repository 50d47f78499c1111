"""Trends, retention and funnels over time on a real server; the CLI's --json prints the same
shape as the REST answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import main
from engine import Workspace
from tests.analytics.events import put_events
from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")

# a week of 2021 that no other test writes into
RANGE = {"start": "2021-06-07", "end": "2021-06-13", "as_of": "2021-07-01T00:00:00"}


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    user = f"an-{uuid.uuid4().hex[:8]}"
    other = f"an-{uuid.uuid4().hex[:8]}"
    messages = [
        _track(user, "signup", "2021-06-07T10:00:00Z"),
        _track(user, "purchase", "2021-06-07T10:00:05Z", amount=20),
        _track(user, "purchase", "2021-06-15T09:00:00Z", amount=5),
        _track(other, "signup", "2021-06-08T10:00:00Z"),
        _track(other, "purchase", "2021-06-08T10:00:30Z", amount=7),
    ]
    with server.client("ingest") as ingest:
        answer = ingest.post("/v1/batch", json={"batch": messages})
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text
    with server.client("rw") as client:
        yield client


def _track(user: str, event: str, ts: str, **properties: object) -> dict[str, object]:
    return {
        "type": "track",
        "userId": user,
        "event": event,
        "timestamp": ts,
        "properties": properties,
    }


def test_trend_run(api: httpx.Client) -> None:
    body = {
        "series": ["purchase", {"event": "purchase", "measure": "sum", "property": "amount"}],
        "interval": "week",
        **RANGE,
    }
    answer = api.post("/api/trends/run", json=body)
    assert answer.status_code == 200, answer.text
    points = answer.json()["points"]
    assert [(p["label"], p["period"][:10], p["value"]) for p in points] == [
        ("purchase", "2021-06-07", 2),
        ("sum amount of purchase", "2021-06-07", 27.0),
    ]


def test_trend_errors_are_plain_words(api: httpx.Client) -> None:
    bad = api.post("/api/trends/run", json={"series": [{"event": "purchase", "measure": "sum"}]})
    message = bad.json()["error"]["message"]
    assert bad.status_code == 422 and "sum needs a property" in message
    assert "Value error" not in message
    typo = api.post("/api/trends/run", json={"series": ["purchse"], **RANGE})
    assert typo.status_code == 422 and typo.json()["error"]["details"]["suggestion"] == "purchase"


def test_retention_run(api: httpx.Client) -> None:
    body = {"start_event": "signup", "return_event": "purchase", "interval": "week", **RANGE}
    answer = api.post("/api/retention/run", json={**body, "periods": 2})
    assert answer.status_code == 200, answer.text
    table = answer.json()["table"]
    assert [(r["cohort"][:10], r["size"], r["k"], r["retained"]) for r in table] == [
        ("2021-06-07", 2, 0, 2),
        ("2021-06-07", 2, 1, 1),
        ("2021-06-07", 2, 2, 0),
    ]
    both = api.post("/api/retention/run", json={**body, "start_segment": "x"})
    message = both.json()["error"]["message"]
    assert both.status_code == 422 and "not both" in message and "Value error" not in message


def test_funnel_seconds_exclusion_text_and_over_time(api: httpx.Client) -> None:
    body = {"steps": ["signup", "purchase"], "within": "10s", **RANGE}
    answer = api.post("/api/funnels/run", json=body)
    assert [s["profiles"] for s in answer.json()["steps"]] == [2, 1]
    excluded = api.post(
        "/api/funnels/run",
        json={**body, "within": "1m", "exclusions": ["purchase where amount > 10:1-2"]},
    )
    assert excluded.status_code == 200, excluded.text
    over = api.post("/api/funnels/over-time", json={**body, "within": "1m", "interval": "day"})
    series = over.json()["series"]
    assert [(s["period"][:10], s["entered"], s["converted"]) for s in series][:2] == [
        ("2021-06-07", 1, 1),
        ("2021-06-08", 1, 1),
    ]
    bad = api.post("/api/funnels/run", json={**body, "exclusions": ["cancel"]})
    assert bad.status_code == 422 and "EVENT:STEP" in bad.json()["error"]["message"]


def test_cli_funnel_json_has_the_rest_shape(
    api: httpx.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = api.post("/api/funnels/run", json={"steps": ["signup", "purchase"], **RANGE}).json()
    db = tmp_path / "kith.duckdb"
    with Workspace.open(db) as ws:
        put_events(ws, [(1, "signup", 0), (1, "purchase", 1)])
    assert main(["funnel", "signup", "purchase", "--db", str(db), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli.keys() == rest.keys() == {"entered", "steps"}
    assert [row.keys() for row in cli["steps"]] == [row.keys() for row in rest["steps"]]
