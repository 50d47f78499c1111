"""The commit path on a small real workspace: which saved segments a change re-evaluates, exit
records for profiles merged away, time passing, a full refresh, and entering/leaving rules
fired by every kind of change, with rule chains bounded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Workspace
from engine.changes import Change, ChangeKind, Touches
from engine.clock import utcnow

NOW = utcnow().replace(microsecond=0) + dt.timedelta(days=1)  # after any wall-clock write


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """Four people (u1 and u3 in Indonesia, u1 labelled vip) and a saved segment of each kind."""
    with Workspace.open(tmp_path / "kith.duckdb") as workspace:
        workspace.clock = lambda: NOW
        for k in range(1, 5):
            country = "ID" if k % 2 else "US"
            workspace.profiles.create({"user_id": f"u{k}"}, {"country": country})
        workspace.labels.add(pid(workspace, 1), "vip", actor="test")
        save = workspace.segments.save
        save("vip", expression='has label "vip"')
        save("from_id", expression='country = "ID"')
        save("buyers", expression="did purchase in last 1 days")
        save("picked", kind="static")
        save("vips_from_id", kind="compound", op="intersection", of=["vip", "from_id"])
        save("chosen", expression='in segment "picked" or has label "vip"')
        yield workspace


def pid(ws: Workspace, k: int) -> int:
    found = ws.profiles.find("user_id", f"u{k}")
    assert found is not None
    return found


def members(ws: Workspace, name: str) -> set[int]:
    """The stored members."""
    rows = ws.db.rows(
        "SELECT m.profile_id FROM segment_members m JOIN segments s ON s.id = m.segment_id "
        "WHERE s.name = $name",
        {"name": name},
    )
    return {int(r[0]) for r in rows}


def history(ws: Workspace, name: str) -> list[tuple[int, str]]:
    frame = ws.segments.member_changes(name)
    return [(int(p), str(c)) for p, c in zip(frame["profile_id"], frame["change"], strict=True)]


def fired(ws: Workspace, rule: str) -> list[int]:
    return sorted(int(p) for p in ws.rules.log(rule)["profile_id"])


def test_each_saved_segment_reads_what_its_definition_and_parts_read(ws: Workspace) -> None:
    reads = {s.name: s.reads for s in ws.segments.membership.catalogue()}
    assert reads["vip"] == Touches(labels=True)
    assert reads["from_id"] == Touches(props=frozenset({("country",)}))
    assert reads["buyers"] == Touches()  # events only: an ingestion re-evaluates it
    assert reads["picked"] == Touches(lists=True)
    assert reads["vips_from_id"] == Touches(props=frozenset({("country",)}), labels=True)
    assert reads["chosen"] == Touches(labels=True, lists=True)
    timed = {s.name for s in ws.segments.membership.catalogue() if s.timed}
    assert timed == {"buyers"}


def test_a_label_change_re_evaluates_only_the_segments_that_read_labels(ws: Workspace) -> None:
    u3 = pid(ws, 3)
    buyers = ws.segments.get("buyers")["id"]
    ws.db.execute(  # a stale row the label change must not look at: buyers reads no label
        "INSERT INTO segment_members VALUES ($s, $p, $t)", {"s": buyers, "p": u3, "t": NOW}
    )
    ws.labels.add(u3, "vip", actor="test")
    for name in ("vip", "vips_from_id", "chosen"):  # read labels, directly or through a part
        assert u3 in members(ws, name) and history(ws, name)[-1] == (u3, "entered"), name
    assert u3 in members(ws, "buyers")  # not re-evaluated: still stale
    ws.commit(Change.of(ChangeKind.EDIT, [u3]))  # anything may have changed: all re-evaluated
    assert u3 not in members(ws, "buyers")


def test_edits_consent_and_list_changes_move_membership(ws: Workspace) -> None:
    u2 = pid(ws, 2)
    ws.profiles.update(u2, {"country": "ID"}, actor="test")
    assert u2 in members(ws, "from_id")
    ws.segments.add_members("picked", [u2], "test")
    assert u2 in members(ws, "picked") and u2 in members(ws, "chosen")
    ws.segments.remove_members("picked", [u2], "test")
    assert u2 not in members(ws, "chosen")
    assert history(ws, "chosen") == [(pid(ws, 1), "entered"), (u2, "entered"), (u2, "exited")]


def test_a_merge_leaves_every_segment_with_an_exit_record(ws: Workspace) -> None:
    u1, u3 = pid(ws, 1), pid(ws, 3)
    ws.segments.add_members("picked", [u3], "test")
    before = set(ws.segments.memberships(u3))
    assert before == {"from_id", "picked", "chosen"}
    ws.rules.add("bye", 'when leaving segment "from_id" then notify "left"')
    ws.merges.merge(u1, u3, override=True)  # both hold a user id: past the limit of 1
    assert ws.segments.memberships(u3) == []
    for name in before:
        assert history(ws, name)[-1] == (u3, "exited"), name
    assert ws.segments.memberships(u1) == ["chosen", "from_id", "picked", "vip", "vips_from_id"]
    assert fired(ws, "bye") == []  # nobody is left to act on


def test_identity_resolution_merges_exit_the_profile_merged_away(ws: Workspace) -> None:
    ws.ingest.messages([{"type": "track", "anonymousId": "a9", "event": "purchase"}])
    visitor = ws.profiles.find("anonymous_id", "a9")
    assert visitor is not None and "buyers" in ws.segments.memberships(visitor)
    ws.ingest.messages([{"type": "identify", "userId": "u2", "anonymousId": "a9"}])
    assert ws.profiles.find("anonymous_id", "a9") == pid(ws, 2)
    moves = [(visitor, "entered"), (visitor, "exited"), (pid(ws, 2), "entered")]
    assert sorted(history(ws, "buyers")) == sorted(moves)  # one moment: no order to check


def test_time_passing_moves_time_dependent_segments_and_fires_rules(ws: Workspace) -> None:
    ws.rules.add("lapsed", 'when leaving segment "buyers" then add label "lapsed"')
    stamp = (NOW - dt.timedelta(hours=1)).isoformat() + "Z"
    ws.ingest.messages([{"type": "track", "userId": "u4", "event": "purchase", "timestamp": stamp}])
    u4 = pid(ws, 4)
    assert members(ws, "buyers") == {u4}
    later = NOW + dt.timedelta(days=1)
    moved = ws.commit(Change(ChangeKind.TIME, as_of=later))
    assert moved.exited == (("buyers", u4),) and moved.entered == ()
    assert fired(ws, "lapsed") == [u4] and ws.labels.of(u4) == ["lapsed"]
    assert ws.commit(Change(ChangeKind.TIME, as_of=later)).exited == ()  # once per transition
    assert fired(ws, "lapsed") == [u4]


def test_a_full_refresh_fires_entering_rules_for_who_entered(ws: Workspace) -> None:
    ws.rules.add("hello", 'when entering segment "from_id" then notify "hi"')
    u3 = pid(ws, 3)
    ws.db.execute("DELETE FROM segment_members WHERE profile_id = $p", {"p": u3})
    assert ws.segments.refresh("from_id").entered == (("from_id", u3),)
    assert fired(ws, "hello") == [u3]
    assert not ws.segments.refresh()  # nothing stale: nobody moves, nothing fires
    assert fired(ws, "hello") == [u3]


def test_rules_moving_each_others_segments_stop_at_the_chain_bound(ws: Workspace) -> None:
    ws.rules.add("drop", 'when entering segment "vip" then remove label "vip"')
    ws.rules.add("restore", 'when leaving segment "vip" then add label "vip"')
    u2 = pid(ws, 2)
    ws.labels.add(u2, "vip", actor="test")  # enter -> drop -> leave -> restore -> enter ...
    log = ws.rules.log()
    outcomes = log[log["profile_id"] == u2]["outcome"].tolist()
    assert outcomes.count("loop_bound") == 1 and len(outcomes) == 7  # depths 0..5, then 6
    assert members(ws, "vip") == set(ws.segments.ids("vip", as_of=NOW))
