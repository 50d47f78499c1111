"""The Segments screen through AppTest: saving refuses a taken name unless replacing (which
keeps the old definition to view and restore), the editor keeps several lines and comments,
completion and "did you mean" buttons edit the text, sizes show as a share of everyone with
the days' sizes, and a full refresh shows its progress and a confirmation."""

from __future__ import annotations

import pytest

from engine import Workspace
from tests.dashboard.conftest import (
    Screen,
    editor_data,
    expression,
    no_errors,
    write_expression,
)

pytestmark = pytest.mark.xdist_group("dashboard")

DOCUMENTED = """-- buyers this month
did purchase in last 30 days
-- who can be reached on WhatsApp
and consent whatsapp is granted"""


def _save(at, text: str, name: str, *, replace: bool = False):  # type: ignore[no-untyped-def]
    write_expression(at, text)
    at.text_input(key="seg_name").input(name)
    at.checkbox(key="seg_replace").set_value(replace)
    return at.button(key="seg_save").click().run()


def test_a_taken_name_is_refused_unless_replaced(seeded: Workspace, screen: Screen) -> None:
    before = seeded.segments.get("vip")
    at = _save(screen("segments"), "did purchase", "vip")
    assert not at.exception
    assert any("already a segment named" in e.value for e in at.error)
    kept = seeded.segments.get("vip")
    assert (kept["expression"], kept["size"]) == (before["expression"], before["size"])
    at = _save(at, "did purchase", "vip", replace=True)
    no_errors(at)
    assert seeded.segments.get("vip")["expression"] == "did purchase"
    assert seeded.segments.versions("vip")["expression"].tolist() == [before["expression"]]


def test_earlier_versions_are_shown_and_restored(seeded: Workspace, screen: Screen) -> None:
    original = seeded.segments.get("vip")["expression"]
    seeded.segments.save("vip", expression="did purchase", replace=True)
    at = screen("segments")
    at.selectbox(key="seg_open").select("vip").run()
    versions = next(d.value for d in at.dataframe if "version" in d.value.columns)
    assert versions["expression"].tolist() == [original]
    at.button(key="seg_restore").click().run()
    no_errors(at)
    assert seeded.segments.get("vip")["expression"] == original
    assert any("Restored version 1" in t.value for t in at.toast)


def test_several_lines_and_comments_are_kept(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, DOCUMENTED)
    no_errors(at)
    shown = next(m for m in at.metric if m.label == "Matching people right now")
    assert shown.value == f"{seeded.segments.count(DOCUMENTED):,}"
    _save(at, DOCUMENTED, "reachable_buyers")
    assert seeded.segments.get("reachable_buyers")["expression"] == DOCUMENTED


def test_the_editor_is_handed_the_completions_at_the_cursor(
    seeded: Workspace, screen: Screen
) -> None:
    """The editor draws these as buttons (clicked in a browser: test_walk.py); each carries the
    whole new text and where the cursor goes."""
    at = screen("segments")
    write_expression(at, "did purch")
    offered = editor_data(at)["completions"]
    assert offered[0] == {"label": "purchase", "text": "did purchase ", "cursor": 13}
    write_expression(at, offered[0]["text"])  # what the click sends back
    no_errors(at)
    write_expression(at, 'did purchase and has label "v')
    assert [c["label"] for c in editor_data(at)["completions"]] == ["vip"]


def test_completion_finishes_the_word_at_the_cursor_not_at_the_end(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("segments")
    at.session_state["seg_text_cursor"] = len("did purch")  # the editor sends its cursor
    write_expression(at, 'did purch\nand country = "ID"')
    offered = editor_data(at)["completions"][0]
    assert offered["text"] == 'did purchase \nand country = "ID"'
    assert offered["cursor"] == len("did purchase ")


def test_did_you_mean_is_a_button_that_fixes_the_text(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    write_expression(at, 'did purchse\nand has label "vipp"')
    assert any("purchse" in e.value for e in at.error)
    at.button(key="seg_text_fix").click().run()
    assert expression(at) == 'did purchase\nand has label "vipp"'
    error = next(e.value for e in at.error)
    assert "Line 2, column 15" in error  # at the label, not at 'has'
    at.button(key="seg_text_fix").click().run()
    no_errors(at)
    assert expression(at) == 'did purchase\nand has label "vip"'


def test_size_as_a_share_and_the_days_sizes(seeded: Workspace, screen: Screen) -> None:
    at = screen("segments")
    listed = at.dataframe[0].value.set_index("name")
    everyone = seeded.segments.population()
    vip = listed.loc["vip"]
    assert vip["share"] == pytest.approx(vip["size"] / everyone)
    assert len(vip["sizes"]) == 8 and vip["sizes"][-1] == vip["size"]
    write_expression(at, "did purchase")
    share = seeded.segments.count("did purchase") / everyone
    assert any(c.value == f"{share * 100:.1f}% of {everyone:,} people" for c in at.caption)


def test_refreshing_everything_shows_progress_and_what_moved(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("segments")
    at.button(key="seg_refresh_all").click().run()
    no_errors(at)
    count = len(seeded.segments.list())
    assert any(t.value.startswith(f"Refreshed {count} segments") for t in at.toast)
