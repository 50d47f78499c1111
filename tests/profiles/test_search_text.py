"""People text search: the same answer as a plain any-case substring test over name, email,
phone and every identity, whichever way the needle is matched (contains, anchored ILIKE, ILIKE),
and still right after edits, merges, unmerge and erase."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from engine.profiles.text_match import caseless_run

PEOPLE = [
    ({"email": "ravi.sharma1531@stark.com", "phone": "+2346124030434"}, {"name": "Ravi Sharma"}),
    ({"line": "U100007979", "user_id": "CICI-7"}, {"name": "Cici Öztürk"}),
    ({"instagram": "@zara_wilson99", "whatsapp": "+6281111111111"}, {"name": "Zara Wilson"}),
    ({"email": "liam@proton.me", "telegram": "710000312"}, {"name": "100% Juice_Bar"}),
    ({"anonymous_id": "anon-55", "sms": "+6281111112222"}, {"name": "LIAM O'NEIL"}),
]
NEEDLES = [
    "sharma",
    "SHARMA1531",
    "Ravi.Sharma1531@",
    "6124030",
    "+234",
    "u1000",
    "cici-",
    "öZTÜRK",
    "@ZARA_wil",
    "liam",
    "O'NEIL",
    "0% j",
    "_",
    "%",
    "ravi sharma",
    "cici ö",
    "1111",
    "710000312",
    "proton.ME",
    "zzqx",
]


@pytest.fixture
def people(ws: Workspace) -> list[int]:
    return [ws.profiles.create(ids, props).id for ids, props in PEOPLE]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One read-only workspace with PEOPLE for every needle (searching changes nothing)."""
    workspace = Workspace.open(tmp_path_factory.mktemp("search") / "kith.duckdb")
    for ids, props in PEOPLE:
        workspace.profiles.create(ids, props)
    yield workspace
    workspace.close()


def _expected(ws: Workspace, needle: str) -> set[int]:
    """The reference: any-case substring of name/email/phone or an identity value; a needle
    holding a space skips emails and phones (stored values never hold one)."""
    spaced = any(c.isspace() for c in needle)
    rows = ws.db.rows("SELECT id, 'name', name FROM profiles")
    if not spaced:
        rows += ws.db.rows("SELECT id, 'email', email FROM profiles")
        rows += ws.db.rows("SELECT id, 'phone', phone FROM profiles")
    rows += ws.db.rows("SELECT profile_id, type, value FROM identities")
    skip = {"email", "phone"} if spaced else set()
    low = needle.lower()
    return {pid for pid, kind, text in rows if text and kind not in skip and low in text.lower()}


def _found(ws: Workspace, needle: str) -> set[int]:
    ids = set(ws.profiles.search(needle, limit=100)["id"])
    listed = set(ws.profiles.list(ProfileFilter(text=needle), limit=100).rows["id"])
    assert ids == listed
    return ids


@pytest.mark.parametrize("needle", NEEDLES)
def test_search_matches_the_reference(shared: Workspace, needle: str) -> None:
    assert _found(shared, needle) == _expected(shared, needle)


def test_each_matching_strategy_is_exercised() -> None:
    assert caseless_run("6124030") == "6124030"  # no letters: plain contains
    assert caseless_run("Ravi.Sharma1531@") == "1531@"  # anchored ILIKE
    assert caseless_run("sharma") == ""  # ILIKE only
    assert caseless_run("@ZARA_wil") == "@"  # a run too short to anchor on


def test_search_follows_edits_merges_unmerge_and_erase(ws: Workspace, people: list[int]) -> None:
    ravi, cici = people[0], people[1]
    ws.profiles.update(ravi, {"email": "r.sharma@new.io"}, actor="admin")
    assert _found(ws, "R.SHARMA@new") == {ravi}
    merge = ws.merges.merge(ravi, cici)
    assert _found(ws, "u100007979") == {ravi}  # Cici's LINE id now belongs to Ravi
    ws.merges.unmerge(merge, actor="admin")
    assert _found(ws, "u100007979") == {cici}
    ws.privacy.erase(cici, actor="dpo")
    assert _found(ws, "cici") == set()
    assert _found(ws, "sharma") == {ravi}


def test_results_come_prefixes_first_then_most_recently_seen_first(
    ws: Workspace, people: list[int]
) -> None:
    ws.db.execute(
        "UPDATE profiles SET last_seen = TIMESTAMP '2026-01-01' + INTERVAL (id) DAY "
        "WHERE id IN (SELECT unnest($ids))",
        {"ids": people[2:]},
    )
    ranked = ws.profiles.search("1", limit=100)["id"].tolist()
    first, *rest = ranked
    assert first == people[3]  # "100% Juice_Bar" starts with the text: prefixes come first
    assert rest == sorted(set(rest) & set(people[2:]), reverse=True) + sorted(
        set(rest) - set(people[2:])
    )
    assert ws.profiles.search("1", limit=2)["id"].tolist() == ranked[:2]
