"""Channels of profiles: the static SQL behind "on which channels is this person" (an identity
of the channel's type, or an event on that channel: the language's `has channel`) and the main
channel an agent set by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from store.db import Database

# Per profile and channel: how many events it has there and when the last one was (0 and NULL
# for a channel known only from an identity).
_USAGE = (
    "WITH ids AS (SELECT unnest($ids) AS id), "
    "held AS (SELECT DISTINCT i.profile_id, i.type AS channel FROM identities i "
    "WHERE i.profile_id IN (SELECT id FROM ids) AND list_contains($channels, i.type) "
    "AND i.created_at <= $at), "
    "used AS (SELECT e.profile_id, e.channel, count(*) AS events, max(e.ts) AS last_at "
    "FROM events e WHERE e.profile_id IN (SELECT id FROM ids) "
    "AND list_contains($channels, e.channel) AND e.ts <= $at GROUP BY ALL) "
    "SELECT profile_id, channel, coalesce(u.events, 0) AS events, u.last_at "
    "FROM held h FULL JOIN used u USING (profile_id, channel) "
    "ORDER BY profile_id, channel"
)


def usage(
    db: Database, ids: Sequence[int], channels: Sequence[str], at: dt.datetime
) -> pd.DataFrame:
    """profile_id, channel, events, last_at: every channel each profile is on at `at`."""
    params = {"ids": [int(i) for i in ids], "channels": list(channels), "at": at}
    return db.df(_USAGE, params)


def main_of(db: Database, ids: Sequence[int]) -> dict[int, str]:
    """The main channel set by hand of each given profile that has one."""
    rows = db.rows(
        "SELECT profile_id, channel FROM main_channels WHERE profile_id IN (SELECT unnest($ids))",
        {"ids": [int(i) for i in ids]},
    )
    return {int(pid): str(channel) for pid, channel in rows}


def set_main(db: Database, profile_id: int, channel: str, actor: str, at: dt.datetime) -> None:
    db.execute(
        "INSERT INTO main_channels VALUES ($id, $channel, $actor, $at) ON CONFLICT (profile_id) "
        "DO UPDATE SET channel = excluded.channel, set_by = excluded.set_by, "
        "set_at = excluded.set_at",
        {"id": profile_id, "channel": channel, "actor": actor, "at": at},
    )


def clear_main(db: Database, profile_id: int) -> None:
    db.execute("DELETE FROM main_channels WHERE profile_id = $id", {"id": profile_id})
