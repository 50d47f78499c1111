"""The People commands through `app.cli.main` on a real workspace file (issue 15): a profile by
any identity value, merges past the limits, groups (`kith list`), notes, and what an agent looks
at on one profile."""

from __future__ import annotations

from tests.profiles.conftest import Kith
from tests.profiles.conftest import json_of as _json


def _make(kith: Kith, *identities: str, **fields: str) -> int:
    argv = ["profile", "create"]
    for identity in identities:
        argv += ["--identity", identity]
    for key, value in fields.items():
        argv += ["--set", f"{key}={value}"]
    return int(_json(kith, *argv)["id"])


def test_profile_show_takes_any_identity_value(kith: Kith) -> None:
    ana = _make(kith, "email=ana@example.com", "phone=+62 811 2233 4455", name="Ana")
    for ref in ("ana@example.com", "+6281122334455", f"id:{ana}", str(ana)):
        assert _json(kith, "profile", "show", ref)["id"] == ana
    code, _, err = kith("profile", "show", "nobody@example.com")
    assert code == 1 and "no profile has the id or identity value 'nobody@example.com'" in err
    edited = _json(kith, "profile", "edit", "ana@example.com", "--set", "city=Bandung")
    assert edited["city"] == "Bandung"


def test_merge_refuses_past_the_limit_unless_overridden(kith: Kith) -> None:
    ids = [_make(kith, f"email=p{i}@example.com") for i in range(6)]
    for other in ids[1:5]:
        assert kith("merge", str(ids[0]), str(other))[0] == 0
    code, _, err = kith("merge", str(ids[0]), str(ids[5]))
    assert code == 1 and "the email limit is 5" in err
    assert kith("merge", str(ids[0]), str(ids[5]), "--override")[0] == 0
    merged = _json(kith, "profile", "merges", "p0@example.com")
    assert merged["merged_count"] == 5


def test_groups_with_kith_list(kith: Kith) -> None:
    ids = [_make(kith, f"email=p{i}@example.com", city=c) for i, c in enumerate("AAB")]
    made = _json(kith, "list", "create", "callbacks", "--ids", str(ids[2]), "--description", "x")
    assert made["size"] == 1
    added = _json(kith, "list", "add", "callbacks", "--all-matching", "--where", "city=A")
    assert added["added"] == 2
    assert _json(kith, "list", "remove", "callbacks", "--ids", str(ids[0]))["removed"] == 1
    assert _json(kith, "list", "rename", "callbacks", "call back")["name"] == "call back"
    assert _json(kith, "list", "describe", "call back", "this week")["description"] == "this week"
    shown = _json(kith, "list", "show", "call back")
    assert sorted(m["id"] for m in shown["members"]) == [ids[1], ids[2]]
    assert [g["name"] for g in _json(kith, "list", "all")] == ["call back"]
    code, _, err = kith("list", "add", "call back")
    assert code == 1 and "--ids 1,2,3 and/or --all-matching" in err
    assert _json(kith, "list", "delete", "call back") == {"deleted": "call back"}
    assert _json(kith, "list", "all") == []


def test_notes_and_the_agents_views(kith: Kith) -> None:
    ana = _make(kith, "email=ana@example.com", "whatsapp=+6281111111", name="Ana Lima")
    twin = _make(kith, "user_id=t1", name="Ana Lima", email="ana@example.com")
    note = _json(kith, "note", "add", "ana@example.com", "prefers whatsapp", "--actor", "maria")
    assert (note["author"], note["profile_id"]) == ("maria", ana)
    code, _, err = kith("note", "edit", str(note["id"]), "mine", "--actor", "joao")
    assert code == 1 and "only its author may change it" in err
    _json(kith, "note", "edit", str(note["id"]), "prefers whatsapp, evenings", "--actor", "maria")
    listed = _json(kith, "note", "list", str(ana))
    assert [n["body"] for n in listed] == ["prefers whatsapp, evenings"]
    channels = _json(kith, "profile", "channels", str(ana))
    assert [c["channel"] for c in channels["channels"]] == ["email", "whatsapp"]
    main_set = _json(kith, "profile", "main-channel", str(ana), "whatsapp")
    assert (main_set["main"], main_set["main_set_by_hand"]) == ("whatsapp", True)
    code, out, _ = kith("profile", "channels", str(ana))
    assert code == 0 and "* (set by hand)" in out
    duplicates = _json(kith, "profile", "duplicates", str(ana))
    assert [d["id"] for d in duplicates] == [twin]
    assert _json(kith, "profile", "engagement", str(ana))["purchases"] == 0
    found = _json(kith, "profile", "search", "ana lima")
    assert sorted(p["id"] for p in found) == [ana, twin]
