"""The Workspace: the one facade the CLI, the HTTP API and the pages use.

A Workspace owns the DuckDB file of this process (`store.Database`). Each capability lives in
its own module as a service object taking the workspace; they are built on first use, so opening
a workspace stays cheap.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from engine.batch import IngestBatch
from store import Database

if TYPE_CHECKING:
    from engine.admin.keys import ApiKeys
    from engine.admin.settings import Settings
    from engine.analytics.events import Events
    from engine.analytics.funnels import Funnels
    from engine.analytics.goals import Goals
    from engine.analytics.overview import Overview
    from engine.analytics.retention import Retention
    from engine.analytics.trends import Trends
    from engine.catalog.service import Catalog
    from engine.ingest.intake import Intake
    from engine.ingest.service import Ingestor
    from engine.profiles.consent import Consent
    from engine.profiles.labels import Labels
    from engine.profiles.merge import Merges
    from engine.profiles.privacy import Privacy
    from engine.profiles.service import Profiles
    from engine.profiles.transfer import Transfer
    from engine.rules.service import Rules
    from engine.segments.service import Segments


class Workspace:
    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.db = Database(self.path, read_only=read_only)

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

    def after_ingest(self, batch: IngestBatch) -> None:
        """Called by the ingestor once a batch is committed: segment membership first (rules may
        trigger on entering a segment), then the rules."""
        changes = self.segments.refresh_profiles(batch.profile_ids)
        self.rules.on_batch(batch, changes)

    # ---- services, built on first use --------------------------------------------------------

    @cached_property
    def settings(self) -> Settings:
        from engine.admin.settings import Settings

        return Settings(self)

    @cached_property
    def catalog(self) -> Catalog:
        from engine.catalog.service import Catalog

        return Catalog(self)

    @cached_property
    def ingest(self) -> Ingestor:
        from engine.ingest.service import Ingestor

        return Ingestor(self)

    @cached_property
    def intake(self) -> Intake:
        from engine.ingest.intake import Intake

        return Intake(self)

    @cached_property
    def events(self) -> Events:
        from engine.analytics.events import Events

        return Events(self)

    @cached_property
    def profiles(self) -> Profiles:
        from engine.profiles.service import Profiles

        return Profiles(self)

    @cached_property
    def merges(self) -> Merges:
        from engine.profiles.merge import Merges

        return Merges(self)

    @cached_property
    def privacy(self) -> Privacy:
        from engine.profiles.privacy import Privacy

        return Privacy(self)

    @cached_property
    def labels(self) -> Labels:
        from engine.profiles.labels import Labels

        return Labels(self)

    @cached_property
    def consent(self) -> Consent:
        from engine.profiles.consent import Consent

        return Consent(self)

    @cached_property
    def transfer(self) -> Transfer:
        from engine.profiles.transfer import Transfer

        return Transfer(self)

    @cached_property
    def segments(self) -> Segments:
        from engine.segments.service import Segments

        return Segments(self)

    @cached_property
    def funnels(self) -> Funnels:
        from engine.analytics.funnels import Funnels

        return Funnels(self)

    @cached_property
    def goals(self) -> Goals:
        from engine.analytics.goals import Goals

        return Goals(self)

    @cached_property
    def trends(self) -> Trends:
        from engine.analytics.trends import Trends

        return Trends(self)

    @cached_property
    def retention(self) -> Retention:
        from engine.analytics.retention import Retention

        return Retention(self)

    @cached_property
    def rules(self) -> Rules:
        from engine.rules.service import Rules

        return Rules(self)

    @cached_property
    def keys(self) -> ApiKeys:
        from engine.admin.keys import ApiKeys

        return ApiKeys(self)

    @cached_property
    def overview(self) -> Overview:
        from engine.analytics.overview import Overview

        return Overview(self)
