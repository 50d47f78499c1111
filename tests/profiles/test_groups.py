"""Groups (static lists seen from the People screen): made from picked profiles or from every
result of a People filter, renamed, described, grown, shrunk and deleted; membership goes
through the commit path (issue 15, item 7)."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import Conflict, DslNameError, ValidationError


@pytest.fixture
def people(ws: Workspace) -> list[int]:
    cities = ["Bandung", "Bandung", "Jakarta", "Bandung"]
    return [
        ws.profiles.create({"email": f"p{i}@example.com"}, {"city": city}).id
        for i, city in enumerate(cities)
    ]


def _history(ws: Workspace) -> list[tuple[int, str]]:
    return ws.db.rows("SELECT profile_id, change FROM segment_history ORDER BY profile_id, change")


def test_a_group_from_picked_rows_and_from_a_filter(ws: Workspace, people: list[int]) -> None:
    made = ws.groups.create("callbacks", description="call back this week", profile_ids=people[:1])
    assert (made["kind"], made["size"], made["description"]) == ("static", 1, "call back this week")
    bandung = ProfileFilter(properties={"city": "Bandung"})
    assert ws.groups.add("callbacks", matching=bandung) == 2  # people[0] was in already
    page = ws.groups.members("callbacks")
    assert sorted(page.rows["id"]) == [people[0], people[1], people[3]] and page.total == 3
    assert _history(ws) == [(people[0], "entered"), (people[1], "entered"), (people[3], "entered")]
    assert ws.groups.remove("callbacks", [people[1], people[2]]) == 1
    assert (people[1], "exited") in _history(ws)
    everyone = ws.groups.create("all", matching=ProfileFilter())
    assert everyone["size"] == 4
    assert ws.groups.list()[["name", "size"]].values.tolist() == [["all", 4], ["callbacks", 2]]


def test_rename_describe_and_delete(ws: Workspace, people: list[int]) -> None:
    ws.groups.create("vip", profile_ids=people[:2], actor="maria")
    renamed = ws.groups.rename("vip", "vip callbacks", actor="maria")
    assert renamed["name"] == "vip callbacks" and renamed["size"] == 2
    assert ws.segments.count('in segment "vip callbacks"') == 2
    described = ws.groups.describe("vip callbacks", "  top customers ", actor="maria")
    assert described["description"] == "top customers"
    ws.groups.delete("vip callbacks", actor="maria")
    assert ws.groups.list().empty
    actions = ws.db.rows(
        "SELECT action FROM audit_log WHERE entity = 'group' AND actor = 'maria' ORDER BY id"
    )
    assert [a for (a,) in actions] == ["create", "add_members", "rename", "describe", "delete"]


def test_a_group_in_use_keeps_its_name(ws: Workspace, people: list[int]) -> None:
    ws.groups.create("vip", profile_ids=people[:1])
    ws.segments.save("vip in bandung", expression='in segment "vip" and city = "Bandung"')
    with pytest.raises(Conflict, match='segment "vip in bandung" refers to it'):
        ws.groups.rename("vip", "gold")
    with pytest.raises(Conflict, match="cannot delete"):
        ws.groups.delete("vip")
    ws.segments.delete("vip in bandung")
    ws.rules.add("tag vip", 'when entering segment "vip" then add label "vip"')
    with pytest.raises(Conflict, match='rule "tag vip" refers to it'):
        ws.groups.rename("vip", "gold")


def test_bad_names_and_dynamic_segments_are_refused(ws: Workspace, people: list[int]) -> None:
    ws.segments.save("active", expression="did any event")
    with pytest.raises(Conflict, match='already a segment or group named "active"'):
        ws.groups.create("active")
    with pytest.raises(ValidationError, match="is a dynamic segment, not a group"):
        ws.groups.add("active", people)
    with pytest.raises(ValidationError, match="must be 1-100 letters"):
        ws.groups.create("bad/name")
    ws.groups.create("ok")
    with pytest.raises(ValidationError, match="must be 1-100 letters"):
        ws.groups.rename("ok", "")


def test_a_bad_filter_makes_no_group(ws: Workspace, people: list[int]) -> None:
    with pytest.raises(DslNameError):
        ws.groups.create("oops", matching=ProfileFilter(expression='contry = "ID"'))
    assert ws.groups.list().empty
