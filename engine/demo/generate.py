"""One block of demo data as frames: the people (the truth), their events and consent changes.

Events come out as one flat frame: `message_id`, `type`, `timestamp`, `channel`, one column per
identity type, `trait_<name>` columns on identify rows and `prop_<name>` event properties, plus
`person` (the true person behind the event, for checks; not ingested).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo import campaigns, commerce, web
from engine.demo.consent import consent_log, consent_state
from engine.demo.keys import attach
from engine.demo.people import people
from engine.demo.spec import DemoSpec, rng_for

# profile fields an arrival identify carries (trait name -> people column)
TRAITS = {
    "name": "name", "company": "company", "country": "country", "city": "city",
    "language": "language", "lifecycle": "lifecycle", "source": "source",
    "platform": "platform", "plan": "plan",
}  # fmt: skip


@dataclass(frozen=True)
class DemoBlock:
    """People `first`..`first + len(people) - 1` and everything that happened to them."""

    index: int
    people: pd.DataFrame
    events: pd.DataFrame
    consent: pd.DataFrame  # person (global), channel, status, timestamp


def blocks(spec: DemoSpec) -> Iterator[DemoBlock]:
    for index, (first, count) in enumerate(spec.blocks()):
        yield block(spec, index, first, count)


def block(spec: DemoSpec, index: int, first: int, count: int) -> DemoBlock:
    folks = people(spec, index, first, count)
    state = consent_state(rng_for(spec, index, "consent"), folks)
    events = _raw_events(spec, index, folks, state)
    events = _finish(spec, index, folks, events)
    log = consent_log(state, spec.span)
    log["person"] = folks["person"].to_numpy()[log["person"].to_numpy()]
    log["timestamp"] = _clock(spec, log.pop("ts").to_numpy())
    return DemoBlock(index, folks, events, log)


def _raw_events(
    spec: DemoSpec, index: int, folks: pd.DataFrame, state: pd.DataFrame
) -> pd.DataFrame:
    """Every part's rows; `person` is still the row within the block, `ts` seconds."""

    def rng(part: str) -> np.random.Generator:
        return rng_for(spec, index, part)

    sent = campaigns.campaign_events(rng("campaigns"), spec, folks, state)
    parts = [
        web.identifies(folks),
        web.page_views(rng("web"), folks),
        sent,
        campaigns.replies(rng("replies"), sent),
        commerce.signups(rng("signups"), folks),
        commerce.forms(rng("forms"), folks),
        commerce.purchases(rng("purchases"), folks),
        commerce.carts(rng("carts"), folks),
        commerce.renewals(rng("renewals"), folks),
        commerce.support(rng("support"), folks),
    ]
    events = pd.concat(parts, ignore_index=True)
    events = events[(events["ts"] >= 0) & (events["ts"] < spec.span)]
    sync = commerce.value_sync(events, len(folks))
    events = pd.concat([events, sync[sync["ts"] < spec.span]], ignore_index=True)
    return events


def _finish(spec: DemoSpec, index: int, folks: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Identities, traits, time order, timestamps and message ids."""
    events = events.sort_values(["ts", "person", "type"], kind="stable", ignore_index=True)
    events = attach(events, folks)
    _traits(events, folks)
    events["timestamp"] = _clock(spec, events.pop("ts").to_numpy())
    events["person"] = folks["person"].to_numpy()[events["person"].to_numpy()]
    campaigns.payload_times(events, lambda seconds: _clock(spec, seconds))
    serial = pd.Series(np.arange(len(events)), dtype="string")
    events["message_id"] = (f"demo-{spec.seed}-{index}-" + serial).to_numpy()
    events = events.drop(columns=["keys", "traits"])
    first = ["message_id", "type", "timestamp", "channel", "person"]
    return events[first + [c for c in events.columns if c not in first]]


def _traits(events: pd.DataFrame, folks: pd.DataFrame) -> None:
    carries = events["traits"].fillna(False).to_numpy(dtype=bool)
    person = events["person"].to_numpy()
    for trait, column in TRAITS.items():
        values = folks[column].astype("string").take(person).reset_index(drop=True)
        events[f"trait_{trait}"] = values.where(carries).set_axis(events.index)


def _clock(spec: DemoSpec, seconds: np.ndarray) -> np.ndarray:
    """Seconds since the start as naive UTC timestamps."""
    start = np.datetime64(spec.start, "us")
    return start + seconds.astype("timedelta64[s]")
