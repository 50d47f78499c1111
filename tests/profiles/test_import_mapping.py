"""The CSV profile import's mapping step on real workspace files: a file with its own headers
imported through a column mapping (given, or saved per workspace and re-used by name), the
channel source codes of other platforms and custom channels, and consent columns recorded in the
consent trail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from kith_errors import NotFound, ValidationError

CRM = """Full Name,E-mail,Mobile,Channel,Chat ID,WA opt-in,WA opt-in date,Notes
Ana Putri,ANA@example.com,+62 812-3456-7890,wa,6281234567,granted,2026-10-01T08:00:00Z,vip
Budi,budi@example.com,,ig,budi.ig,denied,,
Cici,cici@example.com,,qiscus,w-1,maybe,,
Dewi,dewi@example.com,,custom:shopchat,sc-9,,,
Eko,eko@example.com,,custom:user_id,x,,,
"""
MAPPING = {
    "Full Name": "name",
    "e-mail": "email",  # headers match ignoring case
    "Mobile": "phone_number",
    "Channel": "channel_name",
    "Chat ID": "channel_id",
    "WA opt-in": "consent_whatsapp",
    "WA opt-in date": "consent_whatsapp_at",
    "Notes": "ignore",
}


def _identities(ws: Workspace, email: str) -> dict[str, str]:
    profile = ws.profiles.get(ws.profiles.find("email", email))
    return {i.type: i.value for i in profile.identities}


def test_an_import_with_mapped_headers(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="unknown column"):
        ws.transfer.preview_import(CRM)
    preview = ws.transfer.preview_import(CRM, mapping=MAPPING)
    assert preview.valid_rows == 3
    assert preview.errors.values.tolist() == [
        [4, "consent_whatsapp", "must be one of granted, denied, revoked"],
        [6, "channel_name", preview.errors.loc[1, "message"]],
    ]
    assert "custom:<name>" in preview.errors.loc[1, "message"]
    report = ws.transfer.import_profiles(CRM, mapping=MAPPING, actor="maria")
    assert (report.created, report.updated, report.consent) == (3, 0, 2)
    ana = ws.profiles.get(ws.profiles.find("email", "ana@example.com"))
    assert (ana.name, ana.phone) == ("Ana Putri", "+6281234567890")
    assert _identities(ws, "ana@example.com")["whatsapp"] == "6281234567"
    assert _identities(ws, "budi@example.com")["instagram"] == "budi.ig"
    assert _identities(ws, "dewi@example.com")["shopchat"] == "sc-9"
    assert ws.segments.count("has channel shopchat") == 1


def test_consent_columns_go_through_the_consent_trail(ws: Workspace) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ws.transfer.import_profiles(CRM, mapping=MAPPING, actor="maria")
    log = ws.db.dicts(
        "SELECT p.email, c.channel, c.status, c.changed_at, c.source, c.actor "
        "FROM consent_log c JOIN profiles p ON p.id = c.profile_id ORDER BY p.email"
    )
    assert [(r["email"], r["channel"], r["status"], r["source"], r["actor"]) for r in log] == [
        ("ana@example.com", "whatsapp", "granted", "import", "maria"),
        ("budi@example.com", "whatsapp", "denied", "import", "maria"),
    ]
    assert log[0]["changed_at"] == dt.datetime(2026, 10, 1, 8)
    assert log[1]["changed_at"] >= before  # no date given: the moment of the import
    assert ws.segments.count("consent whatsapp is granted") == 1
    assert ws.segments.count("consent whatsapp is denied") == 1


def test_source_codes_name_kith_channels(ws: Workspace) -> None:
    rows = ["name,email,channel_name,channel_id"]
    codes = ["wa", "fb", "ig", "telegram", "line", "tiktok", "qiscus", "custom", "LINE"]
    rows += [f"P{i},p{i}@example.com,{code},id-{i}" for i, code in enumerate(codes)]
    report = ws.transfer.import_profiles("\n".join(rows) + "\n")
    assert report.errors.empty and report.created == len(codes)
    types = [
        next(t for t in _identities(ws, f"p{i}@example.com") if t != "email")
        for i in range(len(codes))
    ]
    assert types == [
        "whatsapp",
        "facebook",
        "instagram",
        "telegram",
        "line",
        "tiktok",
        "widget",
        "custom",
        "line",
    ]


def test_mapping_mistakes_are_named(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="does not have: Surname"):
        ws.transfer.preview_import(CRM, mapping={**MAPPING, "Surname": "company"})
    with pytest.raises(ValidationError, match="two file columns to name"):
        ws.transfer.preview_import(CRM, mapping={**MAPPING, "Notes": "name"})
    with pytest.raises(ValidationError, match="consent_whatsapp_at need their status column"):
        mapping = {**MAPPING, "WA opt-in": "ignore"}
        ws.transfer.preview_import(CRM, mapping=mapping)
    with pytest.raises(NotFound, match="no saved mapping named 'crm'"):
        ws.transfer.preview_import(CRM, mapping="crm")


def test_a_saved_mapping_is_reused_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, file = tmp_path / "kith.duckdb", tmp_path / "crm.csv"
    file.write_text(CRM)
    pairs = [arg for header, column in MAPPING.items() for arg in ("--map", f"{header}={column}")]

    def kith(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--db", str(db)])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = kith("import-profiles", str(file), "--dry-run", *pairs, "--save-mapping", "crm")
    assert code == 0, err
    code, out, _ = kith("import-mapping", "list", "--json")
    assert {r["header"]: r["column"] for r in json.loads(out)} == MAPPING
    code, out, err = kith("import-profiles", str(file), "--mapping", "crm", "--json")
    assert code == 0, err
    done = json.loads(out)
    assert (done["created"], done["consent_changes"], done["error_rows"]) == (3, 2, 2)
    code, _, err = kith("import-profiles", str(file), "--mapping", "crm", "--map", "a=b")
    assert code == 1 and "not both" in err
    assert kith("import-mapping", "delete", "crm")[0] == 0
    code, _, err = kith("import-profiles", str(file), "--mapping", "crm")
    assert code == 1 and "no saved mapping named 'crm'" in err
