"""What a committed change touched: the one currency of the commit path.

Every write that can change what a saved segment reads (an ingestion batch, an edit, labels,
consent, merge, unmerge, erase, an import, list edits, a rule's writes, time passing, a refresh
asked for) describes itself as a `Change` and hands it to `Workspace.commit` once its own
transaction has committed. The commit path then re-evaluates the saved segments that could read
what changed, for exactly the profiles touched, records who entered and who left, and runs the
rules (engine/segments/membership.py, engine/rules/service.py).

`Touches` says which kinds of profile state a change wrote, so that only the segments reading
them are re-evaluated; the same analysis orders a batch's rules (engine/rules/deps.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from engine.batch import IngestBatch
from engine.catalog.values import JSON_PROPERTY


class ChangeKind(StrEnum):
    INGEST = "ingest"  # an ingestion batch (also events emitted by rules)
    EDIT = "edit"  # profile fields edited by a person
    LABEL = "label"
    CONSENT = "consent"
    MERGE = "merge"
    UNMERGE = "unmerge"
    ERASE = "erase"
    IMPORT = "import"  # a CSV profile import
    LIST = "list"  # static list members added or removed
    RULE_WRITE = "rule_write"  # what rules' actions wrote
    TIME = "time"  # time passed: every time-dependent segment, for everyone, at `as_of`
    REFRESH = "refresh"  # a full refresh asked for (one saved segment, or all)


@dataclass(frozen=True)
class Touches:
    """Profile state: property paths (as stored), labels, list membership, consent; `all`
    stands for anything (events, identities, whole profiles, or a node no analysis knows)."""

    props: frozenset[tuple[str, ...]] = frozenset()
    labels: bool = False
    lists: bool = False
    consent: bool = False
    all: bool = False

    def __or__(self, other: Touches) -> Touches:
        return Touches(
            self.props | other.props,
            self.labels or other.labels,
            self.lists or other.lists,
            self.consent or other.consent,
            self.all or other.all,
        )

    def meets(self, other: Touches) -> bool:
        """Whether what one side writes may change what the other reads."""
        if self.all or other.all:
            return bool(self.any() and other.any())
        if (self.labels and other.labels) or (self.lists and other.lists):
            return True
        if self.consent and other.consent:
            return True
        return any(overlap(a, b) for a in self.props for b in other.props)

    def any(self) -> bool:
        return bool(self.props or self.labels or self.lists or self.consent or self.all)

    @property
    def members(self) -> bool:
        """Labels or lists: the queued membership changes matter."""
        return self.labels or self.lists or self.all


NOTHING = Touches()
EVERYTHING = Touches(all=True)


def overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether a write at one stored path may change a value read at the other."""
    if a == (JSON_PROPERTY,) or b == (JSON_PROPERTY,):
        return True  # the whole JSON column
    n = min(len(a), len(b))
    return a[:n] == b[:n]


@dataclass(frozen=True)
class Change:
    """One committed change. `profile_ids` are the profiles whose state it changed (they are
    re-evaluated); `removed_ids` the profiles that no longer exist (merged away, erased: they
    leave every segment). `touches` narrows which segments could see it (default: anything).
    `depth` counts rule chain levels: rules fired by this change act one level deeper."""

    kind: ChangeKind
    profile_ids: tuple[int, ...] = ()
    removed_ids: tuple[int, ...] = ()
    touches: Touches = EVERYTHING
    batch: IngestBatch | None = None  # INGEST: the committed batch (event-triggered rules)
    as_of: dt.datetime | None = None  # the moment to evaluate at (default: the workspace's now)
    segment: str | None = None  # REFRESH: the one saved segment (None: all of them)
    depth: int = 0

    @classmethod
    def ingested(cls, batch: IngestBatch) -> Change:
        return cls(
            ChangeKind.INGEST,
            batch.profile_ids,
            batch.removed_ids,
            batch=batch,
            depth=batch.depth,
        )

    @classmethod
    def of(
        cls,
        kind: ChangeKind,
        profile_ids: Iterable[int],
        *,
        removed_ids: Iterable[int] = (),
        touches: Touches = EVERYTHING,
        depth: int = 0,
    ) -> Change:
        """A change from any iterable of ids (sorted, distinct, plain ints)."""
        return cls(kind, _ids(profile_ids), _ids(removed_ids), touches, depth=depth)


def _ids(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(i) for i in ids}))


# The workspace's one commit path (`Workspace.commit`), as the services that write receive it.
Commit = Callable[[Change], object]
