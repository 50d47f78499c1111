"""The profile commands through `app.cli.main`, on a real workspace file, with exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.profiles.conftest import Kith
from tests.profiles.conftest import json_of as _json


def test_profile_create_show_edit_history(kith: Kith) -> None:
    made = _json(
        kith,
        "profile", "create", "--identity", "email=ana@example.com", "--identity",
        "email=ana@work.com", "--set", "name=Ana", "--set", "shoe=38",
    )  # fmt: skip
    pid = str(made["id"])
    assert made["email"] == "ana@example.com"
    assert made["properties"] == {"shoe": 38}
    assert len(made["identities"]) == 2
    assert kith("profile", "edit", pid, "--set", "city=Bandung", "--actor", "maria")[0] == 0
    shown = _json(kith, "profile", "show", pid)
    assert shown["city"] == "Bandung"
    history = _json(kith, "profile", "history", pid, "--field", "city")
    assert [(h["actor"], h["after"]) for h in history] == [("maria", "Bandung")]
    code, _, err = kith("profile", "show", "999")
    assert (code, err.strip()) == (1, "error: no profile has the id or identity value '999'")
    code, _, err = kith("profile", "create", "--identity", "email")
    assert code == 1 and "must look like key=value" in err


def test_profiles_list_with_filters(kith: Kith) -> None:
    for who, source in (("ana", "ads"), ("budi", "organic")):
        kith("profile", "create", "--identity", f"user_id={who}", "--set", f"source={source}")
    page = _json(kith, "profiles", "--source", "ads")
    assert page["total"] == 1 and page["rows"][0]["source"] == "ads"
    assert _json(kith, "profiles", "--search", "BUD")["total"] == 1
    assert _json(kith, "profiles", "--where", "source=organic", "--search", "ana")["total"] == 0
    code, out, _ = kith("profiles")
    assert code == 0 and "2 of 2 profiles" in out
    code, _, err = kith("profiles", "--created-from", "yesterday")
    assert code == 1 and "--created-from" in err
    with pytest.raises(SystemExit) as usage:
        kith("profiles", "--limit", "many")
    assert usage.value.code == 2


def test_merge_preview_merge_unmerge(kith: Kith) -> None:
    kith("profile", "create", "--identity", "user_id=a", "--set", "name=Ana")
    kith("profile", "create", "--identity", "email=a@example.com", "--set", "name=Ana P")
    preview = _json(kith, "merge", "1", "2", "--preview")
    assert [c["field"] for c in preview["conflicts"]] == ["name"]
    assert _json(kith, "profiles")["total"] == 2  # a preview changes nothing
    merged = _json(kith, "merge", "1", "2", "--take", "name=primary")
    assert _json(kith, "profile", "show", "1")["name"] == "Ana"
    code, out, _ = kith("unmerge", str(merged["merge_id"]))
    assert code == 0 and "undid merge" in out
    assert _json(kith, "profiles")["total"] == 2
    code, _, err = kith("merge", "1", "2", "--take", "name=mine")
    assert code == 1 and "primary or secondary" in err


def test_erase_needs_confirmation(kith: Kith) -> None:
    kith("profile", "create", "--identity", "email=gone@example.com")
    code, _, err = kith("erase", "1")
    assert code == 1 and "--yes" in err
    assert _json(kith, "profiles")["total"] == 1
    assert _json(kith, "export-person", "1")["identities"][0]["value"] == "gone@example.com"
    code, out, _ = kith("erase", "1", "--yes")
    assert code == 0 and "erased profile 1" in out
    assert _json(kith, "profiles")["total"] == 0


def test_labels_and_consent(kith: Kith) -> None:
    kith("profile", "create", "--identity", "user_id=a")
    kith("profile", "create", "--identity", "user_id=b")
    code, out, _ = kith("label", "add", "vip", "1", "2")
    assert code == 0 and "labelled 2" in out
    kith("label", "remove", "vip", "2")
    assert _json(kith, "label", "list") == [{"label": "vip", "profiles": 1}]
    assert _json(kith, "label", "list", "--profile", "1") == [{"label": "vip"}]
    assert kith("label", "add", "vip", "7")[0] == 1
    assert kith("consent", "set", "1", "whatsapp", "granted", "--at", "2026-01-01")[0] == 0
    kith("consent", "set", "1", "whatsapp", "revoked", "--at", "2026-02-01")
    assert [c["status"] for c in _json(kith, "consent", "show", "1")] == ["revoked"]
    history = _json(kith, "consent", "history", "--profile", "1")
    assert [h["status"] for h in history] == ["revoked", "granted"]
    coverage = _json(kith, "consent", "coverage")
    assert {"channel": "whatsapp", "status": "unknown", "profiles": 1} in coverage
    assert _json(kith, "consent", "violations") == []
    with pytest.raises(SystemExit):
        kith("consent", "set", "1", "whatsapp", "perhaps")


def test_property_and_event_type_commands(kith: Kith) -> None:
    code, out, _ = kith("property", "define", "plan", "string", "--enum", "free,pro")
    assert code == 0 and "defined property plan" in out
    props = {p["name"]: p for p in _json(kith, "property", "list")}
    assert props["plan"]["enum_values"] == ["free", "pro"] and props["name"]["builtin"]
    code, _, err = kith("property", "define", "email", "string")
    assert code == 1 and "built-in" in err
    assert kith("event-type", "register", "trial_started", "--prop", "days=number")[0] == 0
    types = {t["name"]: t for t in _json(kith, "event-type", "list")}
    assert types["trial_started"]["properties"] == {"days": "number"}
    code, _, err = kith("profile", "create", "--identity", "user_id=x", "--set", "plan=gold")
    assert code == 1 and "plan: must be one of" in err


def test_import_and_export(kith: Kith, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("name;email\nAna;ana@example.com\nBad;nope\n")
    dry = _json(kith, "import-profiles", str(source), "--dry-run")
    assert (dry["valid_rows"], dry["errors"][0]["row"]) == (1, 3)
    assert _json(kith, "profiles")["total"] == 0
    done = _json(kith, "import-profiles", str(source), "--sep", ";")
    assert (done["created"], done["error_rows"]) == (1, 1)
    out = tmp_path / "out.parquet"
    assert kith("export-profiles", "--search", "ana", "--out", str(out))[0] == 0
    assert pd.read_parquet(out)["email"].tolist() == ["ana@example.com"]
    code, _, err = kith("export-profiles", "--out", str(tmp_path / "x.xlsx"))
    assert code == 1 and ".csv or .parquet" in err
    code, template, _ = kith("import-template")
    assert template.startswith("name,identifier,email,phone_number")
