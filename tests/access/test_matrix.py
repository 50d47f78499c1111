"""The permission matrix in the engine: every service action is in it, every role is allowed or
refused each action as docs/security.md says, refusals change nothing, and the person acting is
recorded."""

from __future__ import annotations

import inspect
from functools import cached_property
from pathlib import Path

import pytest

from app.security_doc import render
from engine import Workspace
from engine.access.matrix import ACTIONS, PERMISSIONS, ROLES, grants
from engine.access.policy import Actor
from kith_errors import Forbidden

ROOT = Path(__file__).resolve().parents[2]
# the one service no person calls: the gate uses it to check session cookies
INTERNAL_SERVICES = {"logins"}


def _services() -> set[str]:
    return {
        name
        for name, member in vars(Workspace).items()
        if isinstance(member, cached_property) and name not in INTERNAL_SERVICES
    }


def _public_actions(ws: Workspace, service: str) -> set[str]:
    kind = type(getattr(ws, service))
    names = {n for n, _ in inspect.getmembers(kind) if not n.startswith("_")}
    setters = {f"{n}=" for n, m in inspect.getmembers(kind) if isinstance(m, property) and m.fset}
    return names | setters


def test_every_service_action_of_the_workspace_is_in_the_matrix(ws: Workspace) -> None:
    assert set(ACTIONS) == _services()
    for service in ACTIONS:
        assert set(ACTIONS[service]) == _public_actions(ws, service), service
    assert {p for actions in ACTIONS.values() for p in actions.values()} <= set(PERMISSIONS)


def test_docs_security_md_is_generated_from_the_matrix() -> None:
    assert (ROOT / "docs" / "security.md").read_text() == render()


@pytest.mark.parametrize("agent_transfer", [False, True])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_engine_action(
    ws: Workspace, role: str, agent_transfer: bool
) -> None:
    ws.access.set_agent_transfer(agent_transfer)
    acting = ws.acting_as(Actor(name=f"someone-{role}", role=role))  # type: ignore[arg-type]
    for service, actions in ACTIONS.items():
        for action, name in actions.items():
            transfer = agent_transfer and role == "agent"
            allowed = grants(role, PERMISSIONS[name], agent_transfer=transfer)
            guarded = getattr(acting, service)
            if action.endswith("="):
                continue  # setters: test_setters_are_checked
            if allowed:
                getattr(guarded, action)  # a method is checked when called: nothing runs
            else:
                with pytest.raises(Forbidden, match=f"needs the permission {name!r}"):
                    _attempt(getattr(guarded, action))


def _attempt(action: object) -> None:
    """Read a refused property (done by getattr already) or call a refused method with no
    arguments: the check comes before the arguments are even bound."""
    if callable(action):
        action()


def test_setters_are_checked(ws: Workspace) -> None:
    viewer = ws.acting_as(Actor(name="vera", role="viewer"))
    with pytest.raises(Forbidden, match=r"settings\.session_timeout_minutes"):
        viewer.settings.session_timeout_minutes = 5
    assert ws.settings.session_timeout_minutes != 5
    admin = ws.acting_as(Actor(name="ada", role="admin"))
    admin.settings.session_timeout_minutes = 5
    assert ws.settings.session_timeout_minutes == 5
    [entry] = ws.db.rows("SELECT actor, entity, action FROM audit_log")
    assert entry == ("ada", "settings", "set session_timeout_minutes")


def _state(ws: Workspace) -> tuple[object, ...]:
    return tuple(
        ws.db.scalar(f"SELECT count(*) FROM {table}")
        for table in ("profiles", "labels", "consent_log", "audit_log", "merges", "settings")
    )


def test_refusals_change_nothing(ws: Workspace) -> None:
    a = ws.profiles.create({"email": "a@example.com"}, {"name": "A"}, actor="setup").id
    b = ws.profiles.create({"email": "b@example.com"}, {"name": "B"}, actor="setup").id
    before = _state(ws)
    viewer = ws.acting_as(Actor(name="vera", role="viewer"))
    attempts = [
        lambda: viewer.labels.add(a, "vip"),
        lambda: viewer.consent.set(a, "email", "granted"),
        lambda: viewer.merges.merge(a, b),
        lambda: viewer.privacy.erase(a),
        lambda: viewer.profiles.update(a, {"name": "X"}),
        lambda: viewer.transfer.export_profiles(),
        lambda: viewer.access.set_agent_transfer(True),
        lambda: viewer.users.create("eve", "admin", "eve-password-1"),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert _state(ws) == before
    assert ws.profiles.get(a).name == "A"


def test_the_person_acting_is_recorded(ws: Workspace) -> None:
    ws.users.create("ana", "agent", "ana-password-1")
    agent = ws.acting_as(Actor.of(ws.users.named("ana")))
    a = agent.profiles.create({"email": "a@example.com"}, {"name": "A"}).id
    b = agent.profiles.create({"email": "b@example.com"}, {"name": "B"}).id
    agent.profiles.update(a, {"city": "Bandung"}, actor="someone else")  # the facade decides
    agent.labels.add(a, "vip")
    agent.consent.set(a, "email", "granted")
    merge_id = agent.merges.merge(a, b)
    agent.merges.unmerge(merge_id)
    history = ws.profiles.field_history(a, "city")
    assert history["actor"].tolist() == ["ana"]
    assert ws.consent.history(a)["actor"].tolist() == ["ana"]
    assert ws.db.rows("SELECT DISTINCT actor FROM labels") == [("ana",)]
    actors = {row[0] for row in ws.db.rows("SELECT actor FROM audit_log")}
    assert actors == {"ana"}


def test_changes_without_an_audit_of_their_own_are_audited_here(ws: Workspace) -> None:
    marketer = ws.acting_as(Actor(name="mia", role="marketer"))
    marketer.rules.add("tag", 'when purchase then add label "buyer"')
    admin = ws.acting_as(Actor(name="ada", role="admin"))
    admin.users.create("bob", "viewer", "bob-password-1")
    rows = ws.db.rows("SELECT actor, entity, action, after FROM audit_log ORDER BY id")
    assert [r[:3] for r in rows] == [("mia", "rules", "add"), ("ada", "users", "create")]
    assert "bob-password-1" not in rows[1][3] and "not recorded" in rows[1][3]


def test_agents_import_and_export_only_when_an_admin_allows_it(ws: Workspace) -> None:
    agent = ws.acting_as(Actor(name="ana", role="agent"))
    with pytest.raises(Forbidden, match=r"data\.export"):
        agent.transfer.export_profiles()
    ws.acting_as(Actor(name="ada", role="admin")).access.set_agent_transfer(True)
    assert agent.transfer.export_profiles().startswith(b"id")
    assert agent.can("data.import") and not agent.can("people.erase")
