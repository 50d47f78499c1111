"""The data steward's screens through AppTest on a seeded demo workspace: extending a built-in
event type, enforcing a schema and seeing the flagged events counted, finding what the data
holds unregistered and registering it with one button, and the import's column-mapping step
(mapped by hand, saved, and re-used)."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def _purchase(user: str, amount: object) -> dict[str, object]:
    return {"type": "track", "event": "purchase", "userId": user, "properties": {"amount": amount}}


def test_a_built_in_type_is_extended_on_the_events_screen(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("events")
    no_errors(at)
    at.selectbox(key="ext_type").set_value("purchase")
    at.text_input(key="ext_props").input("platform:text")
    at.button(key="ext_submit").click().run()
    no_errors(at)
    assert seeded.catalog.dsl_schema().event_types["purchase"]["platform"] == "string"
    assert seeded.segments.count('did purchase where platform = "mobile"') == 0


def test_warn_flags_and_counts_what_breaks_the_schema(seeded: Workspace, screen: Screen) -> None:
    at = screen("events")
    assert at.radio(key="enf_policy").value == "warn"  # what an unchosen type is under
    at.selectbox(key="enf_type").set_value("purchase")
    at.radio(key="enf_policy").set_value("warn")
    at.button(key="enf_submit").click().run()
    no_errors(at)
    assert seeded.catalog.enforced()["purchase"].policy == "warn"
    report = seeded.ingest.messages([_purchase("steward-1", "lots"), _purchase("steward-2", 3)])
    assert report.accepted == 2
    at = screen("events")
    no_errors(at)
    assert any("1 stored events of registered types were flagged" in c.value for c in at.caption)
    flagged = at.dataframe[-1].value  # the Flagged tab's table
    assert flagged["problem"].tolist() == ['amount must be a number, got "lots"']


def test_discovered_types_are_registered_with_one_button(seeded: Workspace, screen: Screen) -> None:
    event = {"type": "track", "event": "trial_extended", "userId": "steward-3"}
    seeded.ingest.messages([{**event, "properties": {"days": 14, "plan": "pro"}}])
    at = screen("events")
    at.button(key="disc_scan").click().run()
    no_errors(at)
    found = next(d.value for d in at.dataframe if "inferred" in d.value.columns)
    assert set(found["event_type"]) == {"trial_extended"}
    assert dict(zip(found["property"].dropna(), found["inferred"].dropna(), strict=True)) == {
        "days": "number",
        "plan": "string",
    }
    at.button(key="disc_register").click().run()
    no_errors(at)
    assert any("Registered or extended 1 event type" in s.value for s in at.success)
    assert seeded.segments.count("did trial_extended where days > 7") == 1


CRM = b"Full Name;E-mail;Opt-in\nAna Mapped;ana.mapped@example.com;granted\nBob;bob@x;maybe\n"


def test_the_import_maps_the_files_columns(seeded: Workspace, screen: Screen) -> None:
    at = screen("transfer")
    at.file_uploader(key="upload").set_value(("crm.csv", CRM, "text/csv"))
    at.radio(key="sep").set_value("Semicolon ;")
    at.run()
    assert not at.exception
    assert "needs an identity column" in at.warning[0].value  # nothing mapped yet: said so
    at.selectbox(key="map_col_Full Name").set_value("name")
    at.selectbox(key="map_col_E-mail").set_value("email")
    at.selectbox(key="map_col_Opt-in").set_value("consent_email")
    at.run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric} == {"Rows ready": "1", "Rows with errors": "1"}
    at.text_input(key="map_save_as").input("crm").run()
    at.button(key="map_save").click().run()
    no_errors(at)
    assert seeded.transfer.mappings()["crm"]["Opt-in"] == "consent_email"
    next(b for b in at.button if b.label.startswith("Import 1")).click().run()
    no_errors(at)
    assert any("1 consent changes recorded" in s.value for s in at.success)
    ana = seeded.profiles.find("email", "ana.mapped@example.com")
    assert ana is not None and seeded.profiles.get(ana).name == "Ana Mapped"
    assert seeded.consent.of(ana)["status"].tolist() == ["granted"]
    at = screen("transfer")  # the saved mapping is offered on the next visit
    at.file_uploader(key="upload").set_value(("crm.csv", CRM, "text/csv"))
    at.radio(key="sep").set_value("Semicolon ;")
    at.run()
    at.selectbox(key="map_saved").set_value("crm")
    at.run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric} == {"Rows ready": "1", "Rows with errors": "1"}
