"""Labels: free-form tags on profiles, added and removed by people or rules (`rule:<name>`).
Bulk changes are one statement whatever the number of profiles; each change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral
from typing import TYPE_CHECKING

import pandas as pd

from engine.admin import audit
from engine.changes import Change, ChangeKind, Commit, Touches
from engine.clock import utcnow
from kith_errors import NotFound, ValidationError
from store import labels as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from store.db import Database

MAX_LABEL = 64
LABELS = Touches(labels=True)  # what a label change writes


def check_label(label: str) -> str:
    text = label.strip() if isinstance(label, str) else ""
    if not text:
        raise ValidationError("a label cannot be empty")
    if len(text) > MAX_LABEL:
        raise ValidationError(f"label {text[:20]!r}... is longer than {MAX_LABEL} characters")
    return text


def _ids(profile_ids: int | Iterable[int]) -> list[int]:
    ids = [profile_ids] if isinstance(profile_ids, int | Integral) else list(profile_ids)
    if not ids:
        raise ValidationError("no profiles given")
    bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, Integral)]
    if bad:
        raise ValidationError(f"profile ids must be whole numbers, got {bad[0]!r}")
    return sorted({int(i) for i in ids})


class Labels:
    def __init__(self, db: Database, catalog: Catalog, commit: Commit) -> None:
        self.db, self.catalog, self.commit = db, catalog, commit

    def add(self, profile_ids: int | Iterable[int], label: str, *, actor: str) -> int:
        """Label the profiles; returns how many did not hold it before."""
        return self._change(profile_ids, label, actor, adding=True)

    def remove(self, profile_ids: int | Iterable[int], label: str, *, actor: str) -> int:
        """Take the label off; returns how many held it."""
        return self._change(profile_ids, label, actor, adding=False)

    def _change(
        self, profile_ids: int | Iterable[int], label: str, actor: str, adding: bool
    ) -> int:
        text, ids = check_label(label), _ids(profile_ids)
        db = self.db
        with db.transaction():
            missing = sorted(set(ids) - profile_repo.existing_ids(db, ids))
            if missing:
                shown = ", ".join(map(str, missing[:10]))
                raise NotFound(f"no such profile: {shown}", details={"missing": missing})
            if adding:
                changed = repo.add(db, ids, text, utcnow(), actor)
            else:
                changed = repo.remove(db, ids, text)
            action = "label_add" if adding else "label_remove"
            audit.record_bulk(self, actor, "profile", changed, action, field=text)
        self.catalog.invalidate()  # the language checks label names against those in use
        self.commit(Change.of(ChangeKind.LABEL, changed, touches=LABELS))
        return len(changed)

    def of(self, profile_id: int) -> list[str]:
        return repo.of(self.db, profile_id)

    def all(self) -> pd.DataFrame:
        """Every label in use with its number of profiles."""
        return repo.counts(self.db)
