"""People and Profile screens through AppTest on a seeded workspace: filtering, opening a
profile, editing, labels, the merge preview and merge, and the typed erase confirmation."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.profiles.service import ProfileFilter
from kith_errors import NotFound
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def _count(at: object) -> int:
    heading = next(s.value for s in at.subheader if "match" in s.value)
    return int(heading.split()[0].replace(",", ""))


def test_people_lists_everyone(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    no_errors(at)
    assert _count(at) == seeded.profiles.list(limit=1).total
    assert len(at.dataframe[0].value) == 50


def test_people_filters_combine_with_and(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    everyone = _count(at)
    at.selectbox(key="lifecycle").select("customer").run()
    customers = _count(at)
    at.selectbox(key="channel").select("email").run()
    both = _count(at)
    no_errors(at)
    assert everyone > customers >= both
    expected = seeded.profiles.list(ProfileFilter(lifecycle="customer", channel="email"), limit=1)
    assert both == expected.total


def test_people_search_narrows_the_list(seeded: Workspace, screen: Screen) -> None:
    person = seeded.profiles.list(limit=1).rows.iloc[0]
    at = screen("people")
    at.text_input(key="q").input(str(person["email"] or person["name"])).run()
    no_errors(at)
    assert 1 <= _count(at) < 5
    assert int(person["id"]) in at.dataframe[0].value["id"].tolist()


def test_a_bad_segment_expression_filter_shows_the_caret(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    at.text_input(key="expression").input("did purchse").run()
    assert not at.exception
    assert at.error and "purchse" in at.code[0].value


def test_bulk_label_needs_preview_then_confirm(seeded: Workspace, screen: Screen) -> None:
    at = screen("people")
    at.selectbox(key="lifecycle").select("churned").run()
    churned = _count(at)
    at.text_input(key="bulk_value").input("winback").run()
    at.button(key="bulk_preview").click().run()
    assert seeded.labels.all().query("label == 'winback'").empty  # preview changes nothing
    assert any(f"{churned:,}" in i.value for i in at.info)
    at.button(key="bulk_confirm").click().run()
    no_errors(at)
    labelled = seeded.labels.all().set_index("label")["profiles"]
    assert labelled["winback"] == churned


def test_profile_without_id_offers_search_and_create(seeded: Workspace, screen: Screen) -> None:
    at = screen("profile")
    no_errors(at)
    assert at.title[0].value == "Profile"
    assert at.text_input[0].label == "Find a person"


def test_opening_a_profile_shows_its_tabs(seeded: Workspace, screen: Screen) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    profile = seeded.profiles.get(pid)
    at = screen("profile", id=str(pid))
    no_errors(at)
    assert at.title[0].value == (profile.name or profile.email or profile.phone)
    labels = [t.label for t in at.tabs]
    assert labels[:4] == ["Properties", "Timeline", "Sessions", "Segments"]


def test_an_unknown_profile_id_says_so(seeded: Workspace, screen: Screen) -> None:
    at = screen("profile", id="987654321")
    assert not at.exception
    assert any("987654321" in w.value for w in at.warning)


def test_merge_preview_then_merge(seeded: Workspace, screen: Screen) -> None:
    rows = seeded.profiles.list(ProfileFilter(text="@"), limit=2).rows
    a, b = (int(i) for i in rows["id"])
    at = screen("profile", id=str(a))
    at.text_input(key="merge_search").input(str(rows["email"].iloc[1])).run()
    target = at.selectbox(key="merge_target")
    at = target.select(next(o for o in target.options if o.startswith(f"#{b} "))).run()
    at.button(key="merge_preview").click().run()
    no_errors(at)
    headers = [str(c) for df in at.dataframe for c in df.value.columns]
    assert any(c.endswith(f" · #{b} (folds in)") for c in headers)  # the name, then the id
    at.button(key="merge_confirm").click().run()
    assert any("limit is" in e.value for e in at.error)  # demo people hold a user id each
    assert seeded.merges.linked(a).empty
    at.checkbox(key="merge_override").check()
    at.button(key="merge_confirm").click().run()
    no_errors(at)
    assert any("Merged" in s.value for s in at.success)
    assert not seeded.merges.linked(a).empty


def test_erase_needs_the_typed_confirmation(seeded: Workspace, screen: Screen) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    at = screen("profile", id=str(pid))
    erase = next(b for b in at.button if b.label == "Erase profile")
    assert erase.disabled
    at.text_input(key="erase_confirm").input(f"ERASE {pid}").run()
    next(b for b in at.button if b.label == "Erase profile").click().run()
    no_errors(at)
    with pytest.raises(NotFound):
        seeded.profiles.get(pid)


def test_timeline_filters_by_event_type(seeded: Workspace, screen: Screen) -> None:
    pid = int(seeded.profiles.list(limit=1).rows["id"].iloc[0])
    at = screen("profile", id=str(pid))
    at.multiselect(key="tl_types").select("session_started").run()
    no_errors(at)
    shown = next(df.value for df in at.dataframe if {"type", "ts"} <= set(df.value.columns))
    assert set(shown["type"]) == {"session_started"}
    expected = seeded.profiles.timeline(pid, types=["session_started"], limit=500)
    assert len(shown) == len(expected)


def test_finding_a_person_opens_their_profile(seeded: Workspace, screen: Screen) -> None:
    person = seeded.profiles.list(ProfileFilter(text="@"), limit=1).rows.iloc[0]
    at = screen("profile", via_main=True)
    at.text_input[0].input(str(person["email"])).run()
    at.button(key=f"pick_{int(person['id'])}").click().run()
    no_errors(at)
    assert at.title[0].value == person["name"]
    assert at.query_params["id"] == str(int(person["id"]))  # the URL names the profile


def test_unmerge_brings_the_other_profile_back(seeded: Workspace, screen: Screen) -> None:
    a, b = (int(i) for i in seeded.profiles.list(limit=2).rows["id"])
    seeded.merges.merge(a, b, override=True, actor="test")
    at = screen("profile", id=str(a))
    at.button(key="unmerge").click().run()
    no_errors(at)
    assert any("undone" in s.value for s in at.success)
    assert seeded.profiles.get(b).id == b
