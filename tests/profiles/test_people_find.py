"""Finding a person: any identity value names a profile (issue 15, item 6), search over labels,
city and custom properties ranked exact, prefix, rest (item 11), duplicate suggestions for a
merge (item 4)."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import Conflict, NotFound


@pytest.fixture
def people(ws: Workspace) -> dict[str, int]:
    ws.catalog.define_property("plan", "string")
    made = {
        "ana": ws.profiles.create(
            {"email": "ana@example.com", "user_id": "crm-7", "phone": "+62 811-2233-4455"},
            {"name": "Ana Lima", "city": "Bandung", "plan": "gold"},
        ),
        "anabel": ws.profiles.create(
            {"email": "anabel@example.com", "whatsapp": "+6281122334455"},
            {"name": "Anabel", "city": "Jakarta", "nickname": "bel"},
        ),
        "diana": ws.profiles.create({"email": "diana@example.com"}, {"name": "Diana"}),
        "twin": ws.profiles.create(
            {"user_id": "42"}, {"name": "ana lima", "phone": "+1 811 2233 4455"}
        ),
    }
    ids = {name: profile.id for name, profile in made.items()}
    ws.labels.add(ids["diana"], "fans-of-ana", actor="t")
    return ids


def test_a_profile_is_named_by_its_id_or_any_identity_value(
    ws: Workspace, people: dict[str, int]
) -> None:
    ana = people["ana"]
    assert ws.profiles.resolve(str(ana)) == ana
    assert ws.profiles.resolve("ANA@example.com ") == ana  # stored form: lower-cased, trimmed
    assert ws.profiles.resolve("+62 (811) 2233 4455") == ana  # any spelling of the phone
    assert ws.profiles.resolve("crm-7") == ana
    assert ws.profiles.resolve("user_id:42") == people["twin"]
    assert ws.profiles.resolve(f"id:{ana}") == ana
    with pytest.raises(NotFound, match="no profile has the id or identity value 'nobody'"):
        ws.profiles.resolve("nobody")
    with pytest.raises(NotFound, match="profile 999 does not exist"):
        ws.profiles.resolve("id:999")


def test_a_value_two_profiles_hold_asks_which(ws: Workspace, people: dict[str, int]) -> None:
    ws.profiles.create({"telegram": "crm-7"})
    with pytest.raises(Conflict, match=r"names several profiles.*TYPE:VALUE"):
        ws.profiles.resolve("crm-7")
    assert ws.profiles.resolve("user_id:crm-7") == people["ana"]


def test_search_ranks_exact_then_prefix_then_the_rest(
    ws: Workspace, people: dict[str, int]
) -> None:
    found = ws.profiles.search("ana lima")["id"].tolist()
    assert found[:2] == sorted([people["ana"], people["twin"]])  # both exact (any case)
    ranked = ws.profiles.search("ana")["id"].tolist()
    # prefixes (Ana Lima, Anabel, ana lima) before matches inside (Diana, her label)
    assert set(ranked[:3]) == {people["ana"], people["anabel"], people["twin"]}
    assert ranked[-1] == people["diana"]
    assert ws.profiles.search("diana@example.com")["id"].tolist()[0] == people["diana"]


def test_search_finds_labels_city_and_custom_properties(
    ws: Workspace, people: dict[str, int]
) -> None:
    def found(text: str) -> set[int]:
        return set(ws.profiles.search(text)["id"])

    assert found("fans-of-ana") == {people["diana"]}
    assert found("bandung") == {people["ana"]}
    assert found("GOLD") == {people["ana"]}  # a registered custom property
    assert found("bel") >= {people["anabel"]}  # an unregistered one's value
    assert found("nickname") == set()  # keys are not values
    listed = ws.profiles.list(ProfileFilter(text="jakarta"), limit=10)
    assert listed.rows["id"].tolist() == [people["anabel"]]


def test_duplicates_are_suggested_with_their_reason(ws: Workspace, people: dict[str, int]) -> None:
    suggested = ws.profiles.duplicates(people["ana"])
    reasons = dict(zip(suggested["id"], suggested["reasons"], strict=True))
    assert list(reasons[people["twin"]]) == ["same name, similar phone"]  # same last 8 digits
    assert people["diana"] not in reasons
    other = ws.profiles.create({"user_id": "d2"}, {"email": "DIANA@example.com"}).id
    assert list(ws.profiles.duplicates(other)["id"]) == [people["diana"]]
