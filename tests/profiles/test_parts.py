"""The profile services are built from their parts, not from a Workspace: a database, the
services they use and the commit path as a plain callable. Wired here by hand the way the
facade wires them, every write reaches the commit callable it was given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.admin.settings import Settings
from engine.catalog.service import Catalog
from engine.changes import Change, ChangeKind
from engine.profiles.channels import Channels
from engine.profiles.consent import Consent
from engine.profiles.merge import Merges
from engine.profiles.privacy import Privacy
from engine.profiles.service import Profiles
from engine.profiles.transfer import Transfer
from engine.segments.membership import SegmentChanges
from engine.segments.service import Segments
from store import Database

NOW = dt.datetime(2026, 3, 1, 12, 0)


class Parts:
    """The profile services over one database, their commits collected in `committed`."""

    def __init__(self, db: Database) -> None:
        self.committed: list[Change] = []
        self.held: list[Change] = []
        catalog = Catalog(db)
        segments = Segments(db, catalog, self.commit, lambda: NOW)
        self.profiles = Profiles(
            db,
            catalog,
            segments,
            self.commit,
            channels_of=lambda ids, as_of: self.channels.of_many(ids, as_of=as_of),
            merged_counts=lambda ids: self.merges.merged_counts(ids),
        )
        self.channels = Channels(db, self.profiles)
        self.merges = Merges(db, Settings(db), self.profiles, self.commit)
        self.privacy = Privacy(db, self.profiles, self.commit)
        consent = Consent(db, self.commit)
        self.transfer = Transfer(db, catalog, self.profiles, consent, self.commit, self.holding)

    def commit(self, change: Change) -> SegmentChanges:
        self.committed.append(change)
        return SegmentChanges()

    @contextmanager
    def holding(self) -> Iterator[list[Change]]:
        yield self.held


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    db = Database(tmp_path / "kith.duckdb")
    yield Parts(db)
    db.close()


def kinds(parts: Parts) -> list[tuple[ChangeKind, tuple[int, ...], tuple[int, ...]]]:
    return [(c.kind, c.profile_ids, c.removed_ids) for c in parts.committed]


def test_created_merged_listed_and_erased_through_the_commit_callable(parts: Parts) -> None:
    ana = parts.profiles.create({"email": "ana@example.com", "whatsapp": "628111"}).id
    budi = parts.profiles.create({"email": "budi@example.com"}).id
    parts.merges.merge(ana, budi)
    page = parts.profiles.list()
    assert page.rows[["id", "channels", "merged"]].to_dict(orient="records") == [
        {"id": ana, "channels": ["email", "whatsapp"], "merged": 1}
    ]
    erased: list[str] = []
    parts.privacy.after_erase.append(lambda: erased.append("journal"))
    parts.privacy.erase(ana, actor="admin")
    assert erased == ["journal"]
    assert kinds(parts) == [
        (ChangeKind.EDIT, (ana,), ()),
        (ChangeKind.EDIT, (budi,), ()),
        (ChangeKind.MERGE, (ana,), (budi,)),
        (ChangeKind.ERASE, (), (ana, budi)),
    ]
    assert parts.profiles.list().total == 0


def test_an_import_commits_the_profiles_it_wrote(parts: Parts) -> None:
    known = parts.profiles.create({"email": "ana@example.com"}).id
    csv = "name,email\nAna,ana@example.com\nCici,cici@example.com\n"
    done = parts.transfer.import_profiles(csv)
    assert (done.created, done.updated) == (1, 1)
    cici = parts.profiles.find("email", "cici@example.com")
    assert cici is not None
    assert kinds(parts)[-1] == (ChangeKind.IMPORT, tuple(sorted((known, cici))), ())
