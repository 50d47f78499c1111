"""Screens that move data in or automate it, through AppTest on a seeded workspace: import with a
bad row (per-row report before anything is stored), events, goals and rules."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.clock import utcnow
from tests.dashboard.conftest import Screen, no_errors, shown

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


def test_events_stream_filters_by_type(seeded: Workspace, screen: Screen) -> None:
    at = screen("events")
    no_errors(at)
    at.multiselect(key="ev_types").select("purchase").run()
    no_errors(at)
    shown = at.dataframe[0].value
    assert set(shown["type"]) == {"purchase"}
    heading = next(s.value for s in at.subheader if "events" in s.value)
    month = utcnow() - dt.timedelta(days=30)
    expected = seeded.events.list(types=["purchase"], start=month, limit=1)[1]
    assert int(heading.split()[0].replace(",", "")) == expected


def test_register_an_event_type(seeded: Workspace, screen: Screen) -> None:
    at = screen("events")
    at.text_input(key="et_name").input("trial_extended")
    at.text_input(key="et_props").input("days:number, plan:string")
    at.button(key="et_register").click().run()
    no_errors(at)
    registered = seeded.catalog.event_types().set_index("name")
    assert registered.loc["trial_extended", "properties"] == {"days": "number", "plan": "string"}


def test_goals_list_report_and_define(seeded: Workspace, screen: Screen) -> None:
    at = screen("goals")
    no_errors(at)
    assert {"Completed", "Completion rate"} <= {m.label for m in at.metric}
    at.text_area(key="goal_source").input('goal "Buyers": target purchase')
    at.button(key="goal_define").click().run()
    no_errors(at)
    assert "Buyers" in seeded.goals.list()["name"].tolist()


def test_an_invalid_goal_shows_where_it_is_wrong(seeded: Workspace, screen: Screen) -> None:
    at = screen("goals")
    at.text_area(key="goal_source").input('goal "Bad": target purchse')
    at.button(key="goal_define").click().run()
    assert not at.exception
    assert at.error and at.code[0].value.endswith("^")


def test_rule_editor_validates_while_typing(seeded: Workspace, screen: Screen) -> None:
    at = screen("rules")
    no_errors(at)
    at.text_input(key="rule_source").input('when purchase then add label "buyer"').run()
    no_errors(at)
    assert any("Valid rule" in s.value for s in at.success)
    at.text_input(key="rule_source").input('when purchase then add lable "buyer"').run()
    assert not at.exception
    assert at.error and at.code[0].value.endswith("^")


def test_rule_dry_run_replays_without_applying(seeded: Workspace, screen: Screen) -> None:
    at = screen("rules")
    at.text_input(key="rule_source").input('when purchase then add label "buyer"').run()
    at.number_input(key="dry_days").set_value(60)
    at.button(key="dry_run").click().run()
    no_errors(at)
    end = utcnow()
    source = 'when purchase then add label "buyer"'
    would = len(seeded.rules.dry_run(source, end - dt.timedelta(days=60), end))
    assert would > 0
    assert any(f"fired {would:,} times" in shown(i.value) for i in at.info)
    assert "buyer" not in seeded.labels.all()["label"].tolist()
