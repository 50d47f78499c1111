"""The People and Profile screens' additions for agents, through AppTest on a seeded workspace
(issue 15): the main channel starred and the merged indicator in the list, a group made from
every result of the filters, the engagement summary, the main channel set by hand, duplicate
suggestions for a merge, notes, and the merge cap in Settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.ui import fmt
from engine import Workspace
from engine.profiles.service import ProfileFilter
from tests.dashboard.conftest import TEST_ADMIN, Screen, no_errors, shown

pytestmark = pytest.mark.xdist_group("dashboard")


def test_the_list_stars_the_main_channel_and_marks_merged_people(
    seeded: Workspace, screen: Screen
) -> None:
    rows = seeded.profiles.list(limit=2).rows
    a, b = (int(i) for i in rows["id"])
    seeded.merges.merge(a, b, override=True, actor="test")
    main = seeded.channels.of(a).main
    at = screen("people")
    no_errors(at)
    table = at.dataframe[0].value.set_index("id")
    assert table.loc[a, "merged"] == "merged ×1"
    if main is not None:
        assert f"{main} ★" in table.loc[a, "channels"]
    starred = sum("★" in text for text in table["channels"])
    assert starred == sum(seeded.channels.of(int(i)).main is not None for i in table.index)


def test_a_group_from_every_result_of_the_filters(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    at.selectbox(key="lifecycle").select("customer").run()
    at.text_input(key="group_new").input("customers to call").run()
    at.button(key="group_add_all").click().run()
    no_errors(at)
    expected = seeded.profiles.list(ProfileFilter(lifecycle="customer"), limit=0).total
    assert seeded.groups.get("customers to call")["size"] == expected > 0
    assert any("customers to call" in shown(s.value) for s in at.success)


def test_the_profile_header_shows_engagement_and_sets_the_main_channel(
    seeded: Workspace, screen: Screen
) -> None:
    pid = int(seeded.profiles.list(ProfileFilter(event_type="purchase"), limit=1).rows["id"][0])
    summary = seeded.profiles.engagement(pid)
    at = screen("profile", id=str(pid))
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Purchases"] == fmt.number(summary.purchases)
    assert metrics["Lifetime value"] == f"{summary.lifetime_value:,.2f}"
    channels = seeded.channels.of(pid).names
    other = channels[-1]
    at.selectbox(key="main_channel").select(other).run()
    at.button(key="main_channel_set").click().run()
    no_errors(at)
    assert seeded.channels.of(pid).main == other
    assert any(f"{other} ★" in shown(c.value) for c in at.caption)


def test_notes_on_the_profile(seeded: Workspace, screen: Screen) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"][0])
    at = screen("profile", id=str(pid))
    at.text_area(key="note_body").input("Prefers *WhatsApp*")  # a form: sent with its button
    next(b for b in at.button if b.label == "Add note").click().run()
    no_errors(at)
    (note,) = seeded.notes.of(pid).itertuples()
    assert (note.author, note.body) == (TEST_ADMIN.name, "Prefers *WhatsApp*")
    assert "Prefers *WhatsApp*" in [t.value for t in at.text]  # literal text, no Markdown
    at.text_area(key=f"note_text_{note.id}").input("Prefers email").run()
    at.button(key=f"note_save_{note.id}").click().run()
    assert seeded.notes.get(note.id).body == "Prefers email"


def test_the_merge_tab_suggests_duplicates(seeded: Workspace, screen: Screen) -> None:
    rows = seeded.profiles.list(ProfileFilter(text="@"), limit=1).rows
    a = int(rows["id"].iloc[0])
    twin = seeded.profiles.create({"user_id": "twin-1"}, {"email": rows["email"].iloc[0]}).id
    at = screen("profile", id=str(a))
    options = at.selectbox(key="merge_target").options
    assert any(o.startswith(f"#{twin} ") and o.endswith("— same email") for o in options)


def test_the_merge_cap_in_settings(seeded: Workspace, screen: Screen) -> None:
    at = screen("settings")
    at.number_input(key="merge_cap").set_value(4)
    at.button(key="merge_cap_save").click().run()
    no_errors(at)
    assert seeded.settings.merge_cap == 4


def _ticking_two_rows() -> None:
    """The People list's group actions with rows 0 and 2 of the first page ticked (AppTest
    cannot tick a data grid's rows; the page hands the ticked positions over the same way)."""
    from app.ui import people_list
    from app.ui.data import workspace
    from engine.profiles.service import ProfileFilter as Filter

    page = workspace().profiles.list(Filter(), limit=5)
    people_list.group_actions(page.rows, [0, 2], Filter(), page.total)


def test_ticked_rows_go_into_a_new_group_then_out(seeded: Workspace) -> None:
    at = AppTest.from_function(_ticking_two_rows, default_timeout=60).run()
    at.text_input(key="group_new").input("picked").run()
    at.button(key="group_add_ticked").click().run()
    no_errors(at)
    rows = seeded.profiles.list(limit=5).rows
    picked = sorted(int(rows["id"].iloc[i]) for i in (0, 2))
    assert sorted(seeded.groups.members("picked").rows["id"]) == picked
    at.run()  # the group list is read before the button acts: the next run offers "picked"
    at.selectbox(key="group_pick").select("picked").run()
    at.button(key="group_remove").click().run()
    no_errors(at)
    assert seeded.groups.get("picked")["size"] == 0
