"""Groups of customers: the People screen's name for Kith's static lists (saved segments of kind
`static`, engine/segments). A group is made from picked profiles or from everyone a People
filter matches; it can be renamed and described, gain and lose members, and be deleted, from the
dashboard, the CLI (`kith group ...`) and REST (`/api/groups`). Membership changes go through
the segments service, so every one is committed as a `list` change (entered/exited history,
entering/leaving rules); every change is in the audit trail under the group's name."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.admin import audit
from engine.clock import utcnow
from engine.segments.service import check_name
from kith_errors import Conflict, ValidationError
from store import groups as repo
from store import segments as segment_repo
from store.segments import SegmentRow

if TYPE_CHECKING:
    from engine.profiles.service import ProfileFilter, ProfilePage, Profiles
    from engine.segments.service import Segments
    from store.db import Database

MAX_DESCRIPTION = 500


class Groups:
    def __init__(self, db: Database, profiles: Profiles, segments: Segments) -> None:
        self.db, self.profiles, self.segments = db, profiles, segments

    def list(self) -> pd.DataFrame:
        """name, description, size, created_at, updated_at of every group, by name."""
        return repo.overview(self.db)

    def get(self, name: str) -> dict[str, Any]:
        return self.segments.get(self._row(name).name)

    def members(self, name: str, *, limit: int = 50, offset: int = 0) -> ProfilePage:
        """A page of the group's members, as the People list shows them."""
        from engine.profiles.service import ProfileFilter

        self._row(name)
        return self.profiles.list(ProfileFilter(segment=name), limit=limit, offset=offset)

    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        profile_ids: Iterable[int] = (),
        matching: ProfileFilter | None = None,
        actor: str = "admin",
    ) -> dict[str, Any]:
        """A new group holding the given profiles and everyone `matching` a People filter."""
        check_name(name)
        text = _description(description)
        if segment_repo.get(self.db, name) is not None:
            raise Conflict(f'there is already a segment or group named "{name}"')
        ids = self._picked(profile_ids, matching)  # a bad filter refuses before anything is made
        self.segments.save(name, kind="static", description=text)
        audit.record(self, actor, "group", name, "create", "description", after=text)
        self._add(name, ids, actor)
        return self.get(name)

    def add(
        self,
        name: str,
        profile_ids: Iterable[int] = (),
        *,
        matching: ProfileFilter | None = None,
        actor: str = "admin",
    ) -> int:
        """Add the given profiles and everyone `matching` a People filter; returns how many
        were not members yet."""
        self._row(name)
        return self._add(name, self._picked(profile_ids, matching), actor)

    def _picked(
        self, profile_ids: Iterable[int], matching: ProfileFilter | None
    ) -> builtins.list[int]:
        ids = [int(i) for i in profile_ids]
        return ids + (self.profiles.matching_ids(matching) if matching is not None else [])

    def _add(self, name: str, ids: builtins.list[int], actor: str) -> int:
        if not ids:
            return 0
        added = self.segments.add_members(name, ids, actor)
        audit.record(self, actor, "group", name, "add_members", after={"added": added})
        return added

    def remove(self, name: str, profile_ids: Iterable[int], *, actor: str = "admin") -> int:
        """Take the given profiles out of the group; returns how many were members."""
        self._row(name)
        ids = [int(i) for i in profile_ids]
        removed = self.segments.remove_members(name, ids, actor)
        audit.record(self, actor, "group", name, "remove_members", after={"removed": removed})
        return removed

    def rename(self, name: str, new_name: str, *, actor: str = "admin") -> dict[str, Any]:
        """Rename a group no segment or rule refers to by its name."""
        row = self._row(name)
        check_name(new_name)
        if new_name != name and segment_repo.get(self.db, new_name) is not None:
            raise Conflict(f'there is already a segment or group named "{new_name}"')
        self._unused(name, "rename")
        with self.db.transaction():
            repo.rename(self.db, row.id, new_name, utcnow())
            audit.record(self, actor, "group", new_name, "rename", "name", name, new_name)
        return self.get(new_name)

    def describe(
        self, name: str, description: str | None, *, actor: str = "admin"
    ) -> dict[str, Any]:
        row = self._row(name)
        text = _description(description)
        with self.db.transaction():
            repo.describe(self.db, row.id, text, utcnow())
            before = row.description
            audit.record(self, actor, "group", name, "describe", "description", before, text)
        return self.get(name)

    def delete(self, name: str, *, actor: str = "admin") -> None:
        """Delete a group (its members stay as they are) no segment or rule refers to."""
        self._row(name)
        self._unused(name, "delete")
        self.segments.delete(name)
        audit.record(self, actor, "group", name, "delete")

    def _row(self, name: str) -> SegmentRow:
        row = self.segments.stored(name)
        if row.kind != "static":
            raise ValidationError(f'"{name}" is a {row.kind} segment, not a group')
        return row

    def _unused(self, name: str, what: str) -> None:
        users = sorted(n for n, refs in self.segments.schema().segments.items() if name in refs)
        rules = repo.rules_naming(self.db, name)
        if users or rules:
            named = ", ".join([*(f'segment "{u}"' for u in users), *(f'rule "{r}"' for r in rules)])
            raise Conflict(f'cannot {what} group "{name}": {named} refers to it; change that first')


def _description(description: str | None) -> str | None:
    if description is None or not description.strip():
        return None
    text = description.strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"a group's description holds at most {MAX_DESCRIPTION} characters")
    return text
