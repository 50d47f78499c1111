"""Notes on a profile: authored, timestamped, changed only by their author, audited, moved by
merges and back by unmerges, erased with the person (issue 15, item 8)."""

from __future__ import annotations

import pytest

from engine import Workspace
from engine.access.policy import Actor
from kith_errors import Forbidden, ValidationError


def test_a_note_is_written_by_the_acting_person_and_only_they_change_it(ws: Workspace) -> None:
    ana = ws.profiles.create({"email": "ana@example.com"}).id
    maria = ws.acting_as(Actor(name="maria", role="agent"))
    joao = ws.acting_as(Actor(name="joao", role="agent"))
    note = maria.notes.add(ana, "  Prefers WhatsApp after 6pm  ")
    assert (note.author, note.body, note.profile_id) == ("maria", "Prefers WhatsApp after 6pm", ana)
    assert note.created_at == note.updated_at
    with pytest.raises(Forbidden, match="written by maria; only its author may change it"):
        joao.notes.edit(note.id, "mine now")
    with pytest.raises(Forbidden, match="only its author may delete it"):
        joao.notes.delete(note.id)
    edited = maria.notes.edit(note.id, "Prefers WhatsApp after 7pm")
    assert edited.updated_at > edited.created_at
    by_key = ws.acting_as(Actor(name="joao (key notebook)", role="agent"))
    assert by_key.notes.add(ana, "Asked for a refund").author == "joao"
    assert joao.notes.of(ana)["author"].tolist() == ["joao", "maria"]  # newest first
    maria.notes.delete(note.id)
    audited = ws.db.rows(
        "SELECT actor, action, before, after FROM audit_log WHERE entity = 'note' ORDER BY id"
    )
    assert [(a, action) for a, action, _, _ in audited] == [
        ("maria", "create"),
        ("maria", "update"),
        ("joao (key notebook)", "create"),
        ("maria", "delete"),
    ]
    assert audited[1][2:] == ('"Prefers WhatsApp after 6pm"', '"Prefers WhatsApp after 7pm"')


def test_a_viewer_reads_notes_but_writes_none(ws: Workspace) -> None:
    ana = ws.profiles.create({"email": "ana@example.com"}).id
    ws.notes.add(ana, "VIP", actor="admin")
    viewer = ws.acting_as(Actor(name="vera", role="viewer"))
    assert len(viewer.notes.of(ana)) == 1
    with pytest.raises(Forbidden, match=r"people\.edit"):
        viewer.notes.add(ana, "hello")


def test_an_empty_or_huge_note_is_refused(ws: Workspace) -> None:
    ana = ws.profiles.create({"email": "ana@example.com"}).id
    with pytest.raises(ValidationError, match="needs some text"):
        ws.notes.add(ana, "   ")
    with pytest.raises(ValidationError, match="at most 10,000 characters"):
        ws.notes.add(ana, "x" * 10_001)
    assert ws.notes.of(ana).empty


def test_notes_follow_merges_and_leave_with_an_erase(ws: Workspace) -> None:
    a = ws.profiles.create({"email": "a@example.com"}).id
    b = ws.profiles.create({"email": "b@example.com"}).id
    ws.notes.add(b, "called on Monday")
    assert ws.merges.preview(a, b).moves["notes"] == 1
    merge_id = ws.merges.merge(a, b)
    assert ws.notes.of(a)["body"].tolist() == ["called on Monday"]
    ws.merges.unmerge(merge_id)
    assert ws.notes.of(a).empty and len(ws.notes.of(b)) == 1
    ws.privacy.erase(b, actor="t")
    assert ws.db.scalar("SELECT count(*) FROM notes") == 0
