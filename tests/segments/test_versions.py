"""Saving under a taken name, the versions a replaced definition leaves, restoring one, and the
list's share of everyone and day-by-day sizes: the segments service on a real workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from engine.changes import Change, ChangeKind
from kith_errors import Conflict, NotFound
from tests import segment_fixtures as fx


@pytest.fixture
def seeded(ws: Workspace) -> Workspace:
    fx.load(ws, saved=False)
    return ws


def test_a_taken_name_is_refused_and_nothing_changes(seeded: Workspace) -> None:
    seeded.segments.save("acme", expression='email ends with "@acme.com"')
    with pytest.raises(Conflict, match='already a segment named "acme"'):
        seeded.segments.save("acme", expression="did purchase")
    kept = seeded.segments.get("acme")
    assert kept["expression"] == 'email ends with "@acme.com"' and kept["size"] == 4
    assert seeded.segments.versions("acme").empty


def test_replacing_keeps_the_old_definition_to_view_and_restore(seeded: Workspace) -> None:
    seeded.segments.save("acme", expression='email ends with "@acme.com"', description="first")
    seeded.segments.save("acme", expression='country = "US"', replace=True)
    assert seeded.segments.get("acme")["size"] == seeded.segments.count('country = "US"')
    versions = seeded.segments.versions("acme")
    assert versions["version"].tolist() == [1]
    assert versions.loc[0, "expression"] == 'email ends with "@acme.com"'
    assert versions.loc[0, "description"] == "first"
    restored = seeded.segments.restore("acme", 1)
    assert restored["expression"] == 'email ends with "@acme.com"' and restored["size"] == 4
    after = seeded.segments.versions("acme")  # the replaced definition became version 2
    assert after["version"].tolist() == [2, 1]
    assert after.loc[0, "expression"] == 'country = "US"'
    with pytest.raises(NotFound, match="no version 7; its versions are 2, 1"):
        seeded.segments.restore("acme", 7)


def test_deleting_a_segment_deletes_its_versions(seeded: Workspace) -> None:
    seeded.segments.save("acme", expression="did purchase")
    seeded.segments.save("acme", expression='country = "US"', replace=True)
    seeded.segments.delete("acme")
    seeded.segments.save("acme", expression="did purchase")
    assert seeded.segments.versions("acme").empty


def test_the_list_shows_the_share_and_each_days_size(seeded: Workspace) -> None:
    """Sizes at the end of each of the last 7 days, replayed from the entries and exits."""
    now = seeded.clock()
    seeded.segments.save("acme", expression='email ends with "@acme.com"')  # 4 enter now
    later = now + dt.timedelta(days=3)
    seeded.db.execute("DELETE FROM profiles WHERE id = 3")
    seeded.commit(Change(ChangeKind.REFRESH, as_of=later, segment="acme"))  # 1 exits
    seeded.clock = lambda: later + dt.timedelta(hours=1)
    row = seeded.segments.list().set_index("name").loc["acme"]
    assert row["size"] == 3 and row["trend"] == 3
    assert row["share"] == pytest.approx(3 / seeded.segments.population())
    assert list(row["sizes"]) == [0, 0, 0, 0, 4, 4, 4, 3]
