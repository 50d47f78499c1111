"""The Workspace: the one facade the CLI, the HTTP API and the pages use.

A Workspace owns the DuckDB file of this process (`store.Database`). Each capability lives in
its own module as a service object built from the parts it uses (the database, other services,
the commit path as a callable); the facade only builds and wires them, on first use, so opening
a workspace stays cheap.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from engine.clock import utcnow
from store import Database

if TYPE_CHECKING:
    from engine.access.acting import ActingWorkspace
    from engine.access.logins import Logins
    from engine.access.policy import Access, Actor
    from engine.access.users import Users
    from engine.activation.service import Activation
    from engine.admin.keys import ApiKeys
    from engine.admin.settings import Settings
    from engine.analytics.events import Events
    from engine.analytics.funnels import Funnels
    from engine.analytics.goals import Goals
    from engine.analytics.overview import Overview
    from engine.analytics.retention import Retention
    from engine.analytics.trends import Trends
    from engine.catalog.service import Catalog
    from engine.changes import Change
    from engine.ingest.intake import Intake
    from engine.ingest.service import Ingestor
    from engine.profiles.channels import Channels
    from engine.profiles.consent import Consent
    from engine.profiles.groups import Groups
    from engine.profiles.labels import Labels
    from engine.profiles.merge import Merges
    from engine.profiles.notes import Notes
    from engine.profiles.privacy import Privacy
    from engine.profiles.service import Profiles
    from engine.profiles.transfer import Transfer
    from engine.rules.service import Rules
    from engine.segments.membership import SegmentChanges
    from engine.segments.service import Segments


class Workspace:
    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.db = Database(self.path, read_only=read_only)
        self.clock: Callable[[], dt.datetime] = utcnow  # "now" of the commit path
        self._local = threading.local()  # per thread: changes held by `holding_commits`
        self._opened = uuid.uuid4().hex  # tells this process's versions from another's
        self._commits = 0
        self._commits_lock = threading.Lock()
        self.changed_at: dt.datetime | None = None  # the moment of the last commit run here

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Workspace:
        return cls(path, read_only=read_only)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def commit(self, change: Change) -> SegmentChanges:
        """Run everything that must follow a committed change: the saved segments that could
        read it are re-evaluated for the profiles it touched (entries and exits recorded), then
        the rules it triggers run (docs/design.md, "What happens after a commit"). Returns who
        entered and who left which segment (nothing while commits are held)."""
        held: list[Change] | None = getattr(self._local, "held", None)
        if held is not None:
            from engine.segments.membership import SegmentChanges

            held.append(change)
            return SegmentChanges()
        moment = change.as_of
        if moment is None:  # one moment for the change and all that follows it
            moment = self.clock()
            change = replace(change, as_of=moment)
        self._changed()  # the change's own writes are in
        try:
            moved = self.segments.membership.apply(change, moment)
            self.rules.after_commit(change, moved)
        finally:
            self._changed()  # and what membership and the rules wrote after them
        return moved

    @property
    def data_version(self) -> str:
        """Changes whenever a commit runs: a read of the data cached under it is never reused
        after the data may have changed (the dashboard's caches key on it). Unique to this open
        workspace, so a file reopened never meets the versions of its last opening."""
        return f"{self._opened}:{self._commits}"

    def _changed(self) -> None:
        with self._commits_lock:
            self._commits += 1
            self.changed_at = utcnow()

    @contextmanager
    def holding_commits(self) -> Iterator[list[Change]]:
        """Changes committed on this thread inside the block are collected instead of run: the
        caller (rules applying actions inside their own transaction) commits them afterwards."""
        outer = getattr(self._local, "held", None)
        held: list[Change] = []
        self._local.held = held
        try:
            yield held
        finally:
            self._local.held = outer

    def acting_as(self, actor: Actor) -> ActingWorkspace:
        """This workspace as `actor` may use it: every action checked against the permission
        matrix and recorded under the actor's name (engine/access/)."""
        from engine.access.acting import ActingWorkspace

        return ActingWorkspace(self, actor)

    # ---- services, built on first use --------------------------------------------------------

    @cached_property
    def settings(self) -> Settings:
        from engine.admin.settings import Settings

        return Settings(self.db)

    @cached_property
    def catalog(self) -> Catalog:
        from engine.catalog.service import Catalog

        return Catalog(self.db)

    @cached_property
    def ingest(self) -> Ingestor:
        from engine.ingest.service import Ingestor

        return Ingestor(
            self.db,
            self.settings,
            self.catalog,
            lambda pairs: self.merges.merge_many(pairs, actor="identity_resolution"),
            self.commit,
        )

    @cached_property
    def intake(self) -> Intake:
        from engine.ingest.intake import Intake

        return Intake(self.db, self.settings, self.catalog, self.ingest, self.commit)

    @cached_property
    def events(self) -> Events:
        from engine.analytics.events import Events

        return Events(self.db)

    @cached_property
    def profiles(self) -> Profiles:
        from engine.profiles.service import Profiles

        return Profiles(
            self.db,
            self.catalog,
            self.segments,
            self.commit,
            channels_of=lambda ids, as_of: self.channels.of_many(ids, as_of=as_of),
            merged_counts=lambda ids: self.merges.merged_counts(ids),
        )

    @cached_property
    def channels(self) -> Channels:
        from engine.profiles.channels import Channels

        return Channels(self.db, self.profiles)

    @cached_property
    def notes(self) -> Notes:
        from engine.profiles.notes import Notes

        return Notes(self.db, self.profiles)

    @cached_property
    def groups(self) -> Groups:
        from engine.profiles.groups import Groups

        return Groups(self.db, self.profiles, self.segments)

    @cached_property
    def merges(self) -> Merges:
        from engine.profiles.merge import Merges

        return Merges(self.db, self.settings, self.profiles, self.commit)

    @cached_property
    def privacy(self) -> Privacy:
        from engine.profiles.privacy import Privacy

        return Privacy(self.db, self.profiles, self.commit)

    @cached_property
    def labels(self) -> Labels:
        from engine.profiles.labels import Labels

        return Labels(self.db, self.catalog, self.commit)

    @cached_property
    def consent(self) -> Consent:
        from engine.profiles.consent import Consent

        return Consent(self.db, self.commit)

    @cached_property
    def transfer(self) -> Transfer:
        from engine.profiles.transfer import Transfer

        return Transfer(
            self.db, self.catalog, self.profiles, self.consent, self.commit, self.holding_commits
        )

    @cached_property
    def segments(self) -> Segments:
        from engine.segments.service import Segments

        return Segments(self.db, self.catalog, self.commit, lambda: self.clock())

    @cached_property
    def funnels(self) -> Funnels:
        from engine.analytics.funnels import Funnels

        return Funnels(self.db, self.catalog, self.segments)

    @cached_property
    def goals(self) -> Goals:
        from engine.analytics.goals import Goals

        return Goals(self.db, self.catalog, self.funnels, self.segments)

    @cached_property
    def trends(self) -> Trends:
        from engine.analytics.trends import Trends

        return Trends(self.db, self.catalog, self.segments)

    @cached_property
    def retention(self) -> Retention:
        from engine.analytics.retention import Retention

        return Retention(self.db, self.catalog, self.segments)

    @cached_property
    def rules(self) -> Rules:
        from engine.rules.service import Rules

        return Rules(
            self.db,
            self.settings,
            self.catalog,
            self.segments,
            self.consent,
            commit=self.commit,
            hold_commits=self.holding_commits,
            clock=lambda: self.clock(),
        )

    @cached_property
    def activation(self) -> Activation:
        from engine.activation.service import Activation

        return Activation(self.db, self.settings, self.segments, self.commit)

    @cached_property
    def keys(self) -> ApiKeys:
        from engine.admin.keys import ApiKeys

        return ApiKeys(self.db, self.users)

    @cached_property
    def overview(self) -> Overview:
        from engine.analytics.overview import Overview

        return Overview(self.db)

    @cached_property
    def users(self) -> Users:
        from engine.access.users import Users

        return Users(self.db)

    @cached_property
    def logins(self) -> Logins:
        from engine.access.logins import Logins

        return Logins(self.db, self.users)

    @cached_property
    def access(self) -> Access:
        from engine.access.policy import Access

        return Access(self.db)
