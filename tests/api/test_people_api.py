"""The People routes on a real server (issue 15): a profile by any identity value, merge limits
and their override, an alias joining a known user, channels, duplicates, engagement, notes and
groups."""

from __future__ import annotations

import datetime as dt
import time
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


def _person(api: httpx.Client, **identities: str) -> dict:
    tag = uuid.uuid4().hex[:10]
    body = {"identities": identities or {"email": f"{tag}@example.com"}, "properties": {}}
    answer = api.post("/api/profiles", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_profile_is_read_by_any_identity_value(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    made = _person(api, email=f"{tag}@Example.com", user_id=f"crm-{tag}")
    for ref in (str(made["id"]), f"{tag}@example.com", f"crm-{tag}", f"user_id:crm-{tag}"):
        answer = api.get(f"/api/profiles/{ref}")
        assert answer.status_code == 200 and answer.json()["id"] == made["id"], ref
    missing = api.get(f"/api/profiles/nobody-{tag}")
    assert missing.status_code == 404 and f"nobody-{tag}" in missing.json()["error"]["message"]


def test_a_merge_past_the_email_limit_is_refused_unless_overridden(api: httpx.Client) -> None:
    keep, *others = (_person(api)["id"] for _ in range(6))
    for other in others[:4]:
        merged = api.post("/api/merges", json={"primary_id": keep, "secondary_id": other})
        assert merged.status_code == 201, merged.text
    refused = api.post("/api/merges", json={"primary_id": keep, "secondary_id": others[4]})
    assert refused.status_code == 409
    assert "6 email values; the email limit is 5" in refused.json()["error"]["message"]
    body = {"primary_id": keep, "secondary_id": others[4], "override": True}
    assert api.post("/api/merges", json=body).status_code == 201
    linked = api.get(f"/api/profiles/{keep}/merges").json()
    assert linked["merged_count"] == 5 and len(linked["merges"]) == 5


def test_an_alias_from_a_known_user_id_joins_that_profile(server: Server) -> None:
    tag = uuid.uuid4().hex[:8]
    with server.client("rw") as api:
        known = _person(api, user_id=f"user-{tag}")
    with server.client("ingest") as ingest:
        sent = ingest.post("/v1/alias", json={"previousId": f"user-{tag}", "userId": f"crm-{tag}"})
        assert sent.status_code == 200, sent.text
    with server.client("rw") as api:
        joined = api.get(f"/api/profiles/crm-{tag}").json()
    assert joined["id"] == known["id"]
    assert {(i["type"], i["value"]) for i in joined["identities"]} == {
        ("user_id", f"user-{tag}"),
        ("user_id", f"crm-{tag}"),
    }


def test_channels_main_channel_duplicates_and_engagement(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    ana = _person(api, email=f"{tag}@example.com", whatsapp=f"wa-{tag}")
    channels = api.get(f"/api/profiles/{ana['id']}/channels").json()
    assert [c["channel"] for c in channels["channels"]] == ["email", "whatsapp"]
    assert channels["main"] is None  # no activity yet: nothing proposed
    put = api.put(f"/api/profiles/{ana['id']}/main-channel", json={"channel": "whatsapp"})
    assert put.status_code == 200 and put.json()["main_set_by_hand"] is True
    wrong = api.put(f"/api/profiles/{ana['id']}/main-channel", json={"channel": "line"})
    assert wrong.status_code == 422 and "not on 'line'" in wrong.text
    cleared = api.delete(f"/api/profiles/{ana['id']}/main-channel").json()
    assert cleared["main"] is None
    twin = api.post(
        "/api/profiles",
        json={
            "identities": {"user_id": f"twin-{tag}"},
            "properties": {"email": f"{tag}@example.com"},
        },
    ).json()
    suggested = api.get(f"/api/profiles/{ana['id']}/duplicates").json()["candidates"]
    assert [(c["id"], c["reasons"]) for c in suggested] == [(twin["id"], ["same email"])]
    summary = api.get(f"/api/profiles/{ana['id']}/engagement").json()
    assert summary["purchases"] == 0 and summary["last_contact"] is None
    found = api.get("/api/people/search", params={"q": f"wa-{tag}"}).json()["profiles"]
    assert [p["id"] for p in found] == [ana["id"]]


def test_notes_through_rest(api: httpx.Client) -> None:
    ana = _person(api)
    added = api.post(f"/api/profiles/{ana['id']}/notes", json={"body": "call after 6pm"})
    assert added.status_code == 201 and added.json()["author"] == "admin"
    note_id = added.json()["id"]
    time.sleep(0.01)
    edited = api.patch(f"/api/notes/{note_id}", json={"body": "call after 7pm"}).json()
    assert edited["body"] == "call after 7pm"
    assert dt.datetime.fromisoformat(edited["updated_at"]) > dt.datetime.fromisoformat(
        edited["created_at"]
    )
    assert [n["id"] for n in api.get(f"/api/profiles/{ana['id']}/notes").json()["notes"]] == [
        note_id
    ]
    empty = api.post(f"/api/profiles/{ana['id']}/notes", json={"body": " "})
    assert empty.status_code == 422
    assert api.delete(f"/api/notes/{note_id}").json() == {"deleted": note_id}
    assert api.get(f"/api/profiles/{ana['id']}/notes").json()["notes"] == []


def test_groups_through_rest(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    people = [_person(api, email=f"{tag}-{i}@example.com")["id"] for i in range(3)]
    name = f"g{tag}"
    made = api.post(
        "/api/groups",
        json={"name": name, "description": "callbacks", "matching": {"text": f"{tag}-"}},
    )
    assert made.status_code == 201 and made.json()["size"] == 3, made.text
    removed = api.post(f"/api/groups/{name}/members/remove", json={"profile_ids": people[:1]})
    assert removed.json()["removed"] == 1
    added = api.post(f"/api/groups/{name}/members", json={"profile_ids": people})
    assert added.json()["added"] == 1
    changed = api.patch(f"/api/groups/{name}", json={"name": f"{name}-x", "description": None})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["description"]) == (f"{name}-x", None)
    members = api.get(f"/api/groups/{name}-x/members").json()
    assert members["total"] == 3 and sorted(p["id"] for p in members["profiles"]) == people
    assert name + "-x" in [g["name"] for g in api.get("/api/groups").json()["groups"]]
    assert api.delete(f"/api/groups/{name}-x").json() == {"deleted": f"{name}-x"}
    gone = api.get(f"/api/groups/{name}-x/members")
    assert gone.status_code == 404
