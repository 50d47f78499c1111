"""Messaging campaigns: sent -> delivered -> read -> clicked, with drop-off at every step, and
the answers some readers send back (`message_received`, inbound on the campaign's channel).

The schedule depends on the seed and the dates only (never on the block), so every block sends
the same campaigns at the same moments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo import words as w
from engine.demo.consent import granted_at
from engine.demo.keys import Keys
from engine.demo.spec import DAY, DemoSpec, pick, rng_for

CHANNEL_KEYS = {"email": Keys.EMAIL, "whatsapp": Keys.WHATSAPP, "sms": Keys.SMS}
MISTAKES = 0.004  # share of unconsented people a campaign reaches anyway
STEPS = ("message_sent", "message_delivered", "message_read", "link_clicked")


@dataclass(frozen=True)
class Campaign:
    name: str
    channel: str
    template: str
    share: float
    send: int  # seconds since the start
    landing: str


def schedule(spec: DemoSpec) -> list[Campaign]:
    """About one campaign every five days, spread over the period, sent mid-morning."""
    rng = rng_for(spec, 0, "schedule")
    count = max(1, round(spec.days / 5))
    slot = spec.span / count
    campaigns = []
    for k in range(count):
        name, channel, template, share = w.CAMPAIGNS[k % len(w.CAMPAIGNS)]
        if k >= len(w.CAMPAIGNS):
            name = f"{name} #{k // len(w.CAMPAIGNS) + 1}"
        day = int((k + 0.5) * slot) // DAY * DAY
        send = day + int(rng.uniform(9.0, 11.0) * 3600)
        landing = "/pricing" if k % 2 == 0 else "/signup"
        campaigns.append(Campaign(name, channel, template, share, send, landing))
    return campaigns


def campaign_events(
    rng: np.random.Generator, spec: DemoSpec, folks: pd.DataFrame, consent: pd.DataFrame
) -> pd.DataFrame:
    parts = [_one(rng, c, folks, consent) for c in schedule(spec)]
    return pd.concat(parts, ignore_index=True)


def _audience(
    rng: np.random.Generator, c: Campaign, folks: pd.DataFrame, consent: pd.DataFrame
) -> np.ndarray:
    n = len(folks)
    rows = np.arange(n)
    present = (folks["arrival"].to_numpy() < c.send) & (folks["end"].to_numpy() > c.send)
    reachable = present & folks[c.channel].notna().to_numpy()
    allowed = granted_at(consent, c.channel, rows, np.full(n, c.send))
    draw = rng.random(n)
    chosen = reachable & np.where(allowed, draw < c.share, draw < MISTAKES)
    return rows[chosen]


def _one(
    rng: np.random.Generator, c: Campaign, folks: pd.DataFrame, consent: pd.DataFrame
) -> pd.DataFrame:
    who = _audience(rng, c, folks, consent)
    n = len(who)
    delivered, read, clicked = w.FUNNEL_RATES[c.channel]
    keen = np.clip(folks["engagement"].to_numpy()[who] ** 0.3, 0.5, 1.5)
    reached = [
        np.ones(n, dtype=bool),
        rng.random(n) < delivered,
        rng.random(n) < np.clip(read * keen, 0.0, 0.98),
        rng.random(n) < np.clip(clicked * keen, 0.0, 0.98),
    ]
    gaps = [3600.0, 20.0, 3 * 3600.0, 120.0]  # mean delay of each step after the previous one
    ts = np.full(n, c.send, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    frames = []
    moments: dict[str, np.ndarray] = {}  # each step's time, for the later steps' payloads
    for step, hit, gap in zip(STEPS, reached, gaps, strict=True):
        mask &= hit
        ts = ts + 1 + rng.exponential(gap, n).astype(np.int64)
        moments[step] = ts
        frame = _step(c, step, who[mask], ts[mask])
        for name, at in (("delivered", "message_delivered"), ("read", "message_read")):
            if at in moments and step != "link_clicked":
                frame[f"{name}_s"] = moments[at][mask]  # made ISO text once times are known
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _step(c: Campaign, step: str, who: np.ndarray, ts: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"person": who, "ts": ts, "type": step, "channel": c.channel})
    frame["keys"] = int(CHANNEL_KEYS[c.channel])
    slug = c.name.lower().replace(" ", "-").replace("#", "")
    frame["prop_campaign"] = c.name
    frame["prop_campaign_id"] = slug
    if step == "link_clicked":
        frame["prop_url"] = f"{w.SITE}{c.landing}?utm_source={c.channel}&utm_campaign={slug}"
        frame["prop_link_label"] = w.LINK_LABELS[c.landing]
    else:
        frame["prop_template"] = c.template
        frame["prop_template_id"] = c.template
    return frame


def replies(rng: np.random.Generator, sent: pd.DataFrame) -> pd.DataFrame:
    """Some people answer a campaign message they read, on its channel, mostly within the
    hour: one inbound `message_received` each, tied to the campaign (its own random stream,
    so the campaigns' events stay as they were)."""
    read = sent[sent["type"] == "message_read"]
    rates = read["channel"].map(w.REPLY_RATES).to_numpy(dtype=float)
    rows = read[rng.random(len(read)) < rates]
    n = len(rows)
    delay = 1 + rng.exponential(1800.0, n).astype(np.int64)
    frame = pd.DataFrame(
        {
            "person": rows["person"].to_numpy(),
            "ts": rows["ts"].to_numpy() + delay,
            "type": "message_received",
            "channel": rows["channel"].to_numpy(),
            "keys": rows["keys"].to_numpy(),
            "prop_campaign": rows["prop_campaign"].to_numpy(),
            "prop_campaign_id": rows["prop_campaign_id"].to_numpy(),
        }
    )
    frame["prop_text"] = pick(rng, list(w.REPLIES), w.weights(w.REPLIES), n)
    return frame


def payload_times(events: pd.DataFrame, clock: Callable[[np.ndarray], np.ndarray]) -> None:
    """`delivered_at` / `read_at` of the campaign steps as ISO 8601 text (from the seconds the
    steps kept), and each message's id: its campaign's and its person's (persons are global
    by now, so the id is unique in the workspace); an answer's own ids."""
    for name in ("delivered", "read"):
        if f"{name}_s" not in events.columns:
            continue
        seconds = events.pop(f"{name}_s")
        known = seconds.notna().to_numpy()
        text = pd.Series(pd.NA, index=events.index, dtype="string")
        stamps = clock(seconds[known].to_numpy(dtype=np.int64))
        text[known] = np.datetime_as_string(stamps, unit="s").astype(object) + "Z"
        events[f"prop_{name}_at"] = text
    if "prop_campaign_id" in events.columns:
        person = events["person"].astype("string")
        thread = events["prop_campaign_id"].astype("string") + "-" + person
        events["prop_message_id"] = "msg-" + thread
        _inbound_ids(events, thread)


def _inbound_ids(events: pd.DataFrame, thread: pd.Series) -> None:
    """An answer has an id of its own, names the campaign message it answers, and the
    conversation (one per campaign and person) both belong to."""
    inbound = events["type"] == "message_received"
    if not inbound.any():
        return
    events["prop_in_reply_to"] = events["prop_message_id"].where(inbound)
    events["prop_conversation_id"] = ("conv-" + thread).where(inbound)
    events["prop_message_id"] = events["prop_message_id"].mask(inbound, "in-" + thread)
