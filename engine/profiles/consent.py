"""Consent per channel and purpose: the current state (`consents`) and its append-only history
(`consent_log`), coverage, changes over time, and audits of messages sent without consent."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pandas as pd

from engine.catalog.service import moment
from engine.catalog.vocab import CHANNELS, CONSENT_STATUSES
from engine.changes import Change, ChangeKind, Commit, Touches
from engine.clock import utcnow
from kith_errors import NotFound, ValidationError
from store import consent as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from store.db import Database

BUCKETS = ("day", "week", "month")
CONSENT = Touches(consent=True)  # what a consent change writes
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _check(channel: str, status: str, purpose: str) -> None:
    if status not in CONSENT_STATUSES:
        raise ValidationError(
            f"consent status {status!r} is not one of {', '.join(CONSENT_STATUSES)}"
        )
    for what, name in (("channel", channel), ("purpose", purpose)):
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError(
                f"consent {what} {name!r} must be a lowercase name such as 'whatsapp'"
            )


class Consent:
    def __init__(self, db: Database, commit: Commit) -> None:
        self.db, self.commit = db, commit

    def set(
        self,
        profile_id: int,
        channel: str,
        status: str,
        *,
        purpose: str = "marketing",
        source: str = "admin",
        actor: str = "admin",
        at: dt.datetime | str | None = None,
    ) -> None:
        """Record a consent change. The log keeps every change; the current state follows the
        latest change by time, so a late-arriving older change only lands in the log."""
        _check(channel, status, purpose)
        when = moment(at, "consent time") or utcnow()
        db = self.db
        with db.transaction():
            if not profile_repo.existing_ids(db, [profile_id]):
                raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})
            row = repo.ConsentChange(
                id=db.allocate_ids("consent_log", 1),
                profile_id=profile_id,
                channel=channel,
                purpose=purpose,
                status=status,
                at=when,
                source=source,
                actor=actor,
            )
            repo.append_log(db, row)
            latest = repo.current(db, profile_id, channel, purpose)
            if latest is None or latest <= when:
                repo.upsert(db, row)
        self.commit(Change.of(ChangeKind.CONSENT, [profile_id], touches=CONSENT))

    def set_many(
        self,
        changes: pd.DataFrame,
        *,
        purpose: str = "marketing",
        source: str = "import",
        actor: str = "import",
    ) -> int:
        """Record many consent changes at once, set-based (`changes`: profile_id, channel,
        status, at). Same rules as `set`: every change is logged; the state follows the latest."""
        for channel, status in (
            changes[["channel", "status"]].drop_duplicates().itertuples(index=False)
        ):
            _check(channel, status, purpose)
        db, ids = self.db, changes["profile_id"].drop_duplicates().tolist()
        frame = changes[["profile_id", "channel", "status", "at"]].reset_index(drop=True)
        frame = frame.rename(columns={"at": "changed_at"})
        with db.transaction():
            missing = sorted(set(ids) - profile_repo.existing_ids(db, ids))
            if missing:
                shown = ", ".join(map(str, missing[:10]))
                raise NotFound(f"no such profile: {shown}", details={"missing": missing})
            first = db.allocate_ids("consent_log", len(frame))
            repo.append_log_bulk(db, frame, first, (purpose, source, actor))
            repo.upsert_latest_bulk(db, frame, purpose, source)
        self.commit(Change.of(ChangeKind.CONSENT, ids, touches=CONSENT))
        return len(frame)

    def of(self, profile_id: int) -> pd.DataFrame:
        """The profile's current consent per channel and purpose."""
        return repo.of(self.db, profile_id)

    def history(
        self,
        profile_id: int | None = None,
        channel: str | None = None,
        search: str | None = None,
        limit: int = 1000,
    ) -> pd.DataFrame:
        """Consent changes, newest first; `search` matches the person's name, email or phone."""
        text = search.strip() if search and search.strip() else None
        return repo.history(self.db, profile_id, channel, text, limit)

    def coverage(self, purpose: str = "marketing") -> pd.DataFrame:
        """Profiles per channel and status, `unknown` for those with no record."""
        channels = sorted(set(CHANNELS) | set(repo.channels_seen(self.db)))
        return repo.coverage(self.db, channels, CONSENT_STATUSES, purpose)

    def changes_over_time(self, bucket: str = "day") -> pd.DataFrame:
        if bucket not in BUCKETS:
            raise ValidationError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
        return repo.changes(self.db, bucket)

    def violations(
        self,
        start: dt.datetime | str | None = None,
        end: dt.datetime | str | None = None,
        *,
        purpose: str = "marketing",
    ) -> pd.DataFrame:
        """message_sent events to profiles whose consent on that channel was not granted then."""
        lo, hi = moment(start, "start"), moment(end, "end")
        return repo.violations(self.db, lo, hi, purpose)
