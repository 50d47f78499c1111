"""The agent's screens through AppTest (issue 16, items 6, 7, 9 and 11): a field history that mixes
text and numbers reaches the browser as text; a session's event count matches the events it
lists; every action ends with the screen showing the new state and a toast saying what happened
(merge, unmerge, erase, save, label, bulk action, import); a click on a People row opens it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import NotFound
from tests.dashboard.conftest import MAIN, ROOT, Screen, no_errors, shown

pytestmark = pytest.mark.xdist_group("dashboard")

ARROW_FIX = "Serialization of dataframe to Arrow table was unsuccessful"


def _open(page: str, state: dict[str, Any] | None = None, **query: str) -> AppTest:
    """A screen run with session state set beforehand (e.g. the open tab)."""
    at = AppTest.from_file(ROOT / "pages" / f"{page}.py", default_timeout=60)
    at.query_params.update(query)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return at.run()


def _toasts(at: AppTest) -> list[str]:
    return [shown(t.value) for t in at.toast]


def _two(ws: Workspace) -> tuple[int, int]:
    a, b = (int(i) for i in ws.profiles.list(limit=2).rows["id"])
    return a, b


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def arrow_log() -> Iterator[list[str]]:
    """What Streamlit logs when a table needed fixing before Arrow could carry it."""
    logger = logging.getLogger("streamlit.dataframe_util")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.messages
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_field_history_mixing_text_and_numbers_is_shown_as_text(
    seeded: Workspace, arrow_log: list[str]
) -> None:
    pid = _two(seeded)[0]
    seeded.profiles.update(pid, {"city": "Lisbon"}, actor="test")
    seeded.profiles.update(pid, {"nps": 9}, actor="test")
    at = _open("profile", id=str(pid))
    no_errors(at)
    history = next(df.value for df in at.dataframe if "after" in df.value.columns)
    assert list(history["after"]) == ["Lisbon", "9"]
    assert not [m for m in arrow_log if ARROW_FIX in m]


def test_a_sessions_event_count_matches_the_events_it_lists(seeded: Workspace) -> None:
    pid = int(seeded.db.scalar("SELECT profile_id FROM sessions ORDER BY started_at LIMIT 1"))
    at = _open("profile", {"profile_tab": "Sessions"}, id=str(pid))
    no_errors(at)
    frames = [df.value for df in at.dataframe]
    at_sessions = next(i for i, f in enumerate(frames) if "event_count" in f.columns)
    sessions, listed = frames[at_sessions], frames[at_sessions + 1]
    assert sessions["event_count"].iloc[0] == len(listed) > 1


def test_after_a_merge_unmerge_is_offered_at_once(seeded: Workspace) -> None:
    a, b = _two(seeded)
    at = _open("profile", {"profile_tab": "Merge"}, id=str(a))
    found = seeded.profiles.get(b)
    at.text_input(key="merge_search").input(found.email or found.name or "").run()
    target = at.selectbox(key="merge_target")
    target.select(next(o for o in target.options if o.startswith(f"#{b} "))).run()
    at.button(key="merge_preview").click().run()
    at.checkbox(key="merge_override").check().run()  # both have a user id: past the limit
    at.button(key="merge_confirm").click().run()
    no_errors(at)
    assert any("Merged" in t for t in _toasts(at))
    assert "Undo merge" in [s.label for s in at.selectbox]
    assert "merge_confirm" not in _keys(at)
    assert at.session_state["profile_tab"] == "Merge"


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_after_an_unmerge_the_labels_it_took_back_are_gone(seeded: Workspace) -> None:
    a, b = _two(seeded)
    seeded.labels.add(b, "from-the-other", actor="test")
    seeded.merges.merge(a, b, actor="test", override=True)  # both have a user id
    at = _open("profile", {"profile_tab": "Merge"}, id=str(a))
    assert "from-the-other" in shown(at.markdown[0].value)
    at.button(key="unmerge").click().run()
    no_errors(at)
    assert "from-the-other" not in shown(at.markdown[0].value)
    assert any("undone" in t for t in _toasts(at))
    assert "unmerge" not in _keys(at)  # nothing left to undo


def test_after_an_erase_the_person_leaves_the_screen(seeded: Workspace) -> None:
    pid = _two(seeded)[0]
    name = seeded.profiles.get(pid).name
    at = _open("profile", {"profile_tab": "Privacy"}, id=str(pid))
    at.text_input(key="erase_confirm").input(f"ERASE {pid}").run()
    next(b for b in at.button if b.label == "Erase profile").click().run()
    no_errors(at)
    with pytest.raises(NotFound):
        seeded.profiles.get(pid)
    assert at.title[0].value == "Profile"  # the finder, not the erased person
    assert all(name not in shown(m.value) for m in at.markdown)
    assert any(f"#{pid} was erased" in t for t in _toasts(at))


def test_saved_changes_are_confirmed_after_the_redraw(seeded: Workspace) -> None:
    pid = _two(seeded)[0]
    at = _open("profile", id=str(pid))
    fields = next(df.value for df in at.dataframe if "field" in df.value.columns)
    row = int(fields.index[fields["field"] == "city"][0])
    at.session_state[f"fields_{pid}"] = {
        "edited_rows": {row: {"value": "Porto"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "Save changes").click().run()
    no_errors(at)
    assert seeded.profiles.get(pid).city == "Porto"
    assert any("Saved city" in t for t in _toasts(at))
    assert any("Saved city" in shown(s.value) for s in at.success)


def test_a_first_label_keeps_the_labels_tab_open_and_says_so(seeded: Workspace) -> None:
    pid = int(seeded.profiles.list(ProfileFilter(), limit=200).rows["id"].iloc[-1])
    for label in seeded.labels.of(pid):
        seeded.labels.remove(pid, label, actor="test")
    at = _open("profile", {"profile_tab": "Labels"}, id=str(pid))
    next(t for t in at.text_input if t.label == "Label").input("first-label")
    next(b for b in at.button if b.label == "Apply").click().run()
    no_errors(at)
    assert seeded.labels.of(pid) == ["first-label"]
    assert at.session_state["profile_tab"] == "Labels"
    assert "first-label" in shown(at.markdown[0].value)
    assert any("Added label “first-label”" in t for t in _toasts(at))


def test_a_bulk_action_ends_without_its_confirm_button(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    at.selectbox(key="lifecycle").select("churned").run()
    at.text_input(key="bulk_value").input("winback").run()
    at.button(key="bulk_preview").click().run()
    at.button(key="bulk_confirm").click().run()
    no_errors(at)
    assert "bulk_confirm" not in _keys(at)
    assert any("winback" in t for t in _toasts(at))


def test_an_import_ends_without_its_confirm_button(seeded: Workspace, tmp_path: Path) -> None:
    at = _open("transfer")
    csv = b"email,name\nnew.person@example.com,New Person\n"
    at.file_uploader(key="upload").set_value(("people.csv", csv, "text/csv")).run()
    next(b for b in at.button if b.label.startswith("Import 1 row")).click().run()
    no_errors(at)
    assert seeded.profiles.find("email", "new.person@example.com") is not None
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert any("1 created" in t for t in _toasts(at))


def test_clicking_a_people_row_opens_that_profile(seeded: Workspace) -> None:
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.switch_page(str(ROOT / "pages" / "people.py")).run()
    third = at.dataframe[0].value.iloc[2]
    at.session_state["people_table"] = {"selection": {"rows": [], "cells": [(2, "email")]}}
    at.run()
    no_errors(at)
    assert at.query_params["id"] == str(int(third["id"]))
    assert at.title[0].value == third["name"]


def test_one_ticked_row_is_for_groups_and_offers_its_profile(seeded: Workspace) -> None:
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.switch_page(str(ROOT / "pages" / "people.py")).run()
    third = at.dataframe[0].value.iloc[2]
    at.session_state["people_table"] = {"selection": {"rows": [2], "cells": []}}
    at.run()
    no_errors(at)
    assert "id" not in at.query_params  # a tick selects; it does not navigate
    next(b for b in at.button if b.label == "Open profile").click().run()
    assert at.query_params["id"] == str(int(third["id"]))
