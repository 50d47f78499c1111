"""REST on the shared real server: saving a segment refuses a taken name unless `replace`,
its earlier versions are listed and one can be restored; a goal's target is set and shows in
its report."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client("rw") as client:
        yield client


def test_save_refuse_replace_list_versions_and_restore(api: httpx.Client) -> None:
    first = {"name": "rest_spenders", "expression": "did purchase"}
    saved = api.post("/api/segments", json=first)
    assert saved.status_code == 200, saved.text
    assert saved.json()["expression"] == "did purchase"
    taken = api.post("/api/segments", json={**first, "expression": "did signup"})
    assert taken.status_code == 409 and "already a segment" in taken.text
    replaced = api.post(
        "/api/segments", json={**first, "expression": "did signup", "replace": True}
    )
    assert replaced.status_code == 200 and replaced.json()["expression"] == "did signup"
    versions = api.get("/api/segments/rest_spenders/versions").json()["versions"]
    assert [(v["version"], v["expression"]) for v in versions] == [(1, "did purchase")]
    restored = api.post("/api/segments/rest_spenders/restore", json={"version": 1})
    assert restored.status_code == 200 and restored.json()["expression"] == "did purchase"
    missing = api.post("/api/segments/rest_spenders/restore", json={"version": 9})
    assert missing.status_code == 404


def test_a_goal_target_shows_in_its_report(api: httpx.Client) -> None:
    goal = "/api/goals/pricing_to_signup"
    assert api.put(f"{goal}/target", json={"target": 0.25}).status_code == 200
    assert api.get(f"{goal}/report").json()["target"] == 0.25
    refused = api.put(f"{goal}/target", json={"target": 2})
    assert refused.status_code == 422 and "at most 1" in refused.text
    assert api.put(f"{goal}/target", json={"target": None}).status_code == 200
    assert api.get(f"{goal}/report").json()["target"] is None
