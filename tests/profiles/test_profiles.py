"""Profiles: create, edit with audit, validation through the catalog, search and the list."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import Conflict, NotFound, ValidationError
from tests.profiles.helpers import T0, add_event, add_session


def test_create_needs_an_identity(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="at least one identity"):
        ws.profiles.create({}, {"name": "Nobody"})
    with pytest.raises(ValidationError, match="empty value"):
        ws.profiles.create({"email": "  "})
    with pytest.raises(ValidationError, match="unknown identity type 'fax'"):
        ws.profiles.create({"fax": "123"})


def test_create_normalises_identities_and_fills_email(ws: Workspace) -> None:
    profile = ws.profiles.create(
        {"email": " Ana@Example.COM ", "phone": "0062 812-3456-789", "whatsapp": "62812"}
    )
    assert profile.email == "ana@example.com"
    assert profile.phone == "+628123456789"
    assert profile.source == "added_by_admin"
    assert ws.profiles.find("email", "ANA@example.com") == profile.id
    assert ws.profiles.find("whatsapp", "62812") == profile.id
    assert ws.profiles.find("email", "nobody@example.com") is None
    assert set(ws.profiles.identities(profile.id)["type"]) == {"email", "phone", "whatsapp"}


def test_identity_of_another_profile_is_a_conflict(ws: Workspace) -> None:
    first = ws.profiles.create({"email": "ana@example.com"})
    with pytest.raises(Conflict, match=f"already belongs to profile {first.id}"):
        ws.profiles.create({"user_id": "u1", "email": "ANA@example.com"})
    assert ws.profiles.find("user_id", "u1") is None  # nothing half-created


def test_get_unknown_profile(ws: Workspace) -> None:
    with pytest.raises(NotFound, match="profile 42 does not exist"):
        ws.profiles.get(42)


def test_edit_is_audited_field_by_field(ws: Workspace) -> None:
    pid = ws.profiles.create({"email": "ana@example.com"}, {"name": "Ana"}).id
    ws.profiles.update(pid, {"name": "Ana Putri", "city": "Bandung", "shoe": 38}, actor="maria")
    ws.profiles.update(pid, {"name": "Ana Putri", "lifecycle": "lead"}, actor="joe")
    profile = ws.profiles.get(pid)
    assert (profile.name, profile.city, profile.lifecycle) == ("Ana Putri", "Bandung", "lead")
    assert profile.properties == {"shoe": 38}
    history = ws.profiles.field_history(pid)
    edits = history[history["action"] == "update"]
    assert edits[["actor", "field", "before", "after"]].values.tolist() == [
        ["maria", "name", "Ana", "Ana Putri"],
        ["maria", "city", None, "Bandung"],
        ["maria", "shoe", None, 38],
        ["joe", "lifecycle", None, "lead"],
    ]
    assert ws.profiles.field_history(pid, "name")["after"].tolist() == ["Ana Putri"]


def test_edited_email_and_phone_become_identities(ws: Workspace) -> None:
    pid = ws.profiles.create({"user_id": "u-ana"}).id
    other = ws.profiles.create({"email": "budi@example.com"}).id
    ws.profiles.update(
        pid, {"email": " Ana@Example.COM ", "phone": "0062 811-2233-4455"}, actor="maria"
    )
    assert ws.profiles.find("email", "ana@example.com") == pid
    assert ws.profiles.find("phone", "+6281122334455") == pid
    added = ws.profiles.field_history(pid, "identity.email")
    assert added[["actor", "action", "after"]].values.tolist() == [
        ["maria", "identity_add", "ana@example.com"]
    ]
    ws.profiles.update(pid, {"email": "ana@example.com", "city": "Bandung"}, actor="joe")
    assert len(ws.profiles.identities(pid)) == 3  # its own identity is not added twice
    with pytest.raises(Conflict, match="budi@example.com.*profile " + str(other)):
        ws.profiles.update(pid, {"email": "BUDI@example.com", "name": "X"}, actor="joe")
    profile = ws.profiles.get(pid)
    assert (profile.email, profile.name) == ("ana@example.com", None)  # nothing applied


def test_unsetting_a_json_property(ws: Workspace) -> None:
    pid = ws.profiles.create({"user_id": "u1"}, {"shoe": 38}).id
    ws.profiles.update(pid, {"shoe": None}, actor="admin")
    assert ws.profiles.get(pid).properties == {}


def test_system_fields_cannot_be_edited(ws: Workspace) -> None:
    pid = ws.profiles.create({"user_id": "u1"}).id
    with pytest.raises(ValidationError, match="last_seen: is maintained by Kith"):
        ws.profiles.update(pid, {"last_seen": "2026-01-01"}, actor="admin")
    with pytest.raises(ValidationError, match="lifecycle: must be one of"):
        ws.profiles.update(pid, {"lifecycle": "zombie"}, actor="admin")
    with pytest.raises(ValidationError, match="source: must be one of added_by_admin"):
        ws.profiles.update(pid, {"source": "tv"}, actor="admin")


@pytest.fixture
def typed(ws: Workspace) -> Workspace:
    ws.catalog.define_property("plan", "string", enum=["free", "pro"], required=True)
    ws.catalog.define_property("code", "string", pattern=r"[A-Z]{3}-\d+")
    ws.catalog.define_property("ltv", "number", min=0, max=1000)
    ws.catalog.define_property("vip", "boolean")
    ws.catalog.define_property("renews_on", "date")
    return ws


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"plan": "gold"}, r"plan: must be one of \['free', 'pro'\], got 'gold'"),
        ({"code": "abc-1"}, r"code: 'abc-1' does not match the pattern"),
        ({"ltv": -5}, "ltv: must be at least 0, got -5"),
        ({"ltv": 5000}, "ltv: must be at most 1000, got 5000"),
        ({"ltv": "lots"}, "ltv: must be a number, got 'lots'"),
        ({"vip": "maybe"}, "vip: must be true or false"),
        ({"renews_on": "soon"}, "renews_on: must be an ISO 8601 date"),
        ({"plan": None}, "plan: is required and cannot be emptied"),
        ({"email": "not-an-email"}, "email: 'not-an-email' is not an email address"),
    ],
)
def test_validation_names_field_and_rule(typed: Workspace, values: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        typed.catalog.validate_properties(values)


def test_validation_coerces_and_checks_required(typed: Workspace) -> None:
    clean = typed.catalog.validate_properties(
        {"ltv": "12.5", "vip": "yes", "renews_on": "2026-05-01T10:00:00+02:00", "plan": "pro"}
    )
    assert clean == {
        "ltv": 12.5,
        "vip": True,
        "renews_on": dt.datetime(2026, 5, 1, 8),
        "plan": "pro",
    }
    with pytest.raises(ValidationError) as err:
        typed.catalog.validate_properties({"ltv": -1}, partial=False)
    rules = {(e["field"], e["rule"]) for e in err.value.details["errors"]}
    assert rules == {("ltv", "min"), ("plan", "required")}
    with pytest.raises(ValidationError, match="plan: is required"):
        typed.profiles.create({"user_id": "u1"})


def test_defining_a_property_adds_a_typed_column_and_moves_json(ws: Workspace) -> None:
    a = ws.profiles.create({"user_id": "a"}, {"ltv": 120, "shoe": 38}).id
    b = ws.profiles.create({"user_id": "b"}, {"shoe": 41}).id
    ws.catalog.define_property("ltv", "number", description="lifetime value")
    kind = ws.db.scalar(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'profiles' AND column_name = 'ltv'"
    )
    assert kind == "DOUBLE"
    rows = ws.db.rows("SELECT id, ltv, CAST(properties AS VARCHAR) FROM profiles ORDER BY id")
    assert rows == [(a, 120.0, '{"shoe":38}'), (b, None, '{"shoe":41}')]
    assert ws.profiles.get(a).properties == {"ltv": 120.0, "shoe": 38}
    catalog = ws.catalog.properties().set_index("name")
    assert catalog.loc["ltv", "type"] == "number"
    assert not catalog.loc["ltv", "builtin"]
    assert catalog.loc["email", "builtin"]


def test_property_definition_errors_change_nothing(ws: Workspace) -> None:
    ws.profiles.create({"user_id": "a"}, {"ltv": "a lot"})
    with pytest.raises(ValidationError, match="profiles 1 hold a value under that key"):
        ws.catalog.define_property("ltv", "number")
    assert "ltv" not in ws.catalog.custom()
    with pytest.raises(ValidationError, match="lowercase letters"):
        ws.catalog.define_property("Bad Name", "string")
    with pytest.raises(Conflict, match="built-in"):
        ws.catalog.define_property("email", "string")
    with pytest.raises(ValidationError, match="is not one of"):
        ws.catalog.define_property("age", "integer")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="min/max apply only to number"):
        ws.catalog.define_property("tier", "string", min=1)
    ws.catalog.define_property("tier", "string")
    with pytest.raises(Conflict, match="already defined"):
        ws.catalog.define_property("tier", "string")


def test_event_types_and_schema(ws: Workspace) -> None:
    ws.catalog.register_event_type("trial_started", properties={"plan": "string", "days": "number"})
    with pytest.raises(Conflict):
        ws.catalog.register_event_type("purchase")
    with pytest.raises(ValidationError, match="has type 'int'"):
        ws.catalog.register_event_type("x_y", properties={"n": "int"})
    types = ws.catalog.event_types().set_index("name")
    assert types.loc["trial_started", "registered"]
    assert not types.loc["purchase", "registered"]
    ws.catalog.define_property("ltv", "number")
    pid = ws.profiles.create({"instagram": "ana.ig"}).id
    ws.labels.add(pid, "vip", actor="admin")
    schema = ws.catalog.dsl_schema()
    assert schema.properties["ltv"] == "number"
    assert schema.properties["properties"] == "json"
    assert schema.properties["last_seen"] == "date"
    assert schema.event_types["trial_started"] == {"plan": "string", "days": "number"}
    assert schema.labels == frozenset({"vip"})
    assert {"instagram", "whatsapp"} <= schema.channels


@pytest.fixture
def people(ws: Workspace) -> dict[str, int]:
    specs = {
        "ana": (
            {"email": "ana@acme.com", "whatsapp": "w1"},
            {"name": "Ana Putri", "source": "ads"},
        ),
        "budi": (
            {"phone": "+6281111111111"},
            {"name": "Budi", "source": "ads", "lifecycle": "lead"},
        ),
        "cici": ({"user_id": "CICI-7"}, {"name": "Cici", "source": "organic", "tier": "gold"}),
    }
    ids = {k: ws.profiles.create(i, p).id for k, (i, p) in specs.items()}
    ws.labels.add([ids["ana"], ids["budi"]], "vip", actor="admin")
    ws.db.execute("UPDATE profiles SET last_seen = created_at WHERE id = $id", {"id": ids["budi"]})
    add_event(ws, ids["ana"], "purchase", T0)
    add_session(ws, "s1", ids["ana"], T0)
    return ids


def test_search_is_partial_and_case_insensitive(ws: Workspace, people: dict[str, int]) -> None:
    def found(text: str) -> set[int]:
        return set(ws.profiles.search(text)["id"])

    assert found("PUTRI") == {people["ana"]}
    assert found("acme.CO") == {people["ana"]}
    assert found("811111") == {people["budi"]}
    assert found("cici-") == {people["cici"]}  # an identity value
    assert found("zzz") == set()
    assert found("a PUTRI") == {people["ana"]}  # a space: names and other identities only
    shop = ws.profiles.create({"user_id": "shop"}, {"name": "100% Juice_Bar"}).id
    assert found("0% j") == {shop}  # % and _ are plain characters, not wildcards
    assert found("_") == {shop}
    assert found("%") == {shop}
    assert set(ws.profiles.list(ProfileFilter(text="e_b")).rows["id"]) == {shop}
    with pytest.raises(ValidationError):
        ws.profiles.search("  ")


def test_list_filters_combine_with_and(ws: Workspace, people: dict[str, int]) -> None:
    def ids(**kw: object) -> tuple[list[int], int]:
        page = ws.profiles.list(ProfileFilter(**kw), sort="id", descending=False)
        return page.rows["id"].tolist(), page.total

    assert ids() == ([people["ana"], people["budi"], people["cici"]], 3)
    assert ids(label="vip") == ([people["ana"], people["budi"]], 2)
    assert ids(label="vip", source="ads", lifecycle="lead") == ([people["budi"]], 1)
    assert ids(channel="whatsapp") == ([people["ana"]], 1)
    assert ids(properties={"tier": "gold"}) == ([people["cici"]], 1)
    assert ids(text="ana", label="vip") == ([people["ana"]], 1)
    assert ids(event_type="purchase", event_from=T0, event_to=T0 + dt.timedelta(days=1)) == (
        [people["ana"]],
        1,
    )
    assert ids(event_type="purchase", event_from=T0 + dt.timedelta(days=1)) == ([], 0)
    assert ids(last_seen_from=dt.datetime(2000, 1, 1)) == ([people["budi"]], 1)
    page = ws.profiles.list(limit=1, offset=1, sort="id", descending=False)
    assert (page.rows["id"].tolist(), page.total) == ([people["budi"]], 3)
    past_the_end = ws.profiles.list(ProfileFilter(label="vip"), offset=10)
    assert (past_the_end.rows.empty, past_the_end.total) == (True, 2)
    assert ws.profiles.list(ProfileFilter(label="nobody")).total == 0
    assert ws.profiles.list(ProfileFilter(label="vip"), sort="id").rows["channels"].tolist() == [
        [],  # budi: a phone is not a channel by itself
        ["web", "email", "whatsapp"],  # ana: most used first (her event is on web)
    ]
    with pytest.raises(ValidationError, match="cannot sort by"):
        ws.profiles.list(sort="id; DROP TABLE profiles")


def test_timeline_and_sessions(ws: Workspace, people: dict[str, int]) -> None:
    ana = people["ana"]
    add_event(ws, ana, "page_view", T0 + dt.timedelta(minutes=1), session_id="s1")
    assert ws.profiles.timeline(ana)["type"].tolist() == ["page_view", "purchase"]
    assert ws.profiles.timeline(ana, types=["purchase"])["type"].tolist() == ["purchase"]
    assert ws.profiles.timeline(ana, start=T0 + dt.timedelta(seconds=1)).shape[0] == 1
    assert ws.profiles.sessions(ana)["duration_seconds"].tolist() == [300]
    assert ws.profiles.session_events("s1")["type"].tolist() == ["page_view"]
