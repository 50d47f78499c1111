"""A profile's channels and its main channel.

One meaning of "on a channel", the language's (`has channel c`, engine/compiler): the profile
holds an identity of the channel's type, or has an event on that channel, known at the moment
asked about. The People filter, the channels shown beside each person and the main channel all
use it.

The main channel is the one the customer uses most: set by hand by an agent (audited), or else
proposed from activity (the channel with the most events; ties: the most recent, then by name).
It is not something segments read, so setting it commits nothing to the membership path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel

from engine.admin import audit
from engine.catalog.vocab import CHANNELS
from engine.clock import as_of_or_now, utcnow
from kith_errors import ValidationError
from store import channels as repo

if TYPE_CHECKING:
    from engine.profiles.service import Profiles
    from store.db import Database


class ChannelUse(BaseModel):
    channel: str
    events: int
    last_at: dt.datetime | None = None


class ProfileChannels(BaseModel):
    """The channels a profile is on (most used first) and its main channel."""

    profile_id: int
    channels: list[ChannelUse]
    main: str | None = None
    main_set_by_hand: bool = False

    @property
    def names(self) -> list[str]:
        return [use.channel for use in self.channels]


class Channels:
    def __init__(self, db: Database, profiles: Profiles) -> None:
        self.db, self.profiles = db, profiles

    def of(self, profile_id: int, *, as_of: dt.datetime | None = None) -> ProfileChannels:
        self.profiles.get(profile_id)
        return self.of_many([profile_id], as_of=as_of)[profile_id]

    def of_many(
        self, profile_ids: Sequence[int], *, as_of: dt.datetime | None = None
    ) -> dict[int, ProfileChannels]:
        """Channels and main channel of each given profile (a page of the People list)."""
        ids = [int(i) for i in profile_ids]
        used = repo.usage(self.db, ids, CHANNELS, as_of_or_now(as_of))
        chosen = repo.main_of(self.db, ids)
        by_profile = dict(tuple(used.groupby("profile_id", sort=False)))
        return {
            pid: _channels(pid, by_profile.get(pid, used.iloc[:0]), chosen.get(pid)) for pid in ids
        }

    def set_main(self, profile_id: int, channel: str, *, actor: str = "admin") -> ProfileChannels:
        """Make `channel` the profile's main channel (it must be one of its channels)."""
        current = self.of(profile_id)
        if channel not in current.names:
            on = ", ".join(current.names) or "no channel yet"
            raise ValidationError(
                f"profile {profile_id} is not on {channel!r}: it has no {channel} identity and "
                f"no event there (its channels: {on})",
                details={"channel": channel, "channels": current.names},
            )
        with self.db.transaction():
            repo.set_main(self.db, profile_id, channel, actor, utcnow())
            before = current.main if current.main_set_by_hand else None
            _audit(self, actor, profile_id, before, channel)
        return self.of(profile_id)

    def clear_main(self, profile_id: int, *, actor: str = "admin") -> ProfileChannels:
        """Forget the main channel set by hand: the proposal from activity applies again."""
        self.profiles.get(profile_id)
        chosen = repo.main_of(self.db, [profile_id]).get(profile_id)
        if chosen is not None:
            with self.db.transaction():
                repo.clear_main(self.db, profile_id)
                _audit(self, actor, profile_id, chosen, None)
        return self.of(profile_id)


def _audit(
    owner: Channels, actor: str, profile_id: int, before: str | None, after: str | None
) -> None:
    audit.record(owner, actor, "profile", profile_id, "main_channel", "main_channel", before, after)


def _channels(profile_id: int, used: pd.DataFrame, chosen: str | None) -> ProfileChannels:
    """Most used first (events, then the latest, then the name); the first is the proposal."""
    ranked = used.sort_values(
        ["events", "last_at", "channel"], ascending=[False, False, True], na_position="last"
    )
    uses = [
        ChannelUse(channel=c, events=int(n), last_at=None if pd.isna(t) else t.to_pydatetime())
        for c, n, t in zip(ranked["channel"], ranked["events"], ranked["last_at"], strict=True)
    ]
    proposed = uses[0].channel if uses and uses[0].events > 0 else None
    main = chosen if chosen in {u.channel for u in uses} else proposed
    return ProfileChannels(
        profile_id=profile_id,
        channels=uses,
        main=main,
        main_set_by_hand=main is not None and main == chosen,
    )
