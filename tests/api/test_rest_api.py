"""The REST API on a real server: profiles, merges, erase, consent, segments, events, funnels."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_server")


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client("rw") as client:
        yield client


def new_profile(api: httpx.Client, **properties: object) -> dict:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    answer = api.post(
        "/api/profiles", json={"identities": {"email": email}, "properties": properties}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def send(api: httpx.Client, server: Server, messages: list[dict]) -> None:
    with server.client("ingest") as ingest:
        answer = ingest.post("/v1/batch", json={"batch": messages})
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text


def test_create_read_edit_profile(api: httpx.Client) -> None:
    created = new_profile(api, name="Ana", country="ES")
    email = created["email"]
    assert api.get(f"/api/profiles/{created['id']}").json()["name"] == "Ana"
    found = api.get(f"/api/profiles/by-identity/email/{email}").json()
    assert found["id"] == created["id"]
    edited = api.patch(f"/api/profiles/{created['id']}", json={"changes": {"city": "Madrid"}})
    assert edited.status_code == 200 and edited.json()["city"] == "Madrid"
    listed = api.get("/api/profiles", params={"search": email.split("@")[0]}).json()
    assert listed["total"] == 1 and listed["profiles"][0]["id"] == created["id"]


def test_profile_errors(api: httpx.Client) -> None:
    taken = new_profile(api)
    clash = api.post("/api/profiles", json={"identities": {"email": taken["email"]}})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "conflict"
    empty = api.post("/api/profiles", json={"identities": {}})
    assert empty.status_code == 422 and "at least one identity" in empty.json()["error"]["message"]
    missing = api.get("/api/profiles/by-identity/email/nobody@nowhere.example")
    assert missing.status_code == 404 and "nobody@nowhere.example" in missing.text


def test_merge_preview_merge_and_undo(api: httpx.Client) -> None:
    a, b = new_profile(api, name="Ana"), new_profile(api, name="Ana B")
    preview = api.post(f"/api/profiles/{a['id']}/merge-preview", json={"other_id": b["id"]})
    assert preview.status_code == 200
    assert "name" in [c["field"] for c in preview.json()["conflicts"]]
    merged = api.post("/api/merges", json={"primary_id": a["id"], "secondary_id": b["id"]})
    assert merged.status_code == 201, merged.text
    assert api.get(f"/api/profiles/{b['id']}").status_code == 404
    merge_id = merged.json()["merge_id"]
    assert api.post(f"/api/merges/{merge_id}/undo").json() == {"undone": merge_id}
    assert api.get(f"/api/profiles/{b['id']}").json()["name"] == "Ana B"
    again = api.post(f"/api/merges/{merge_id}/undo")
    assert again.status_code == 409 and "already undone" in again.json()["error"]["message"]


def test_consent_and_erase(api: httpx.Client) -> None:
    profile = new_profile(api)
    path = f"/api/profiles/{profile['id']}/consent"
    put = api.put(path, json={"channel": "email", "status": "granted"})
    assert put.status_code == 200, put.text
    [record] = api.get(path).json()["consent"]
    assert (record["channel"], record["status"]) == ("email", "granted")
    bad = api.put(path, json={"channel": "email", "status": "maybe"})
    assert bad.status_code == 422
    assert api.delete(f"/api/profiles/{profile['id']}").status_code == 200
    assert api.get(f"/api/profiles/{profile['id']}").status_code == 404


def test_events_timeline_and_segments(api: httpx.Client, server: Server) -> None:
    user = f"seg-{uuid.uuid4().hex[:8]}"
    send(
        api,
        server,
        [
            {"type": "identify", "userId": user, "traits": {"country": "PT", "company": user}},
            {"type": "track", "userId": user, "event": "purchase", "properties": {"amount": 120}},
        ],
    )
    profile_id = api.get(f"/api/profiles/by-identity/user_id/{user}").json()["id"]
    events = api.get("/api/events", params={"profile_id": profile_id, "type": "purchase"}).json()
    assert events["total"] == 1 and events["events"][0]["type"] == "purchase"
    assert events["events"][0]["properties"] == {"amount": 120}
    timeline = api.get(f"/api/profiles/{profile_id}/timeline").json()["events"]
    assert {e["type"] for e in timeline} >= {"identify", "purchase"}
    expression = f'company = "{user}" and country = "PT" and did purchase where amount > 100'
    evaluated = api.post("/api/segments/evaluate", json={"expression": expression, "limit": 5})
    assert evaluated.status_code == 200, evaluated.text
    assert [m["id"] for m in evaluated.json()["members"]] == [profile_id]


def test_segment_check_errors_point_at_the_spot(api: httpx.Client) -> None:
    assert api.post("/api/segments/check", json={"expression": 'country = "ES"'}).json() == {
        "valid": True
    }
    answer = api.post("/api/segments/check", json={"expression": 'countr = "ES"'})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"].startswith("dsl_") and error["details"]["line"] == 1
    assert error["details"]["suggestion"] == "country"
    unknown = api.get("/api/segments/no_such_segment/members")
    assert unknown.status_code == 404


def test_funnel_run(api: httpx.Client, server: Server) -> None:
    user = f"fun-{uuid.uuid4().hex[:8]}"
    steps = ["signup", "purchase"]
    send(
        api,
        server,
        [
            {"type": "track", "userId": user, "event": "signup"},
            {"type": "track", "userId": user, "event": "purchase"},
        ],
    )
    answer = api.post("/api/funnels/run", json={"steps": steps, "within": "7d"})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["steps"]
    assert [r["step"] for r in rows] == [1, 2] and rows[1]["profiles"] >= 1
    bad = api.post("/api/funnels/run", json={"steps": ["signup"], "within": "soon"})
    assert bad.status_code == 422 and "7d" in bad.json()["error"]["message"]
    unknown = api.post("/api/funnels/run", json={"steps": ["signup", "purchse"]})
    error = unknown.json()["error"]
    assert unknown.status_code == 422 and error["details"]["suggestion"] == "purchase"


def test_goal_report(api: httpx.Client, server: Server) -> None:
    user = f"goal-{uuid.uuid4().hex[:8]}"
    send(
        api,
        server,
        [
            {"type": "page", "userId": user, "name": "Pricing", "properties": {"url": "/pricing"}},
            {"type": "track", "userId": user, "event": "signup"},
        ],
    )
    answer = api.get("/api/goals/pricing_to_signup/report", params={"bucket": "week"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["starts"] >= 1 and report["completions"] >= 1 and 0 < report["rate"] <= 1
    assert report["series"] and {"bucket", "starts", "completions"} <= set(report["series"][0])
    unknown = api.get("/api/goals/nope/report")
    assert (
        unknown.status_code == 404 and "no goal named 'nope'" in unknown.json()["error"]["message"]
    )


def test_out_of_range_paging_is_a_422_without_sql(api: httpx.Client) -> None:
    huge = "99999999999999999999"
    answers = [
        api.get("/api/events", params={"offset": huge}),
        api.get("/api/events", params={"offset": str(10**13)}),
        api.get("/api/profiles", params={"offset": huge}),
        api.get("/api/segments/anyone/members", params={"offset": huge}),
        api.post("/api/segments/evaluate", json={"expression": 'country = "ID"', "offset": 10**20}),
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert "offset" in answer.json()["error"]["message"]
        assert "SELECT" not in answer.text.upper()
    last_page = api.get("/api/events", params={"offset": str(10**12)})
    assert last_page.status_code == 200 and last_page.json()["events"] == []
