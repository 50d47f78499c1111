"""Batch merges: one set of statements for many pairs, each merge still undoable on its own."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine import Workspace
from engine.changes import Change, ChangeKind
from kith_errors import NotFound, ValidationError
from store.db import Database
from tests.profiles.helpers import T0, add_event, add_segment, add_session, dump, table_names

_BOOKKEEPING = {"merges", "merge_moves", "audit_log", "counters"}


def _people(ws: Workspace) -> dict[str, int]:
    """Two groups of duplicates with overlapping fields, labels, consents and memberships:
    a <- b, c and d <- e."""
    ws.catalog.define_property("tier", "string")
    made = {
        "a": ({"email": "ana@example.com"}, {"name": "Ana", "country": "ID", "score": 1}),
        "b": ({"phone": "+6281234567"}, {"name": "Ana M", "city": "Bandung", "plan": "pro"}),
        "c": ({"anonymous_id": ["anon-1", "anon-2"]}, {"city": "Jakarta", "tier": "gold"}),
        "d": ({"user_id": "u-4"}, {"name": "", "plan": "free"}),
        "e": ({"email": "eko@example.com"}, {"name": "Eko", "plan": "", "score": 7}),
    }
    ids = {k: ws.profiles.create(idents, props).id for k, (idents, props) in made.items()}
    for offset, pid in enumerate(ids.values()):
        at = T0 + dt.timedelta(hours=offset)
        add_session(ws, f"s{pid}", pid, at)
        add_event(ws, pid, "page_view", at, session_id=f"s{pid}")
    ws.labels.add(list(ids.values()), "vip", actor="admin")
    ws.labels.add([ids["b"], ids["c"]], "newsletter", actor="admin")
    ws.consent.set(ids["a"], "email", "granted", at=T0)
    ws.consent.set(ids["b"], "email", "revoked", at=T0 + dt.timedelta(days=2))
    ws.consent.set(ids["c"], "email", "granted", at=T0 + dt.timedelta(days=1))
    ws.consent.set(ids["c"], "sms", "granted", at=T0)
    ws.consent.set(ids["e"], "sms", "denied", at=T0)
    add_segment(ws, 1, "active")
    add_segment(ws, 2, "outreach", "static")
    for pid in ids.values():  # everyone has an event: all are members of "active"
        ws.db.execute("INSERT INTO segment_members VALUES (1, $p, $t)", {"p": pid, "t": T0})
    ws.db.execute("INSERT INTO list_members VALUES (2, $p, $t, 'x')", {"p": ids["b"], "t": T0})
    ws.db.execute("INSERT INTO segment_members VALUES (2, $p, $t)", {"p": ids["b"], "t": T0})
    return ids


@pytest.fixture
def people(ws: Workspace) -> dict[str, int]:
    return _people(ws)


def _batch(p: dict[str, int]) -> list[tuple[int, int]]:
    return [(p["a"], p["b"]), (p["d"], p["e"]), (p["a"], p["c"])]


def _tables(ws: Workspace) -> list[str]:
    return [t for t in table_names(ws) if t not in _BOOKKEEPING]


def test_batch_folds_each_group_into_its_primary(ws: Workspace, people: dict[str, int]) -> None:
    ids = ws.merges.merge_many(_batch(people))
    assert len(ids) == 3
    a, d = ws.profiles.get(people["a"]), ws.profiles.get(people["d"])
    assert a.name == "Ana M"  # b was updated after a, so b's name wins the first step
    assert (a.city, a.country, a.properties["tier"]) == ("Bandung", "ID", "gold")
    assert {i.value for i in a.identities} == {
        "ana@example.com",
        "+6281234567",
        "anon-1",
        "anon-2",
    }
    assert a.labels == ["newsletter", "vip"]
    consent = ws.consent.of(people["a"]).set_index("channel")["status"].to_dict()
    assert consent == {"email": "revoked", "sms": "granted"}  # the newest per channel
    assert (d.name, d.properties["plan"], d.properties["score"]) == ("Eko", "free", 7)
    for gone in ("b", "c", "e"):
        with pytest.raises(NotFound):
            ws.profiles.get(people[gone])
    assert sorted(ws.merges.linked(people["a"])["secondary_id"]) == [people["b"], people["c"]]


def test_every_merge_of_a_batch_undoes_exactly(ws: Workspace, people: dict[str, int]) -> None:
    """Every table comes back; stored segment membership too, though whoever left with a
    merge entered anew with its undo (new entry time, both moves in the history)."""
    tables = [t for t in _tables(ws) if t not in ("segment_members", "segment_history")]
    before, members = dump(ws, tables), _members(ws)
    ids = ws.merges.merge_many(_batch(people))
    _commit(ws, people)
    assert dump(ws, tables) != before
    assert _members(ws) != members
    for merge_id in reversed(ids):
        ws.merges.unmerge(merge_id)
    assert dump(ws, tables) == before
    assert _members(ws) == members


def _commit(ws: Workspace, people: dict[str, int]) -> None:
    """What identity resolution's batch commits after folding `_batch`."""
    removed = [secondary for _, secondary in _batch(people)]
    ws.commit(Change.of(ChangeKind.MERGE, [people["a"], people["d"]], removed_ids=removed))


