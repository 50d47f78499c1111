"""Team access on a real server: every role against every REST route (allowed or 403 as
docs/security.md says, refusals change nothing), the gate in front of the dashboard (pages,
static files and the websocket refused without a session), login, logout, the throttle, and
the one-time link that creates the first admin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.api import create_api
from engine import Workspace
from engine.access.matrix import PERMISSIONS, ROLES, grants
from tests.api.conftest import GOAL, Server

pytestmark = pytest.mark.xdist_group("api_access")


def _prepare(db: Path) -> dict[str, Any]:
    """One user and one read_write key per role, two profiles and a goal."""
    with Workspace.open(db) as ws:
        keys = {}
        for role in ROLES:
            ws.users.create(role, role, f"{role}-password-1")
            keys[role] = ws.keys.create(f"{role} key", scope="read_write", user=role).key
        ids = [
            ws.profiles.create({"email": f"p{i}@example.com"}, {"name": f"P{i}"}, actor="t").id
            for i in (1, 2)
        ]
        ws.goals.define(GOAL)
    return {"keys": keys, "profiles": ids}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    db = tmp_path_factory.mktemp("access") / "kith.duckdb"
    prepared = _prepare(db)
    running = Server(db=db).start()
    yield running, prepared
    running.stop()


def _requests(a: int, b: int) -> dict[tuple[str, str], dict[str, Any]]:
    """A plausible request for every REST route that needs a permission."""
    return {
        ("get", "/api/profiles"): {},
        ("post", "/api/profiles"): {"json": {"identities": {"email": "new@example.com"}}},
        ("get", "/api/profiles/by-identity/{identity_type}/{value}"): {
            "path": "/api/profiles/by-identity/email/p1@example.com"
        },
        ("get", "/api/profiles/{ref}"): {"path": "/api/profiles/p1@example.com"},
        ("patch", "/api/profiles/{profile_id}"): {
            "path": f"/api/profiles/{a}",
            "json": {"changes": {"city": "Bandung"}},
        },
        ("delete", "/api/profiles/{profile_id}"): {"path": f"/api/profiles/{b}"},
        ("get", "/api/profiles/{profile_id}/timeline"): {"path": f"/api/profiles/{a}/timeline"},
        ("post", "/api/profiles/{profile_id}/merge-preview"): {
            "path": f"/api/profiles/{a}/merge-preview",
            "json": {"other_id": b},
        },
        ("post", "/api/merges"): {"json": {"primary_id": a, "secondary_id": b}},
        ("post", "/api/merges/{merge_id}/undo"): {"path": "/api/merges/1/undo"},
        ("get", "/api/profiles/{profile_id}/consent"): {"path": f"/api/profiles/{a}/consent"},
        ("put", "/api/profiles/{profile_id}/consent"): {
            "path": f"/api/profiles/{a}/consent",
            "json": {"channel": "email", "status": "granted"},
        },
        ("get", "/api/people/search"): {"path": "/api/people/search?q=p1"},
        ("get", "/api/profiles/{profile_id}/channels"): {"path": f"/api/profiles/{a}/channels"},
        ("put", "/api/profiles/{profile_id}/main-channel"): {
            "path": f"/api/profiles/{a}/main-channel",
            "json": {"channel": "email"},
        },
        ("delete", "/api/profiles/{profile_id}/main-channel"): {
            "path": f"/api/profiles/{a}/main-channel"
        },
        ("get", "/api/profiles/{profile_id}/merges"): {"path": f"/api/profiles/{a}/merges"},
        ("get", "/api/profiles/{profile_id}/duplicates"): {"path": f"/api/profiles/{a}/duplicates"},
        ("get", "/api/profiles/{profile_id}/engagement"): {"path": f"/api/profiles/{a}/engagement"},
        ("get", "/api/profiles/{profile_id}/notes"): {"path": f"/api/profiles/{a}/notes"},
        ("post", "/api/profiles/{profile_id}/notes"): {
            "path": f"/api/profiles/{a}/notes",
            "json": {"body": "called back"},
        },
        # another role's note is refused to everyone but its author: a missing one answers 404
        ("patch", "/api/notes/{note_id}"): {"path": "/api/notes/999", "json": {"body": "x"}},
        ("delete", "/api/notes/{note_id}"): {"path": "/api/notes/999"},
        ("get", "/api/groups"): {},
        ("post", "/api/groups"): {"json": {"name": "callbacks", "profile_ids": [a]}},
        ("get", "/api/groups/{name}/members"): {"path": "/api/groups/callbacks/members"},
        ("post", "/api/groups/{name}/members"): {
            "path": "/api/groups/callbacks/members",
            "json": {"profile_ids": [a]},
        },
        ("patch", "/api/groups/{name}"): {
            "path": "/api/groups/callbacks",
            "json": {"description": "to call back"},
        },
        ("delete", "/api/groups/{name}"): {"path": "/api/groups/nope"},
        ("post", "/api/groups/{name}/members/remove"): {
            "path": "/api/groups/callbacks/members/remove",
            "json": {"profile_ids": [a]},
        },
        ("get", "/api/import-mappings"): {},
        ("get", "/api/import-mappings/{name}"): {"path": "/api/import-mappings/crm"},
        ("put", "/api/import-mappings/{name}"): {
            "path": "/api/import-mappings/crm",
            "json": {"mapping": {"Full Name": "name"}},
        },
        ("delete", "/api/import-mappings/{name}"): {"path": "/api/import-mappings/nope"},
        ("post", "/api/segments/evaluate"): {"json": {"expression": 'country = "ES"'}},
        ("post", "/api/segments/check"): {"json": {"expression": 'country = "ES"'}},
        ("get", "/api/segments/{name}/members"): {"path": "/api/segments/nope/members"},
        ("post", "/api/segments"): {"json": {"name": "buyers", "expression": "did purchase"}},
        ("get", "/api/segments/{name}/versions"): {"path": "/api/segments/buyers/versions"},
        ("post", "/api/segments/{name}/restore"): {
            "path": "/api/segments/buyers/restore",
            "json": {"version": 1},
        },
        ("get", "/api/events"): {},
        ("get", "/api/ingest/failures"): {},
        ("post", "/api/funnels/run"): {"json": {"steps": ["page_view", "signup"]}},
        ("post", "/api/funnels/over-time"): {"json": {"steps": ["page_view", "signup"]}},
        ("post", "/api/trends/run"): {"json": {"series": ["page_view"]}},
        ("post", "/api/retention/run"): {"json": {"start_event": "page_view"}},
        ("get", "/api/goals/{name}/report"): {"path": "/api/goals/pricing_to_signup/report"},
        ("get", "/api/event-types"): {},
        ("post", "/api/event-types"): {
            "json": {"name": "trial_started", "properties": {"days": "number"}}
        },
        ("get", "/api/event-types/discovered"): {},
        ("post", "/api/event-types/from-data"): {"json": {"names": None}},
        ("get", "/api/event-types/flagged"): {},
        ("post", "/api/event-types/{name}/properties"): {
            "path": "/api/event-types/purchase/properties",
            "json": {"properties": {"platform": "text"}},
        },
        ("get", "/api/event-types/undeclared"): {},
        ("put", "/api/event-types/undeclared"): {"json": {"extra_properties": "accept"}},
        ("put", "/api/event-types/{name}/enforcement"): {
            "path": "/api/event-types/purchase/enforcement",
            "json": {"policy": "warn"},
        },
        ("put", "/api/goals/{name}/target"): {
            "path": "/api/goals/pricing_to_signup/target",
            "json": {"target": 0.3},
        },
        **_activation_requests(),
    }


def _activation_requests() -> dict[tuple[str, str], dict[str, Any]]:
    """Destinations, syncs and broadcasts: the receiver is a closed port (nothing is sent),
    the segment and broadcast names unknown (refused as 404 or 422 once allowed)."""
    hook = {"url": "http://127.0.0.1:9/hook"}
    return {
        ("get", "/api/destinations"): {},
        ("post", "/api/destinations"): {
            "json": {"name": "crm", "kind": "webhook", "options": hook}
        },
        ("get", "/api/destinations/{name}"): {"path": "/api/destinations/nope"},
        ("delete", "/api/destinations/{name}"): {"path": "/api/destinations/nope"},
        ("post", "/api/destinations/{name}/test"): {"path": "/api/destinations/nope/test"},
        ("get", "/api/destinations/{name}/deliveries"): {
            "path": "/api/destinations/nope/deliveries"
        },
        ("post", "/api/destinations/{name}/retry"): {"path": "/api/destinations/nope/retry"},
        ("get", "/api/syncs"): {},
        ("post", "/api/syncs"): {"json": {"destination": "nope", "segment": "nope"}},
        ("delete", "/api/syncs/{destination}/{segment}"): {"path": "/api/syncs/nope/nope"},
        ("post", "/api/broadcasts/preview"): {"json": {"audience": "nope", "destination": "nope"}},
        ("get", "/api/broadcasts"): {},
        ("post", "/api/broadcasts"): {
            "json": {"name": "b", "audience": "nope", "destination": "nope", "message": "hi"}
        },
        ("get", "/api/broadcasts/{broadcast_id}/sends"): {"path": "/api/broadcasts/1/sends"},
        ("post", "/api/broadcasts/{broadcast_id}/cancel"): {"path": "/api/broadcasts/1/cancel"},
    }


def _routes() -> list[tuple[str, str, str]]:
    paths = create_api().openapi()["paths"]
    return [
        (method, path, spec["x-permission"])
        for path, methods in paths.items()
        for method, spec in methods.items()
        if "x-permission" in spec
    ]


def test_every_role_against_every_rest_route(served: tuple[Server, dict[str, Any]]) -> None:
    server, prepared = served
    a, b = prepared["profiles"]
    requests = _requests(a, b)
    assert {(m, p) for m, p, _ in _routes()} == set(requests)  # every route is tried
    # least powerful first, so refusals meet the data as prepared; the admin erases last
    for role in ("viewer", "analyst", "marketer", "agent", "admin"):
        with httpx.Client(base_url=server.url, auth=(prepared["keys"][role], ""), timeout=60) as c:
            for method, path, permission in _routes():
                request = dict(requests[(method, path)])
                answer = c.request(method, request.pop("path", path), **request)
                allowed = grants(role, PERMISSIONS[permission], agent_transfer=False)
                where = (role, method, path, answer.status_code, answer.text[:200])
                if allowed:
                    assert answer.status_code not in (401, 403) and answer.status_code < 500, where
                else:
                    assert answer.status_code == 403, where
                    error = answer.json()["error"]
                    assert error["code"] == "forbidden" and permission in error["message"], where
        if role == "viewer":  # nothing the viewer was refused changed anything
            with _as(server, prepared, "admin") as admin:
                assert admin.get(f"/api/profiles/{b}").status_code == 200
                assert admin.get(f"/api/profiles/{a}").json()["city"] is None


def _as(server: Server, prepared: dict[str, Any], role: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=(prepared["keys"][role], ""), timeout=60)


def test_the_rest_api_takes_the_session_cookie_too(served: tuple[Server, dict[str, Any]]) -> None:
    server, prepared = served
    a = prepared["profiles"][0]
    with server.session("viewer", "viewer-password-1") as viewer:
        assert viewer.get(f"/api/profiles/{a}").status_code == 200
        refused = viewer.patch(f"/api/profiles/{a}", json={"changes": {"city": "X"}})
        assert refused.status_code == 403 and "people.edit" in refused.text
    assert httpx.get(f"{server.url}/api/profiles").status_code == 401


def test_unknown_api_paths_are_json_404s(served: tuple[Server, dict[str, Any]]) -> None:
    server, _ = served
    for path in ("/api/nope", "/api/profiles/1/nope", "/v1/nope"):
        answer = httpx.post(server.url + path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"


def test_the_dashboard_answers_only_to_a_session(served: tuple[Server, dict[str, Any]]) -> None:
    server, _ = served
    for path in ("/", "/people", "/profile?id=1", "/static/js/index.js", "/_stcore/health"):
        answer = httpx.get(server.url + path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=%2F"), path
    assert httpx.post(server.url + "/_stcore/upload_file/x/y").status_code == 401
    with pytest.raises(InvalidStatus) as refused:
        connect(server.url.replace("http", "ws") + "/_stcore/stream", open_timeout=10)
    assert refused.value.response.status_code == 403
    with server.session("agent", "agent-password-1") as agent:
        assert agent.get("/people").status_code == 200
        with connect(
            server.url.replace("http", "ws") + "/_stcore/stream",
            additional_headers={"Cookie": f"kith_session={agent.cookies['kith_session']}"},
            open_timeout=10,
        ):
            pass  # the websocket opens with a session


def test_login_logout_and_where_login_leads(served: tuple[Server, dict[str, Any]]) -> None:
    server, _ = served
    form = {"username": "agent", "password": "agent-password-1", "next": "//evil.example/x"}
    answer = httpx.post(server.url + "/login", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    with httpx.Client(base_url=server.url, cookies=answer.cookies) as browser:
        assert browser.get("/people").status_code == 200
        assert browser.get("/logout").status_code == 303
        stale = httpx.get(server.url + "/people", cookies=answer.cookies)
        assert stale.status_code == 303  # the session ended with the logout
    page = httpx.get(server.url + "/login?next=/people")
    assert 'name="next" value="/people"' in page.text and "<script" not in page.text


def test_failed_logins_are_throttled(served: tuple[Server, dict[str, Any]]) -> None:
    """Last in this module: it locks logins from 127.0.0.1 for a while."""
    server, _ = served
    wrong = {"username": "analyst", "password": "not-the-password"}
    answers = [httpx.post(server.url + "/login", data=wrong).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    right = {"username": "analyst", "password": "analyst-password-1"}
    late = httpx.post(server.url + "/login", data=right)
    assert late.status_code == 429 and "try again in" in late.text


def test_the_first_admin_comes_from_a_one_time_link(tmp_path: Path) -> None:
    server = Server(db=tmp_path / "kith.duckdb").start()
    try:
        assert server.proc is not None and server.proc.stdout is not None
        printed = b"".join(server.proc.stdout.readline() for _ in range(3)).decode()
        [token] = re.findall(r"/setup\?token=(\S+) ", printed)
        assert httpx.get(f"{server.url}/setup?token=wrong").status_code == 404
        form = {"token": token, "username": "root", "password": "root-password-1"}
        made = httpx.post(f"{server.url}/setup", data=form)
        assert made.status_code == 303 and "kith_session" in made.cookies
        assert httpx.get(f"{server.url}/", cookies=made.cookies).status_code == 200
        assert httpx.post(f"{server.url}/setup", data=form).status_code == 410  # used
    finally:
        server.stop()
