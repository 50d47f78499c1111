"""Ingestion, the tracking API's loader and the rules are built from what they use, not from a
Workspace: here a real database file, the real settings, catalog, segments, consent and labels,
and a commit path of the test's own that records each change and hands it to the rules (the
facade, engine/workspace.py, wires the same parts the same way)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.admin.settings import Settings
from engine.catalog.service import Catalog
from engine.changes import Change, ChangeKind
from engine.ingest.intake import Intake, Part
from engine.ingest.service import Ingestor
from engine.profiles.consent import Consent
from engine.profiles.labels import Labels
from engine.rules.service import Rules
from engine.segments.membership import SegmentChanges
from engine.segments.service import Segments
from store import Database
from tests.analytics.messages import track

NOW = dt.datetime(2026, 3, 1, 12, 0)


class CommitPath:
    """The changes committed, in order; those committed while held are collected instead."""

    def __init__(self) -> None:
        self.committed: list[Change] = []
        self.held: list[Change] | None = None
        self.rules: Rules | None = None

    def commit(self, change: Change) -> SegmentChanges:
        if self.held is not None:
            self.held.append(change)
            return SegmentChanges()
        self.committed.append(change)
        assert self.rules is not None
        self.rules.after_commit(change, SegmentChanges())
        return SegmentChanges()

    @contextmanager
    def holding(self) -> Iterator[list[Change]]:
        outer, self.held = self.held, []
        try:
            yield self.held
        finally:
            self.held = outer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "parts.duckdb")
    yield database
    database.close()


def _parts(db: Database) -> tuple[CommitPath, Ingestor, Labels]:
    path, settings, catalog = CommitPath(), Settings(db), Catalog(db)
    segments = Segments(db, catalog, path.commit, lambda: NOW)
    path.rules = Rules(
        db,
        settings,
        catalog,
        segments,
        Consent(db, path.commit),
        commit=path.commit,
        hold_commits=path.holding,
        clock=lambda: NOW,
    )
    ingestor = Ingestor(db, settings, catalog, lambda pairs: [], path.commit)
    return path, ingestor, Labels(db, catalog, path.commit)


def test_a_batch_is_stored_committed_and_fires_its_rules(db: Database) -> None:
    path, ingestor, labels = _parts(db)
    assert path.rules is not None
    path.rules.add("tag", 'when purchase then add label "buyer"')

    report = ingestor.messages([track("u1", "purchase"), track("u1", "view")])

    assert report.accepted == 2
    assert [c.kind for c in path.committed] == [ChangeKind.INGEST, ChangeKind.RULE_WRITE]
    assert path.committed[0].profile_ids == tuple(report.profile_ids)
    assert path.committed[1].profile_ids == tuple(report.profile_ids)
    assert labels.of(report.profile_ids[0]) == ["buyer"]


def test_the_loader_stores_admitted_messages_and_its_journal_position(db: Database) -> None:
    path, ingestor, _ = _parts(db)
    intake = Intake(db, Settings(db), Catalog(db), ingestor, path.commit)
    admitted = intake.admit([track("u1", "view"), {"type": "track"}], NOW)

    loaded = intake.load([Part(NOW, admitted.messages, admitted.canon)], last_seq=7)

    assert [r.index for r in admitted.refused] == [1]
    assert loaded.report.accepted == 1
    assert intake.loaded_seq() == 7
    assert [c.kind for c in path.committed] == [ChangeKind.INGEST]
