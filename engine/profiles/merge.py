"""Merging two profiles into one, previewing it first, and undoing it exactly.

A merge keeps the primary's id. Each field takes the non-empty value, and where both profiles
hold different values, the value of the more recently updated profile (or the caller's choice).
Everything the secondary owns moves set-based in SQL; `merges.snapshot` and `merge_moves` keep
enough to put both profiles back as they were (`unmerge`). Changes made to the merged profile
after the merge are overwritten by the undo; events and identities it gained since stay with it.
`merge_many` folds a whole batch of pairs in a fixed number of statements (identity resolution
calls it once per ingestion batch); `merge` is a batch of one.

A merge by hand is held to two bounds: the merge cap (Settings: at most that many profiles
folded into one, counting those folded into either side before) and the identity limits (the
merged profile may not hold more values of a type than identity resolution would allow). The
agent may override the limits, never the cap; an override is recorded in the audit trail with
the limits it broke.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel

from engine.admin import audit
from engine.changes import Change, ChangeKind, Commit
from engine.clock import utcnow
from engine.models import Profile
from kith_errors import Conflict, NotFound, ValidationError
from store import merge as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from engine.profiles.service import Profiles
    from store.db import Database

Side = Literal["primary", "secondary"]
_NOT_MERGED = {"id", "created_at", "updated_at", "first_seen", "last_seen", "properties"}
_JSON_PREFIX = "properties."


class FieldConflict(BaseModel):
    field: str
    primary: Any
    secondary: Any
    proposed: Side


class MergePreview(BaseModel):
    primary: Profile
    secondary: Profile
    conflicts: list[FieldConflict]
    moves: dict[str, int]  # events, sessions, identities, labels, consents, memberships, notes


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    """Mergeable fields of a JSON row: columns, then JSON properties as `properties.<key>`."""
    fields = {k: v for k, v in row.items() if k not in _NOT_MERGED}
    extra = row.get("properties") or {}
    fields.update({_JSON_PREFIX + k: v for k, v in extra.items()})
    return fields


class Merges:
    def __init__(
        self, db: Database, settings: Settings, profiles: Profiles, commit: Commit
    ) -> None:
        self.db, self.settings, self.profiles, self.commit = db, settings, profiles, commit

    # ---- preview -----------------------------------------------------------------------------

    def preview(self, primary_id: int, secondary_id: int) -> MergePreview:
        primary, secondary = self._pair(primary_id, secondary_id)
        return MergePreview(
            primary=self.profiles.get(primary_id),
            secondary=self.profiles.get(secondary_id),
            conflicts=_conflicts(primary, secondary),
            moves=asdict(repo.counts(self.db, secondary_id)),
        )

    def _pair(self, primary_id: int, secondary_id: int) -> tuple[dict, dict]:
        if primary_id == secondary_id:
            raise ValidationError(f"cannot merge profile {primary_id} into itself")
        return self._row(primary_id), self._row(secondary_id)

    def _row(self, profile_id: int) -> dict[str, Any]:
        text = profile_repo.row_json(self.db, profile_id)
        if text is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})
        return json.loads(text)

    # ---- merge -------------------------------------------------------------------------------

    def merge(
        self,
        primary_id: int,
        secondary_id: int,
        *,
        choices: dict[str, Side] | None = None,
        override: bool = False,
        actor: str = "admin",
    ) -> int:
        """Fold `secondary_id` into `primary_id`; returns the merge id (for `unmerge`).
        `override` lets the merge break identity limits (recorded in the audit trail)."""
        with self.db.transaction():
            pair = self._pair(primary_id, secondary_id)
            if choices:
                _checked(choices, *pair)
            self._within_cap(primary_id, secondary_id)
            broken = self._broken_limits(primary_id, secondary_id)
            if broken and not override:
                raise Conflict(_limit_message(primary_id, broken), details={"limits": broken})
            merge_id = self._fold(_folds([(primary_id, secondary_id)]), choices or {}, actor)[0]
            if broken:
                audit.record(self, actor, "profile", primary_id, "merge_override", after=broken)
        self.commit(Change.of(ChangeKind.MERGE, [primary_id], removed_ids=[secondary_id]))
        return merge_id

    def merge_many(
        self, pairs: Sequence[tuple[int, int]], *, actor: str = "identity_resolution"
    ) -> list[int]:
        """Fold many (primary, secondary) pairs at once, in a fixed number of statements.

        Pairs that share a profile form one group, folded into its root: the first profile
        (in pair order) that is never a secondary, e.g. (a, b), (b, c) and (a, b), (c, b)
        both fold b and c into a. Each other profile of a group is one merge, made in order of
        first appearance, with the same result as `merge(root, it)` one after another (default
        field choices) and undoable on its own by `unmerge`. Returns the merge ids in that
        order, so for pairs with distinct secondaries that are never primaries (what identity
        resolution produces), `ids[i]` is the merge of `pairs[i]`. Part of a bigger write:
        the caller commits (identity resolution's batch names the secondaries as removed)."""
        folds = _folds(pairs)
        if not folds:
            return []
        with self.db.transaction():
            return self._fold(folds, {}, actor)

    def _fold(
        self, folds: list[tuple[int, int]], choices: dict[str, Side], actor: str
    ) -> list[int]:
        db = self.db
        _require_profiles(self.db, {pid for pair in folds for pid in pair})
        first = db.allocate_ids("merges", len(folds))
        frame = _pairs_frame(folds, first)
        first_audit = db.allocate_ids(audit.AUDIT_IDS, len(folds))
        repo.merge_pairs(
            db, frame, at=utcnow(), actor=actor, first_audit_id=first_audit, choices=choices
        )
        return frame["merge_id"].tolist()

    def _within_cap(self, primary_id: int, secondary_id: int) -> None:
        cap = self.settings.merge_cap
        folded = self.merged_count(primary_id) + self.merged_count(secondary_id) + 1
        if folded > cap:
            raise Conflict(
                f"profile {primary_id} would have {folded} profiles merged into it; the merge "
                f"cap is {cap} (Settings > Identity keys)",
                details={"cap": cap, "merged": folded},
            )

    def _broken_limits(self, primary_id: int, secondary_id: int) -> dict[str, dict[str, int]]:
        """Identity types the merged profile would hold more values of than its limit allows."""
        limits = self.settings.identity_limits
        counts = repo.identity_counts(self.db, [primary_id, secondary_id])
        return {
            kind: {"values": n, "limit": limits[kind]}
            for kind, n in counts.items()
            if kind in limits and n > limits[kind]
        }

    def merged_count(self, profile_id: int) -> int:
        """How many profiles are merged (by live merges, through others too) into this one."""
        return len(repo.merged_into(self.db, profile_id))

    def merged_counts(self, profile_ids: Sequence[int]) -> dict[int, int]:
        """`merged_count` of each given profile that has merges (a page of the People list)."""
        return repo.merged_counts(self.db, [int(i) for i in profile_ids])

    # ---- unmerge -----------------------------------------------------------------------------

    def unmerge(self, merge_id: int, *, actor: str = "admin") -> None:
        """Put both profiles back exactly as they were before merge `merge_id`."""
        db = self.db
        with db.transaction():
            record = self._undoable(merge_id)
            snapshot = json.loads(record.snapshot)
            primary_id, secondary_id = record.primary_id, record.secondary_id
            repo.move_back(db, merge_id, primary_id, secondary_id, snapshot["rows"])
            profile_repo.replace_row(db, primary_id, json.dumps(snapshot["primary"]))
            profile_repo.insert_row(db, json.dumps(snapshot["secondary"]))
            repo.mark_undone(db, merge_id, utcnow())
            audit.record(self, actor, "profile", primary_id, "unmerge", before=secondary_id)
        self.commit(Change.of(ChangeKind.UNMERGE, [primary_id, secondary_id]))

    def _undoable(self, merge_id: int) -> repo.MergeRow:
        record = repo.get(self.db, merge_id)
        if record is None:
            raise NotFound(f"merge {merge_id} does not exist", details={"merge_id": merge_id})
        if record.undone_at is not None:
            raise Conflict(f"merge {merge_id} was already undone at {record.undone_at}")
        primary_id = record.primary_id
        later = repo.later_merge_of(self.db, primary_id, record.merged_at)
        if later is not None:
            raise Conflict(
                f"profile {primary_id} was merged into another profile afterwards; "
                f"undo merge {later} first",
                details={"blocking_merge": later},
            )
        if profile_repo.row_json(self.db, primary_id) is None:
            raise NotFound(f"profile {primary_id} of merge {merge_id} no longer exists")
        return record

    def linked(self, profile_id: int) -> pd.DataFrame:
        """Merges this profile took part in, newest first."""
        return repo.linked(self.db, profile_id)


def _limit_message(primary_id: int, broken: dict[str, dict[str, int]]) -> str:
    kind, seen = next(iter(broken.items()))
    return (
        f"merging would give profile {primary_id} {seen['values']} {kind} values; the {kind} "
        f"limit is {seen['limit']} (Settings > Identity keys). Merge with override to go past it"
    )


# ---- field resolution ------------------------------------------------------------------------


def _proposed(primary: dict[str, Any], secondary: dict[str, Any]) -> Side:
    """Both hold a value: the more recently updated profile wins; ties keep the primary."""
    newer = (_time(secondary["updated_at"]) or dt.datetime.min) > (
        _time(primary["updated_at"]) or dt.datetime.min
    )
    return "secondary" if newer else "primary"


def _conflicts(primary: dict[str, Any], secondary: dict[str, Any]) -> list[FieldConflict]:
    side = _proposed(primary, secondary)
    mine, theirs = _flatten(primary), _flatten(secondary)
    return [
        FieldConflict(field=f, primary=mine.get(f), secondary=theirs[f], proposed=side)
        for f in sorted(theirs)
        if not _empty(theirs[f]) and not _empty(mine.get(f)) and mine.get(f) != theirs[f]
    ]


def _checked(choices: dict[str, Side], primary: dict, secondary: dict) -> dict[str, Side]:
    known = set(_flatten(primary)) | set(_flatten(secondary))
    for field, side in choices.items():
        if field not in known:
            raise ValidationError(f"cannot choose a value for unknown field {field!r}")
        if side not in ("primary", "secondary"):
            raise ValidationError(f"choice for {field!r} must be 'primary' or 'secondary'")
    return choices


# ---- batches ---------------------------------------------------------------------------------


def _folds(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(root, profile) for every profile the pairs fold away, in order of first appearance."""
    order = list(dict.fromkeys(int(pid) for pair in pairs for pid in pair))
    parent = {pid: pid for pid in order}

    def find(pid: int) -> int:
        while parent[pid] != pid:
            parent[pid] = parent[parent[pid]]
            pid = parent[pid]
        return pid

    for primary, secondary in pairs:
        if int(primary) == int(secondary):
            raise ValidationError(f"cannot merge profile {primary} into itself")
        parent[find(int(secondary))] = find(int(primary))
    return _rooted(order, find, {int(s) for _, s in pairs})


def _rooted(order: list[int], find: Any, secondaries: set[int]) -> list[tuple[int, int]]:
    roots: dict[int, int] = {}
    for pid in order:
        if pid not in secondaries:
            roots.setdefault(find(pid), pid)
    cycles = sorted({find(pid) for pid in order} - set(roots))
    if cycles:
        raise ValidationError(
            f"merge pairs around profile {cycles[0]} form a cycle: every profile in it is "
            "someone's secondary, so none can stay"
        )
    return [(roots[find(pid)], pid) for pid in order if roots[find(pid)] != pid]


def _pairs_frame(folds: list[tuple[int, int]], first_id: int) -> pd.DataFrame:
    """The registered frame the batch SQL reads: one row per merge, `step` within its group."""
    frame = pd.DataFrame(folds, columns=["primary_id", "secondary_id"], dtype="int64")
    frame.insert(0, "merge_id", pd.RangeIndex(first_id, first_id + len(folds), dtype="int64"))
    frame["step"] = frame.groupby("primary_id").cumcount().astype("int64") + 1
    return frame


def _require_profiles(db: Database, ids: set[int]) -> None:
    missing = sorted(ids - profile_repo.existing_ids(db, sorted(ids)))
    if missing:
        raise NotFound(
            f"profile {missing[0]} does not exist"
            + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""),
            details={"ids": missing},
        )
