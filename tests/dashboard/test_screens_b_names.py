"""People by name, the id small beside it, wherever a person appears (issue 16, item 10): the
event stream, consent violations, rule dry runs (told in words, not as action objects), explain
and funnel drill-downs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors, shown, write_expression

pytestmark = pytest.mark.xdist_group("dashboard")


def _names(ws: Workspace, ids: Iterable[Any]) -> list[str]:
    """What the screens should call these people."""
    wanted = [int(i) for i in ids]
    found = ws.profiles.names(wanted)
    return [found.get(i, "(no name)") for i in wanted]


def _table_with(at: AppTest, column: str) -> Any:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_the_event_stream_names_each_person(seeded: Workspace, screen: Screen) -> None:
    at = screen("events")
    no_errors(at)
    events = _table_with(at, "profile_id")
    assert list(events["person"]) == _names(seeded, events["profile_id"])
    assert events.columns.get_loc("person") + 1 == events.columns.get_loc("profile_id")
    assert any(name != "(no name)" for name in events["person"])


def test_consent_violations_name_each_person(seeded: Workspace, screen: Screen) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    seeded.consent.set(pid, "email", "denied", source="test", actor="test")
    seeded.ingest.messages(
        [
            {
                "type": "track",
                "event": "message_sent",
                "userId": seeded.profiles.identities(pid)["value"].iloc[0],
                "context": {"channel": "email"},
            }
        ]
    )
    at = screen("consent")
    assert not at.exception  # the violations themselves are an error callout
    violations = _table_with(at, "consent")
    assert list(violations["person"]) == _names(seeded, violations["profile_id"])


def test_a_rule_dry_run_is_told_in_words_with_names(seeded: Workspace, screen: Screen) -> None:
    at = screen("rules")
    at.text_input(key="rule_source").input('when purchase then add label "buyer"').run()
    at.number_input(key="dry_days").set_value(60)
    at.button(key="dry_run").click().run()
    no_errors(at)
    said = " ".join(shown(i.value) for i in at.info)
    assert "It would have fired" in said and 'each time: add label "buyer".' in said
    assert "LabelAction" not in said
    firings = _table_with(at, "person")
    assert "actions" not in firings.columns
    assert list(firings["person"]) == _names(seeded, firings["profile_id"])


def test_explain_names_the_person_in_a_sentence(seeded: Workspace, screen: Screen) -> None:
    person = seeded.profiles.list(limit=1).rows.iloc[0]
    at = screen("segments")
    write_expression(at, "did page_view")
    at.number_input(key="explain_id").set_value(int(person["id"]))
    next(b for b in at.button if b.label == "Explain").click().run()
    no_errors(at)
    said = at.code[-1].value
    first = said.splitlines()[0]
    assert first.startswith(f"{_names(seeded, [person['id']])[0]} (#{int(person['id'])}) is")
    assert "[yes]" not in said and "[no ]" not in said


def test_a_funnel_drill_down_offers_people_by_name(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    next(b for b in at.button if b.label == "Show people").click().run()
    no_errors(at)
    picker = at.selectbox(key="fn_open")
    first = int(picker.value)
    assert picker.options[0] == f"{_names(seeded, [first])[0]} · #{first}"
