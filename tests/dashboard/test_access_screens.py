"""Screens act for the logged-in user: what their role may not do is not offered, what the
engine refuses shows as a message, and a run without a user stops at the login link."""

from __future__ import annotations

import pytest

from app import state
from engine import Workspace
from engine.access.policy import Actor
from tests.dashboard.conftest import Screen, no_errors, shown

pytestmark = pytest.mark.xdist_group("dashboard")


def _buttons(at: object) -> list[str]:
    return [button.label for button in at.button]  # type: ignore[attr-defined]


def test_erase_is_offered_to_admins_only(seeded: Workspace, screen: Screen) -> None:
    profile = str(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    admin = screen("profile", id=profile)
    no_errors(admin)
    assert "Erase profile" in _buttons(admin)
    state.set_local_actor(Actor(name="ana", role="agent"))
    agent = screen("profile", id=profile)
    no_errors(agent)
    assert "Erase profile" not in _buttons(agent) and "Prepare export" in _buttons(agent)


def test_what_the_engine_refuses_is_shown_and_nothing_changes(
    seeded: Workspace, screen: Screen
) -> None:
    state.set_local_actor(Actor(name="vic", role="viewer"))
    at = screen("settings")
    at.text_input(key="key_name").input("website")
    at.button(key="key_create").click().run()
    assert not at.exception
    refusals = [shown(error.value) for error in at.error]
    assert "vic (viewer) may not users.list: it needs the permission 'users.manage'" in refusals[0]
    assert any("vic (viewer) may not keys.create" in refusal for refusal in refusals)
    assert seeded.keys.list().empty


def test_no_user_no_screen(seeded: Workspace, screen: Screen) -> None:
    state.set_local_actor(None)
    at = screen("people")
    assert not at.exception and not at.dataframe
    assert "Log in again" in at.warning[0].value
