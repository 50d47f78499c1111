"""Settings > Identity keys > Event checks through AppTest on a seeded demo workspace: the two
workspace choices (unregistered event types, extra properties) are shown as stored, saved from
the form, and then hold for the next ingestion."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def test_event_checks_are_chosen_in_settings(seeded: Workspace, screen: Screen) -> None:
    at = screen("settings")
    no_errors(at)
    assert at.selectbox(key="undeclared_unregistered_types").value == "accept"
    at.selectbox(key="undeclared_unregistered_types").set_value("block")
    at.selectbox(key="undeclared_extra_properties").set_value("warn")
    at.button(key="undeclared_save").click().run()
    no_errors(at)
    assert seeded.catalog.undeclared() == {
        "unregistered_types": "block",
        "extra_properties": "warn",
    }
    message = {"type": "track", "event": "fresh_thing", "userId": "settings-1"}
    refused = seeded.ingest.messages([message]).rejected
    assert [r.reason for r in refused] == [
        "event type 'fresh_thing' is not registered (unregistered event types: block); "
        "register it with `kith event-type register fresh_thing --property NAME:TYPE`"
    ]
    assert screen("settings").selectbox(key="undeclared_unregistered_types").value == "block"
