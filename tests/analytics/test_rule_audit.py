"""Property writes of rules (set, unset, increment) land in the profile's audit trail with the
rule as actor, before and after, like edits by people; unchanged values leave no entry, and a
batch's entries are written by one INSERT whatever the number of profiles."""

from __future__ import annotations

import pytest

from engine import Workspace
from store.db import Database
from tests.analytics.messages import identify, track


def history(ws: Workspace, user: str, field: str) -> list[list]:
    pid = ws.profiles.find("user_id", user)
    assert pid is not None
    frame = ws.profiles.field_history(pid, field)
    return frame[["actor", "action", "before", "after"]].values.tolist()


def test_set_unset_and_increment_are_audited_per_field(ws: Workspace) -> None:
    ws.catalog.define_property("visits", "number")
    ws.catalog.define_property("tier", "string")
    ws.rules.add("bump", "when purchase then increment visits by 2")
    ws.rules.add("gold", 'when purchase then set tier = "gold", set properties.nick = "ace"')
    ws.rules.add("drop", "when signup then unset tier")
    ws.ingest.messages([identify("u1", tier="bronze")])
    ws.ingest.messages([track("u1", "purchase", {"amount": 1})])
    assert history(ws, "u1", "visits") == [["rule:bump", "update", None, 2]]
    assert history(ws, "u1", "nick") == [["rule:gold", "update", None, "ace"]]
    assert history(ws, "u1", "tier")[-1] == ["rule:gold", "update", "bronze", "gold"]

    second = "2026-03-01T11:00:00Z"
    ws.ingest.messages([track("u1", "purchase", {"amount": 2}, timestamp=second)])
    assert [h[2:] for h in history(ws, "u1", "visits")] == [[None, 2], [2, 4]]
    assert len(history(ws, "u1", "tier")) == 1  # gold again: no change, no entry
    ws.ingest.messages([track("u1", "signup")])
    assert history(ws, "u1", "tier")[-1] == ["rule:drop", "update", "gold", None]


def test_a_batch_writes_its_audit_entries_with_one_insert(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.catalog.define_property("visits", "number")
    ws.rules.add("bump", "when page_view then increment visits")
    ws.rules.add("mark", 'when page_view then set properties.seen = true, add label "seen"')
    statements: list[str] = []
    execute = Database.execute

    def recording(db: Database, query: object, params: object = None) -> object:
        statements.append(str(query))
        return execute(db, query, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Database, "execute", recording)
    ws.ingest.messages([track(f"u{i}", "page_view") for i in range(40)])
    inserts = [s for s in statements if s.startswith("INSERT INTO audit_log")]
    assert len(inserts) == 1
    entries = ws.db.df(
        "SELECT actor, field, count(*) AS n FROM audit_log WHERE actor LIKE 'rule:%' "
        "GROUP BY ALL ORDER BY field"
    )
    assert entries.values.tolist() == [
        ["rule:mark", "seen", 80],  # 40 label_add and 40 property updates
        ["rule:bump", "visits", 40],
    ]
