"""Merge preview, merge and exact unmerge on a real workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from kith_errors import Conflict, NotFound, ValidationError
from tests.profiles.helpers import T0, add_event, add_segment, add_session, dump, table_names

# Tables a merge and its undo legitimately write to: the merge record itself, the audit trail,
# id counters, and the segment history (the secondary exits at the merge, enters again at the
# undo).
_BOOKKEEPING = {"merges", "merge_moves", "audit_log", "counters", "segment_history"}


@pytest.fixture
def pair(ws: Workspace) -> tuple[int, int]:
    """Two profiles of the same person, each with events, a session, labels, consent and
    memberships, overlapping where a merge has to choose."""
    a = ws.profiles.create({"email": "ana@example.com"}, {"name": "Ana", "country": "ID"}).id
    b = ws.profiles.create(
        {"phone": "+6281234567", "anonymous_id": ["anon-1", "anon-2"]},
        {"name": "Ana Maria", "city": "Jakarta", "plan": "pro"},
    ).id
    for pid, offset in ((a, 0), (b, 1)):
        add_session(ws, f"s{pid}", pid, T0 + dt.timedelta(hours=offset))
        add_event(ws, pid, "page_view", T0 + dt.timedelta(hours=offset), session_id=f"s{pid}")
        add_event(ws, pid, "purchase", T0 + dt.timedelta(hours=offset, minutes=1))
    ws.labels.add([a, b], "vip", actor="admin")
    ws.labels.add(b, "newsletter", actor="admin")
    ws.consent.set(a, "email", "granted", at=T0)
    ws.consent.set(b, "email", "revoked", at=T0 + dt.timedelta(days=1))
    ws.consent.set(b, "whatsapp", "granted", at=T0)
    add_segment(ws, 1, "active")
    add_segment(ws, 2, "outreach", "static")
    ws.db.execute(
        "INSERT INTO segment_members VALUES (1, $a, $t), (1, $b, $t)", {"a": a, "b": b, "t": T0}
    )
    ws.db.execute("INSERT INTO list_members VALUES (2, $b, $t, 'admin')", {"b": b, "t": T0})
    return a, b


def test_preview_lists_conflicts_and_what_moves(ws: Workspace, pair: tuple[int, int]) -> None:
    a, b = pair
    preview = ws.merges.preview(a, b)
    conflicts = {c.field: c for c in preview.conflicts}
    assert set(conflicts) == {"name"}  # city and plan only exist on b; country only on a
    assert conflicts["name"].primary == "Ana"
    assert conflicts["name"].secondary == "Ana Maria"
    assert conflicts["name"].proposed == "secondary"  # b was updated more recently
    assert preview.moves == {
        "events": 2,
        "sessions": 1,
        "identities": 3,
        "labels": 2,
        "consents": 2,
        "memberships": 2,
        "notes": 0,
    }


def test_merge_moves_everything_onto_the_primary(ws: Workspace, pair: tuple[int, int]) -> None:
    a, b = pair
    merge_id = ws.merges.merge(a, b, choices={"name": "primary"})
    merged = ws.profiles.get(a)
    assert merged.name == "Ana"
    assert (merged.city, merged.country, merged.properties["plan"]) == ("Jakarta", "ID", "pro")
    assert {i.value for i in merged.identities} == {
        "ana@example.com",
        "+6281234567",
        "anon-1",
        "anon-2",
    }
    assert merged.labels == ["newsletter", "vip"]
    assert len(ws.profiles.timeline(a)) == 4
    consent = ws.consent.of(a).set_index("channel")["status"].to_dict()
    assert consent == {"email": "revoked", "whatsapp": "granted"}  # the newer email consent wins
    with pytest.raises(NotFound):
        ws.profiles.get(b)
    assert ws.merges.linked(a)["id"].tolist() == [merge_id]


def test_unmerge_restores_every_table_exactly(ws: Workspace, pair: tuple[int, int]) -> None:
    a, b = pair
    tables = [t for t in table_names(ws) if t not in _BOOKKEEPING | {"segment_members"}]
    before = dump(ws, tables)
    merge_id = ws.merges.merge(a, b)
    assert dump(ws, tables) != before
    # the secondary left both segments; its list membership moved to the primary
    assert _members(ws) == [(1, a), (2, a)]
    ws.merges.unmerge(merge_id)
    assert dump(ws, tables) == before
    # back in both after the undo (the fixture stored b's list membership as a list row only)
    assert _members(ws) == [(1, a), (1, b), (2, b)]
    assert ws.merges.linked(b)["undone_at"].notna().all()
    history = ws.segments.member_changes("active")
    assert history[["profile_id", "change"]].values.tolist() == [[b, "exited"], [b, "entered"]]


def _members(ws: Workspace) -> list[tuple[int, int]]:
    return ws.db.rows("SELECT segment_id, profile_id FROM segment_members ORDER BY ALL")


def test_unmerge_twice_is_refused(ws: Workspace, pair: tuple[int, int]) -> None:
    merge_id = ws.merges.merge(*pair)
    ws.merges.unmerge(merge_id)
    with pytest.raises(Conflict, match="already undone"):
        ws.merges.unmerge(merge_id)


def test_chained_merge_must_be_undone_last_first(ws: Workspace, pair: tuple[int, int]) -> None:
    a, b = pair
    c = ws.profiles.create({"user_id": "u-9"}).id
    first = ws.merges.merge(a, b)
    second = ws.merges.merge(c, a)
    with pytest.raises(Conflict, match=f"undo merge {second} first"):
        ws.merges.unmerge(first)
    ws.merges.unmerge(second)
    ws.merges.unmerge(first)
    assert {ws.profiles.get(p).id for p in (a, b, c)} == {a, b, c}


def test_bad_merges_are_refused(ws: Workspace, pair: tuple[int, int]) -> None:
    a, _ = pair
    with pytest.raises(ValidationError, match="into itself"):
        ws.merges.merge(a, a)
    with pytest.raises(NotFound):
        ws.merges.merge(a, 999)
    with pytest.raises(ValidationError, match="unknown field"):
        ws.merges.merge(a, pair[1], choices={"shoe_size": "primary"})
    with pytest.raises(NotFound):
        ws.merges.unmerge(12345)
