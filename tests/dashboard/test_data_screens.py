"""Screens that move data in or automate it, through AppTest on a seeded workspace: import with a
bad row (per-row report before anything is stored), events, goals and rules."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")

CSV = b"name;email;phone_number\nAna Import;ana.import@example.com;+6281234567\nBob;not-an-email;\n"


def _csv_upload(at: object) -> None:
    at.file_uploader(key="upload").set_value(("people.csv", CSV, "text/csv"))
    at.radio(key="sep").set_value("Semicolon ;")
    at.run()


def test_import_reports_bad_rows_before_storing(seeded: Workspace, screen: Screen) -> None:
    before = seeded.profiles.list(limit=1).total
    at = screen("transfer")
    _csv_upload(at)
    no_errors(at)
    ready = {m.label: m.value for m in at.metric}
    assert ready == {"Rows ready": "1", "Rows with errors": "1"}
    report = at.dataframe[0].value
    assert report.iloc[0]["column"] == "email" and int(report.iloc[0]["row"]) == 3
    assert seeded.profiles.list(limit=1).total == before  # nothing stored by the preview


def test_import_stores_the_good_rows_on_confirm(seeded: Workspace, screen: Screen) -> None:
    at = screen("transfer")
    _csv_upload(at)
    next(b for b in at.button if b.label.startswith("Import 1")).click().run()
    no_errors(at)
    assert any("1 created" in s.value for s in at.success)
    assert seeded.profiles.find("email", "ana.import@example.com") is not None


def test_export_prepares_a_download(seeded: Workspace, screen: Screen) -> None:
    at = screen("transfer")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    no_errors(at)
    assert at.get("download_button")
