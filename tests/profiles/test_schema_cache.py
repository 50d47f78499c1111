"""The language schema is cached per workspace and follows every change of what it lists."""

from __future__ import annotations

import pytest

from engine import Workspace
from kith_errors import KithError


def test_schema_is_reused_until_something_changes(ws: Workspace) -> None:
    first = ws.catalog.dsl_schema()
    assert ws.catalog.dsl_schema() is first
    ws.catalog.invalidate()
    assert ws.catalog.dsl_schema() is not first


def test_a_defined_property_is_known_at_once(ws: Workspace) -> None:
    with pytest.raises(KithError, match="ltv"):
        ws.segments.check("ltv > 10")
    ws.catalog.define_property("ltv", "number")
    ws.segments.check("ltv > 10")
    ws.catalog.register_event_type("trial_started", properties={"plan": "string"})
    assert ws.catalog.dsl_schema().event_types["trial_started"] == {"plan": "string"}


def test_labels_are_known_at_once_even_when_their_count_stays(ws: Workspace) -> None:
    pid = ws.profiles.create({"user_id": "u1"}).id
    with pytest.raises(KithError, match="vip"):
        ws.segments.check('has label "vip"')
    ws.labels.add(pid, "vip", actor="admin")
    ws.segments.check('has label "vip"')
    ws.labels.remove(pid, "vip", actor="admin")
    ws.labels.add(pid, "gold", actor="admin")  # as many label rows as before
    assert ws.catalog.dsl_schema().labels == frozenset({"gold"})


def test_saved_segments_and_new_identity_types_are_known_at_once(ws: Workspace) -> None:
    with pytest.raises(KithError, match="buyers"):
        ws.segments.check('in segment "buyers"')
    ws.segments.save("buyers", expression="did purchase")
    ws.segments.check('in segment "buyers"')
    assert "external_id" not in ws.catalog.dsl_schema().channels
    ws.profiles.create({"external_id": "crm-1"})
    assert "external_id" in ws.catalog.dsl_schema().channels


def test_saved_segments_references_are_read_per_segment(ws: Workspace) -> None:
    """Each saved segment's references are parsed when asked for, and the mapping answers
    as the whole dict did: names, references through expressions and compound parts."""
    ws.segments.save("buyers", expression="did purchase")
    ws.segments.save("big", expression='in segment "buyers" and country = "ID"')
    ws.segments.save("either", kind="compound", op="union", of=["buyers", "big"])
    refs = ws.catalog.dsl_schema().segments
    assert "big" in refs and "nobody" not in refs and len(refs) == 3
    assert refs["big"] == frozenset({"buyers"}) and refs.get("nobody") is None
    assert dict(refs) == {
        "buyers": frozenset(),
        "big": frozenset({"buyers"}),
        "either": frozenset({"buyers", "big"}),
    }
    with pytest.raises(KithError, match="refers to itself"):
        ws.segments.save("buyers", expression='in segment "either"')


def test_a_saved_segment_that_no_longer_parses_blocks_only_its_own_users(ws: Workspace) -> None:
    """References are parsed per segment when asked for: a stored expression an older
    version accepted and this one cannot read fails the checks that reach it, not all."""
    ws.segments.save("buyers", expression="did purchase")
    ws.db.execute("UPDATE segments SET expression = 'did purchase where (((' WHERE name = 'buyers'")
    ws.catalog.invalidate()
    ws.segments.check('country = "ID"')
    with pytest.raises(KithError):
        ws.segments.check('in segment "buyers"')
