"""Erasure redacts the person's identity values wherever other people's rows quote them, and
nothing else: JSON stays valid, look-alike values and other people's identities survive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Workspace
from engine.profiles.privacy import quotes_of
from tests.profiles.helpers import T0, add_event


@pytest.fixture
def ana(ws: Workspace) -> int:
    identities = {"email": "ana@kith.io", "telegram": "710000312", "user_id": "a+b(c)*"}
    return ws.profiles.create(identities, {"name": "Ana"}).id


@pytest.fixture
def budi(ws: Workspace) -> int:
    return ws.profiles.create({"email": "budi@kith.io"}, {"name": "Budi"}).id


def _props_after_erase(ws: Workspace, ana: int, budi: int, props: dict[str, Any]) -> Any:
    event = add_event(ws, budi, "form_submitted", T0, properties=props)
    ws.privacy.erase(ana, actor="dpo")
    text = ws.db.scalar("SELECT properties FROM events WHERE id = $id", {"id": event})
    return json.loads(text)


def _erase_report(ws: Workspace, ana: int) -> dict[str, Any]:
    after = ws.db.scalar(
        "SELECT after FROM audit_log WHERE action = 'erase' AND entity_id = CAST($id AS VARCHAR)",
        {"id": ana},
    )
    return json.loads(after)


def test_quotes_in_text_any_case_become_erased(ws: Workspace, ana: int, budi: int) -> None:
    props = {"note": "Referred by ANA@KITH.IO, user a+b(c)*.", "list": ["ana@kith.io", 3]}
    assert _props_after_erase(ws, ana, budi, props) == {
        "note": "Referred by [erased], user [erased].",
        "list": ["[erased]", 3],
    }
    assert _erase_report(ws, ana)["redacted"] == {"events": 1}


def test_non_ascii_quotes_are_found_escaped_or_not(ws: Workspace, budi: int) -> None:
    ana = ws.profiles.create({"user_id": "Zoë-1984"}).id
    props = {"ref": "zoë-1984", "raw": "x"}  # add_event writes JSON with \\u escapes
    ws.db.execute("UPDATE profiles SET name = 'by ZOË-1984' WHERE id = $id", {"id": budi})
    assert _props_after_erase(ws, ana, budi, props) == {"ref": "[erased]", "raw": "x"}
    assert ws.profiles.get(budi).name == "by [erased]"


def test_numbers_quoting_an_id_become_strings_and_json_stays_valid(
    ws: Workspace, ana: int, budi: int
) -> None:
    props = {"tg": 710000312, "ids": [1, 710000312], "other": 17100003129, "s": "x,710000312"}
    assert _props_after_erase(ws, ana, budi, props) == {
        "tg": "[erased]",
        "ids": [1, "[erased]"],
        "other": 17100003129,  # a different number that merely contains the digits
        "s": "x,[erased]",
    }


def test_look_alike_values_are_kept(ws: Workspace, ana: int, budi: int) -> None:
    props = {"a": "diana@kith.io", "b": "ana@kith.ionic", "c": "x710000312"}
    assert _props_after_erase(ws, ana, budi, props) == props
    assert _erase_report(ws, ana)["redacted"] == {}


def test_values_another_profile_holds_are_kept(ws: Workspace, budi: int) -> None:
    ana = ws.profiles.create({"phone": "+6281234567890", "whatsapp": "w1"}).id
    ws.profiles.create({"whatsapp": "+6281234567890"})  # the family's shared number
    props = {"wa": "+6281234567890", "page": "w1"}  # and "w1" is too short to search for
    assert _props_after_erase(ws, ana, budi, props) == props


def test_phone_quoted_without_plus_and_in_other_tables(ws: Workspace, budi: int) -> None:
    ana = ws.profiles.create({"phone": "+6281234567890"}).id
    ws.catalog.define_property("referrer", "string")
    ws.profiles.update(budi, {"referrer": "call 6281234567890"}, actor="admin")
    ws.db.execute("CREATE TABLE crm_notes (author VARCHAR, body JSON, tags VARCHAR[])")
    ws.db.execute(
        "INSERT INTO crm_notes VALUES ('+6281234567890', '{\"n\": 6281234567890}', "
        "['vip', 'wa 6281234567890'])"
    )
    ws.privacy.erase(ana, actor="dpo")
    assert ws.profiles.get(budi).properties["referrer"] == "call [erased]"
    assert ws.db.rows("SELECT author, body, tags FROM crm_notes") == [
        ("[erased]", '{"n": "[erased]"}', ["vip", "wa [erased]"])
    ]
    redacted = _erase_report(ws, ana)["redacted"]
    assert redacted == {"audit_log": 1, "crm_notes": 1, "profiles": 1}


def test_quotes_skip_short_values_escape_regex_syntax_and_pick_cheap_probes() -> None:
    assert quotes_of(["w1", "abc"]) is None
    quotes = quotes_of(['a"b.c', "+621234567", "Anastasia", "ana.q@kith.io"])
    assert quotes is not None
    phone = r"(?:\+[\s\-().\/]*|\b00[\s\-().\/]*|\b)" + r"[\s\-().\/]*".join("621234567") + r"\b"
    assert quotes.pattern == (
        rf"(?i){phone}|"
        r'\bana\.q@kith\.io\b|\+621234567\b|\b621234567\b|\bAnastasia\b|\ba\\"b\.c\b|'
        r'\ba"b\.c\b'
    )
    assert quotes.phones == f"(?i){phone}"
    assert quotes.anchors == ('"', ".", "621234567")  # '+621234567' holds '621234567'
    assert quotes.likes == ("%Anastasia%",)  # letters only: no caseless run to look for


def test_phones_in_any_format_and_the_name_beside_them_are_erased(ws: Workspace, budi: int) -> None:
    ana = ws.profiles.create({"phone": "+447700900123"}, {"name": "Ana Lima"}).id
    props = {
        "spaced": "+44 7700 900123",
        "dialled": "0044-7700-900-123",
        "bare": "447700900123",
        "who": "Ana Lima",
        "longer": "+4477009001234",
    }
    assert _props_after_erase(ws, ana, budi, props) == {
        "spaced": "[erased]",
        "dialled": "[erased]",
        "bare": "[erased]",
        "who": "[erased]",  # the name, beside a quoted identity
        "longer": "+4477009001234",  # another number
    }


def test_a_name_alone_is_kept(ws: Workspace, budi: int) -> None:
    ana = ws.profiles.create({"phone": "+447700900123"}, {"name": "Ana Lima"}).id
    assert _props_after_erase(ws, ana, budi, {"who": "Ana Lima"}) == {"who": "Ana Lima"}
