"""The segments service on a real workspace: saved dynamic / static / compound segments,
materialized membership with history, incremental vs full refresh, members, explain."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.clock import utcnow
from engine.segments.membership import SegmentChanges
from kith_errors import Conflict, DslNameError, DslSyntaxError, NotFound, ValidationError
from tests import segment_fixtures as fx


@pytest.fixture
def seeded(ws: Workspace) -> Workspace:
    fx.load(ws, saved=False)
    return ws


def _materialized(ws: Workspace, name: str) -> set[int]:
    changes = ws.segments.member_changes(name)
    inside: set[int] = set()
    for pid, change in zip(changes["profile_id"], changes["change"], strict=True):
        (inside.add if change == "entered" else inside.discard)(int(pid))
    return inside


def test_saving_a_dynamic_segment_materializes_its_members(seeded: Workspace) -> None:
    saved = seeded.segments.save("acme", expression='email ends with "@acme.com"')
    assert saved["kind"] == "dynamic" and saved["size"] == 4
    assert _materialized(seeded, "acme") == {1, 3, 8, 11}
    assert seeded.segments.memberships(1) == ["acme"]
    listed = seeded.segments.list()
    assert listed.loc[0, "name"] == "acme" and listed.loc[0, "size"] == 4


def test_a_bad_definition_is_refused_and_nothing_is_stored(seeded: Workspace) -> None:
    with pytest.raises(DslNameError, match="contry"):
        seeded.segments.save("bad", expression='contry = "ID"')
    with pytest.raises(DslSyntaxError):
        seeded.segments.save("bad", expression="did purchase at least times")
    with pytest.raises(ValidationError, match="segment name"):
        seeded.segments.save("", expression="did purchase")
    with pytest.raises(ValidationError, match="kind"):
        seeded.segments.save("x", kind="smart", expression="did purchase")
    assert seeded.segments.list().empty


def test_redefining_keeps_history_and_a_kind_change_is_refused(seeded: Workspace) -> None:
    seeded.segments.save("s", expression='country = "ID"')
    seeded.segments.save("s", expression='country = "US"', replace=True)
    assert _materialized(seeded, "s") == {3}
    with pytest.raises(Conflict, match="dynamic"):
        seeded.segments.save("s", kind="static", replace=True)


def test_static_lists(seeded: Workspace) -> None:
    seeded.segments.save("picked", kind="static")
    assert seeded.segments.add_members("picked", [1, 2, 2, 999], actor="ana") == 2
    assert seeded.segments.count('in segment "picked"') == 2
    assert seeded.segments.remove_members("picked", [2], actor="ana") == 1
    assert seeded.segments.add_results("picked", 'has label "vip"', actor="ana") == 1
    assert set(seeded.segments.ids("picked")) == {1, 3}
    assert _materialized(seeded, "picked") == {1, 3}
    seeded.segments.save("dyn", expression="did purchase")
    with pytest.raises(ValidationError, match="only static lists"):
        seeded.segments.add_members("dyn", [1], actor="ana")
    with pytest.raises(ValidationError, match="takes no expression"):
        seeded.segments.save("other", kind="static", expression="did purchase")


def test_compound_segments(seeded: Workspace) -> None:
    seeded.segments.save("id", expression='country = "ID"')
    seeded.segments.save("buyers", expression="did purchase", description="bought once")
    seeded.segments.save("vips", kind="static")
    seeded.segments.add_members("vips", [1, 3], actor="ana")
    save = seeded.segments.save
    # saving refreshes at the wall clock: profile 6's future purchase is visible by then
    assert save("either", kind="compound", op="union", of=["id", "vips"])["size"] == 7
    assert save("both", kind="compound", op="intersection", of=["id", "buyers"])["size"] == 5
    assert save("rest", kind="compound", op="difference", of=["buyers", "vips"])["size"] == 5
    assert set(seeded.segments.ids("rest", as_of=fx.AS_OF)) == {2, 8, 9, 12}
    assert seeded.segments.get("rest")["compound_of"] == ["buyers", "vips"]


def test_compound_errors_and_protected_deletes(seeded: Workspace) -> None:
    seeded.segments.save("a", expression="did purchase")
    seeded.segments.save("b", kind="compound", op="union", of=["a"])
    with pytest.raises(NotFound, match='"c"'):
        seeded.segments.save("d", kind="compound", op="union", of=["c"])
    with pytest.raises(ValidationError, match="operation"):
        seeded.segments.save("d", kind="compound", op="xor", of=["a"])
    with pytest.raises(DslNameError, match="refers to itself"):
        seeded.segments.save("a", expression='in segment "b"')
    with pytest.raises(ValidationError, match="itself"):
        seeded.segments.save("b", kind="compound", op="union", of=["b"])
    with pytest.raises(Conflict, match="used by b"):
        seeded.segments.delete("a")
    seeded.segments.delete("b")
    seeded.segments.delete("a")
    with pytest.raises(NotFound, match="no saved segment"):
        seeded.segments.get("a")


def test_segment_of_segment_is_evaluated_at_the_same_as_of(seeded: Workspace) -> None:
    seeded.segments.save("recent", expression="did any event in last 7 days")
    early = set(seeded.segments.ids('in segment "recent"', as_of=fx.AS_OF))
    assert early == {1, 5, 6, 8, 11, 12}
    assert seeded.segments.ids('in segment "recent"') == []  # now: the fixture is long past


def _add_events(ws: Workspace, rows: list[tuple[int, int, str, dt.datetime]]) -> None:
    events = [
        {
            "id": eid,
            "profile_id": pid,
            "type": kind,
            "ts": ts,
            "channel": "web",
            "properties": {"amount": 10},
            "source": "test",
            "message_id": f"t{eid}",
        }
        for eid, pid, kind, ts in rows
    ]
    fx.write_rows(ws, [], events, [], [], [])


def test_incremental_refresh_agrees_with_a_full_refresh(seeded: Workspace) -> None:
    seeded.segments.save("active", expression="did any event in last 1 days")
    seeded.segments.save("quiet", expression="not (did any event in last 1 days)")
    assert _materialized(seeded, "active") == set()
    now = utcnow()
    _add_events(seeded, [(9001, 4, "page_view", now - dt.timedelta(hours=1))])
    changes = seeded.segments.membership.refresh_profiles([4])
    assert changes.entered == (("active", 4),) and changes.exited == (("quiet", 4),)
    for name in ("active", "quiet"):
        assert _materialized(seeded, name) == set(seeded.segments.ids(name))
    full = seeded.segments.refresh()
    assert full.entered == () and full.exited == ()


def test_incremental_refresh_of_a_batch_moving_profiles_across_many_segments(
    seeded: Workspace,
) -> None:
    save = seeded.segments.save
    save("active", expression="did any event in last 1 days")
    save("quiet", expression="not (did any event in last 1 days)")
    save("buyers", expression="did purchase in last 1 days")
    save("vips", kind="static")
    seeded.segments.add_members("vips", [1, 3], actor="ana")
    save("hot", kind="compound", op="union", of=["buyers", "vips"])
    save("cold", kind="compound", op="difference", of=["quiet", "vips"])
    save("hot_buyers", expression='in segment "hot" and did purchase in last 1 days')
    now = utcnow()
    _add_events(seeded, [(9001, 2, "purchase", now), (9002, 4, "page_view", now)])
    seeded.db.execute("DELETE FROM list_members WHERE profile_id = 3")  # behind the service
    changes = seeded.segments.membership.refresh_profiles([2, 4, 3, 5, 4])
    assert changes.entered == (
        ("active", 2),
        ("active", 4),
        ("buyers", 2),
        ("cold", 3),
        ("hot", 2),
        ("hot_buyers", 2),
    )
    assert changes.exited == (
        ("cold", 2),
        ("cold", 4),
        ("hot", 3),
        ("quiet", 2),
        ("quiet", 4),
        ("vips", 3),
    )
    for name in ("active", "quiet", "buyers", "vips", "hot", "cold", "hot_buyers"):
        assert _materialized(seeded, name) == set(seeded.segments.ids(name)), name
    full = seeded.segments.refresh()
    assert full.entered == () and full.exited == ()
    assert seeded.segments.membership.refresh_profiles([2, 3]) == SegmentChanges()


def test_incremental_refresh_only_looks_at_the_given_profiles(seeded: Workspace) -> None:
    seeded.segments.save("active", expression="did any event in last 1 days")
    now = utcnow()
    _add_events(seeded, [(9001, 4, "page_view", now), (9002, 5, "page_view", now)])
    assert seeded.segments.membership.refresh_profiles([4]).entered == (("active", 4),)
    assert _materialized(seeded, "active") == {4}
    assert seeded.segments.refresh().entered == (("active", 5),)


def test_refresh_without_saved_segments_is_a_no_op(seeded: Workspace) -> None:
    changes = seeded.segments.membership.refresh_profiles([1, 2, 3])
    assert changes.entered == () and changes.exited == ()


def test_history_and_member_changes(seeded: Workspace) -> None:
    seeded.segments.save("seen", expression="did page_view in last 7 days")
    seeded.segments.refresh("seen", as_of=fx.AS_OF)
    seeded.segments.refresh("seen", as_of=fx.AS_OF + dt.timedelta(days=1))
    sizes = seeded.segments.history("seen")
    # measured at each refresh's as_of: the save's refresh (wall clock) sorts last
    assert list(sizes["size"]) == [2, 2, 0]
    changes = seeded.segments.member_changes("seen")
    assert sorted(changes[changes["change"] == "entered"]["profile_id"]) == [1, 6]
    seeded.segments.refresh("seen", as_of=fx.AS_OF + dt.timedelta(days=7))
    assert set(
        seeded.segments.member_changes("seen").query("change == 'exited'")["profile_id"]
    ) == {1, 6}
    assert seeded.segments.memberships(6) == []


def test_members_page_with_identities(seeded: Workspace) -> None:
    page = seeded.segments.members("has channel whatsapp", as_of=fx.AS_OF, limit=2, offset=1)
    assert list(page["id"]) == [3, 7]
    assert list(page.columns) == ["id", "name", "email", "phone", "identities"]
    assert {"type": "whatsapp", "value": "+14155550003"} in list(page.loc[0, "identities"])
    with pytest.raises(ValidationError, match="limit must be between"):
        seeded.segments.members("did purchase", limit=-1)
    with pytest.raises(ValidationError, match="offset must be between 0 and"):
        seeded.segments.members("did purchase", offset=10**20)


def test_condition_for_other_queries(seeded: Workspace) -> None:
    seeded.segments.save("vip", kind="static")
    seeded.segments.add_members("vip", [3], actor="ana")
    condition, params = seeded.segments.condition("vip")
    assert "list_members" in condition.sql("duckdb") and params
    condition, params = seeded.segments.condition('country = "US"', as_of=fx.AS_OF)
    assert list(params.values()) == ["US"]


def test_explain_shows_each_clause_and_the_matching_events(seeded: Workspace) -> None:
    text = (
        'did purchase where amount > 100 at least 2 times in last 14 days and not has label "vip"'
    )
    explanation = seeded.segments.explain(text, 1, as_of=fx.AS_OF)
    assert explanation.value is False
    did, label = explanation.root.children
    assert did.value is True and list(did.events["id"]) == [102, 103]
    assert label.value is False and label.children[0].value is True
    said = str(explanation).splitlines()
    assert said[0] == "Ana (#1) is not in this segment as of 2026-03-01 00:00 UTC."
    assert said[2].endswith("— true") and "2 matching events: purchase at" in said[3]
    assert "(#102), purchase at" in said[3] and said[3].endswith("(#103)")
    assert explanation.to_dict()["result"]["value"] is False
    with pytest.raises(NotFound, match="profile"):
        seeded.segments.explain(text, 999, as_of=fx.AS_OF)


def test_explain_a_saved_segment(seeded: Workspace) -> None:
    seeded.segments.save("seq", expression="did signup then purchase within 7 days")
    explanation = seeded.segments.explain("seq", 8, as_of=fx.AS_OF)
    assert explanation.value is True and explanation.root.text == 'in segment "seq"'
    (why,) = explanation.root.children
    assert why.text == "did signup then purchase within 7 days" and why.value is True
    assert list(why.events["id"]) == [802, 803]


def test_ingestion_updates_membership_of_the_touched_profiles(seeded: Workspace) -> None:
    seeded.segments.save("big", expression="did purchase where amount > 500 in last 1 days")
    message = {
        "type": "track",
        "userId": "newcomer",
        "event": "purchase",
        "properties": {"amount": 900},
        "timestamp": utcnow().isoformat(),
    }
    report = seeded.ingest.messages([message])
    (pid,) = report.profile_ids
    assert seeded.segments.memberships(pid) == ["big"]
    assert list(seeded.segments.member_changes("big")["profile_id"]) == [pid]


def test_merges_keep_memberships_consistent(seeded: Workspace) -> None:
    seeded.segments.save("acme", expression='email ends with "@acme.com"')
    seeded.merges.merge(1, 3, override=True, actor="ana")
    seeded.segments.membership.refresh_profiles([1])
    assert seeded.segments.memberships(3) == [] and seeded.segments.memberships(1) == ["acme"]
    assert seeded.segments.get("acme")["size"] == len(seeded.segments.ids("acme"))


def test_a_full_refresh_lets_vanished_profiles_exit(seeded: Workspace) -> None:
    seeded.segments.save("acme", expression='email ends with "@acme.com"')
    seeded.db.execute("DELETE FROM profiles WHERE id = 3")  # removed behind the service's back
    assert seeded.segments.membership.refresh_profiles([1]).exited == ()
    changes = seeded.segments.refresh("acme")
    assert changes.exited == (("acme", 3),)
    assert _materialized(seeded, "acme") == {1, 8, 11}


def test_list_reports_the_size_change_over_seven_days(seeded: Workspace) -> None:
    seeded.segments.save("fresh", expression="did any event in last 1 days")
    seeded.segments.refresh("fresh", as_of=fx.AS_OF)  # months before the wall clock: {6}
    assert seeded.segments.list().loc[0, "trend"] == 0
    seeded.segments.refresh("fresh")  # now: nobody
    listed = seeded.segments.list()
    assert (listed.loc[0, "size"], listed.loc[0, "trend"]) == (0, -1)