def _members(ws: Workspace) -> list[tuple[int, int]]:
    return ws.db.rows("SELECT segment_id, profile_id FROM segment_members ORDER BY ALL")


def test_batch_matches_merging_one_by_one(
    ws: Workspace, people: dict[str, int], tmp_path: Path
) -> None:
    """The same people in a copy of the workspace: one batch here, one merge at a time there."""
    ws.db.checkpoint()
    shutil.copy(ws.db.path, tmp_path / "twin.duckdb")
    one_by_one = Workspace(tmp_path / "twin.duckdb")
    ws.clock = one_by_one.clock = lambda: T0 + dt.timedelta(days=1)  # the commits' moment
    try:
        ws.merges.merge_many(_batch(people))
        _commit(ws, people)
        for primary, secondary in _batch(people):
            one_by_one.merges.merge(primary, secondary, override=True)
        assert _comparable(ws) == _comparable(one_by_one)
    finally:
        one_by_one.close()


def _comparable(ws: Workspace) -> dict[str, list[str]]:
    """Every table but the bookkeeping, with the merge time (profiles.updated_at) left out."""
    out = dump(ws, [t for t in _tables(ws) if t != "profiles"])
    out["profiles"] = [
        r[0]
        for r in ws.db.rows(
            "SELECT to_json(p) FROM (SELECT * EXCLUDE (updated_at) FROM profiles) p ORDER BY id"
        )
    ]
    merges = "SELECT primary_id, secondary_id, json_extract(snapshot, '$.rows') FROM merges"
    out["merges"] = sorted(str(r) for r in ws.db.rows(merges + " ORDER BY id"))
    return out


def test_chains_fold_into_the_first_profile_that_is_no_secondary(
    ws: Workspace, people: dict[str, int]
) -> None:
    a, b, c, d, e = (people[k] for k in "abcde")
    ids = ws.merges.merge_many([(a, b), (b, c), (d, e), (c, e)])
    assert len(ids) == 4  # b, c, d and e all fold into a
    merged = ws.merges.linked(a).sort_values("id")
    assert merged["secondary_id"].tolist() == [b, c, d, e]
    assert set(merged["primary_id"]) == {a}
    assert ws.db.scalar("SELECT count(*) FROM profiles") == 1


def test_bad_batches_are_refused_and_change_nothing(ws: Workspace, people: dict[str, int]) -> None:
    a, b, c = people["a"], people["b"], people["c"]
    before = dump(ws, table_names(ws))
    with pytest.raises(ValidationError, match="into itself"):
        ws.merges.merge_many([(a, b), (c, c)])
    with pytest.raises(ValidationError, match="form a cycle"):
        ws.merges.merge_many([(a, b), (b, a)])
    with pytest.raises(NotFound, match="profile 999 does not exist"):
        ws.merges.merge_many([(a, b), (a, 999)])
    assert ws.merges.merge_many([]) == []
    assert dump(ws, table_names(ws)) == before


def test_statement_count_does_not_grow_with_the_batch(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = [ws.profiles.create({"email": f"p{i}@example.com"}).id for i in range(24)]
    for pid in pids:
        add_event(ws, pid, "page_view", T0)
    counted: list[str] = []
    execute = Database.execute

    def counting(db: Database, query: object, params: object = None) -> object:
        counted.append(str(query))
        return execute(db, query, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Database, "execute", counting)
    ws.merges.merge_many([(pids[0], pids[1])])
    small = len(counted)
    counted.clear()
    ws.merges.merge_many([(pids[2 + i], pids[12 + i]) for i in range(10)])
    assert len(counted) == small
    assert small < 40
