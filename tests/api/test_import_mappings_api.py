"""The import's saved column mappings over REST on the real server: saved, listed, shown,
replaced and deleted; a bad mapping is a 422, an unknown name a 404 naming the saved ones, and
an import re-uses a mapping saved over REST by its name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.api.conftest import KITH, Server

pytestmark = pytest.mark.xdist_group("api_server")

CRM = {"Full Name": "name", "E-mail": "email", "Notes": "ignore"}


def test_mappings_are_saved_listed_shown_and_deleted(server: Server) -> None:
    with server.client("rw") as rest:
        saved = rest.put("/api/import-mappings/crm export", json={"mapping": CRM})
        assert saved.status_code == 200, saved.text
        assert saved.json() == {"name": "crm export", "mapping": CRM}
        assert (
            rest.put("/api/import-mappings/other", json={"mapping": {"Phone": "phone"}}).status_code
            == 200
        )
        listed = rest.get("/api/import-mappings").json()["mappings"]
        assert [m["name"] for m in listed if m["name"] in ("crm export", "other")] == [
            "crm export",
            "other",
        ]
        assert rest.get("/api/import-mappings/crm export").json()["mapping"] == CRM
        twice = rest.put("/api/import-mappings/bad", json={"mapping": {"A": "email", "B": "email"}})
        assert twice.status_code == 422 and "two file columns" in twice.text
        replaced = {"Full Name": "name", "Mail": "email"}
        assert (
            rest.put("/api/import-mappings/crm export", json={"mapping": replaced}).json()[
                "mapping"
            ]
            == replaced
        )
        assert rest.delete("/api/import-mappings/other").json() == {"deleted": "other"}
        missing = rest.get("/api/import-mappings/other")
        assert missing.status_code == 404 and "crm export" in missing.json()["error"]["message"]
        assert rest.delete("/api/import-mappings/other").status_code == 404


def test_an_import_uses_a_mapping_saved_over_rest(server: Server, tmp_path: Path) -> None:
    with server.client("rw") as rest:
        rest.put("/api/import-mappings/signups", json={"mapping": {"E-mail": "email"}})
    csv = tmp_path / "signups.csv"
    csv.write_text("E-mail,City\nrest-map@example.com,Lisbon\n")
    command = [KITH, "import-profiles", str(csv), "--mapping", "signups", "--db", str(server.db)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with server.client("rw") as rest:
        found = rest.get("/api/profiles/by-identity/email/rest-map@example.com")
        assert found.status_code == 200, found.text
        assert found.json()["city"] == "Lisbon"
