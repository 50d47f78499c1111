"""Consent: the static SQL over `consents` (current state) and `consent_log` (append-only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from store.db import Database


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """One consent change: logged under `id`, and the current state when it is the latest."""

    id: int
    profile_id: int
    channel: str
    purpose: str
    status: str
    at: dt.datetime
    source: str
    actor: str


def current(db: Database, profile_id: int, channel: str, purpose: str) -> dt.datetime | None:
    return db.scalar(
        "SELECT max(updated_at) FROM consents WHERE profile_id = $id AND channel = $channel "
        "AND purpose = $purpose",
        {"id": profile_id, "channel": channel, "purpose": purpose},
    )


def append_log(db: Database, row: ConsentChange) -> None:
    db.execute(
        "INSERT INTO consent_log VALUES ($id, $profile_id, $channel, $purpose, $status, $at, "
        "$source, $actor)",
        asdict(row),
    )


def upsert(db: Database, row: ConsentChange) -> None:
    keys = {"profile_id": row.profile_id, "channel": row.channel, "purpose": row.purpose}
    db.execute(
        "DELETE FROM consents WHERE profile_id = $profile_id AND channel = $channel "
        "AND purpose = $purpose",
        keys,
    )
    db.execute(
        "INSERT INTO consents VALUES ($profile_id, $channel, $purpose, $status, $at, $source)",
        {**keys, "status": row.status, "at": row.at, "source": row.source},
    )


def append_log_bulk(
    db: Database, changes: pd.DataFrame, first: int, by: tuple[str, str, str]
) -> None:
    """Log every one of `changes` (profile_id, channel, status, changed_at), with ids from
    `first` in time order; `by`: the purpose, source and actor."""
    purpose, source, actor = by
    with db.views(kith_consent_in=changes):
        db.execute(
            "INSERT INTO consent_log SELECT $first - 1 + row_number() OVER "
            "(ORDER BY changed_at, profile_id, channel, status), profile_id, channel, $purpose, "
            "status, changed_at, $source, $actor FROM kith_consent_in",
            {"first": first, "purpose": purpose, "source": source, "actor": actor},
        )


def upsert_latest_bulk(db: Database, changes: pd.DataFrame, purpose: str, source: str) -> None:
    """The latest of `changes` per profile and channel becomes the current state where it is
    not older than what is stored."""
    with db.views(kith_consent_in=changes):
        _upsert_latest(db, purpose, source)


def _upsert_latest(db: Database, purpose: str, source: str) -> None:
    db.execute(
        "CREATE OR REPLACE TEMP TABLE kith_consent_latest AS SELECT profile_id, channel, "
        "arg_max(status, changed_at) AS status, max(changed_at) AS changed_at FROM kith_consent_in "
        "GROUP BY ALL"
    )
    db.execute(
        "DELETE FROM consents c USING kith_consent_latest l WHERE c.profile_id = l.profile_id "
        "AND c.channel = l.channel AND c.purpose = $purpose AND c.updated_at <= l.changed_at",
        {"purpose": purpose},
    )
    db.execute(
        "INSERT INTO consents SELECT l.profile_id, l.channel, $purpose, l.status, l.changed_at, "
        "$source FROM kith_consent_latest l "
        "ANTI JOIN (SELECT * FROM consents WHERE purpose = $purpose) c "
        "ON c.profile_id = l.profile_id AND c.channel = l.channel",
        {"purpose": purpose, "source": source},
    )
    db.execute("DROP TABLE kith_consent_latest")


def of(db: Database, profile_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT channel, purpose, status, updated_at, source FROM consents "
        "WHERE profile_id = $id ORDER BY channel, purpose",
        {"id": profile_id},
    )


def history(
    db: Database,
    profile_id: int | None,
    channel: str | None,
    search: str | None,
    limit: int,
) -> pd.DataFrame:
    return db.df(
        "SELECT l.id, l.profile_id, p.name, p.email, l.channel, l.purpose, l.status, "
        "l.changed_at, l.source, l.actor FROM consent_log l LEFT JOIN profiles p "
        "ON p.id = l.profile_id WHERE ($pid IS NULL OR l.profile_id = $pid) "
        "AND ($channel IS NULL OR l.channel = $channel) AND ($q IS NULL OR "
        "contains(lower(coalesce(p.name, '') || ' ' || coalesce(p.email, '') || ' ' || "
        "coalesce(p.phone, '')), $q)) ORDER BY l.changed_at DESC, l.id DESC LIMIT $limit",
        {
            "pid": profile_id,
            "channel": channel,
            "q": None if search is None else search.lower(),
            "limit": limit,
        },
    )


def coverage(
    db: Database, channels: Sequence[str], statuses: Sequence[str], purpose: str
) -> pd.DataFrame:
    return db.df(
        "WITH ch AS (SELECT unnest($channels) AS channel), "
        "st AS (SELECT channel, status, count(*) AS n FROM consents WHERE purpose = $purpose "
        "GROUP BY channel, status), "
        "known AS (SELECT ch.channel, s.status, coalesce(st.n, 0) AS profiles FROM ch "
        "CROSS JOIN (SELECT unnest($statuses) AS status) s "
        "LEFT JOIN st ON st.channel = ch.channel AND st.status = s.status) "
        "SELECT channel, status, profiles FROM known UNION ALL "
        "SELECT channel, 'unknown', (SELECT count(*) FROM profiles) - sum(profiles) "
        "FROM known GROUP BY channel ORDER BY channel, status",
        {"channels": list(channels), "statuses": list(statuses), "purpose": purpose},
    )


def channels_seen(db: Database) -> list[str]:
    rows = db.rows("SELECT DISTINCT channel FROM consent_log ORDER BY channel")
    return [r[0] for r in rows]


def changes(db: Database, bucket: str) -> pd.DataFrame:
    return db.df(
        "SELECT date_trunc($bucket, changed_at) AS bucket, channel, status, count(*) AS changes "
        "FROM consent_log GROUP BY ALL ORDER BY bucket, channel, status",
        {"bucket": bucket},
    )


def violations(
    db: Database, start: dt.datetime | None, end: dt.datetime | None, purpose: str
) -> pd.DataFrame:
    """message_sent events whose profile's consent for that channel, at send time, was not
    granted (the latest log entry at or before the event; none means unknown)."""
    return db.df(
        "SELECT e.id AS event_id, e.profile_id, e.channel, e.ts, "
        "coalesce(c.status, 'unknown') AS consent, c.changed_at AS consent_changed_at "
        "FROM (SELECT id, profile_id, channel, ts FROM events WHERE type = 'message_sent' "
        "AND channel IS NOT NULL AND ($start IS NULL OR ts >= $start) "
        "AND ($end IS NULL OR ts < $end)) e "
        "ASOF LEFT JOIN (SELECT profile_id, channel, status, changed_at FROM consent_log "
        "WHERE purpose = $purpose) c "
        "ON e.profile_id = c.profile_id AND e.channel = c.channel AND e.ts >= c.changed_at "
        "WHERE c.status IS NULL OR c.status <> 'granted' ORDER BY e.ts, e.id",
        {"start": start, "end": end, "purpose": purpose},
    )
