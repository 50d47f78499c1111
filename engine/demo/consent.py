"""Marketing consent per messaging channel over time, and the labels people carry.

Most people grant consent for the channels they share soon after arriving; some deny; some
revoke later. Campaigns only target people whose consent is granted at send time (bar a few
mistakes, so the consent audit has violations to show).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo.spec import DAY, between

CONSENT_CHANNELS = ("email", "whatsapp", "sms")
NEVER = np.iinfo(np.int64).max


def consent_state(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    """Per person and channel: granted_at and revoked_at (NEVER when it did not happen) and
    denied_at, as columns `<channel>_granted`, `<channel>_revoked`, `<channel>_denied`."""
    n = len(folks)
    arrival, end = folks["arrival"].to_numpy(), folks["end"].to_numpy()
    state = {}
    for channel in CONSENT_CHANNELS:
        reachable = folks[channel].notna().to_numpy()
        draw = rng.random(n)
        at = arrival + (rng.exponential(0.5, n) * DAY).astype(np.int64)
        granted = reachable & (draw < 0.82)
        denied = reachable & (draw >= 0.82) & (draw < 0.92)
        revoked = granted & (rng.random(n) < 0.1)
        revoked_at = between(rng, at + 60, np.maximum(end, at + 120))
        state[f"{channel}_granted"] = np.where(granted, at, NEVER)
        state[f"{channel}_denied"] = np.where(denied, at, NEVER)
        state[f"{channel}_revoked"] = np.where(revoked, revoked_at, NEVER)
    return pd.DataFrame(state)


def granted_at(state: pd.DataFrame, channel: str, rows: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Whether each (person row, moment) falls inside a granted period of `channel`."""
    start = state[f"{channel}_granted"].to_numpy()[rows]
    stop = state[f"{channel}_revoked"].to_numpy()[rows]
    return (start <= ts) & (ts < stop)


def consent_log(state: pd.DataFrame, span: int) -> pd.DataFrame:
    """Every consent change as (person, channel, status, ts), before the end of the data."""
    parts = []
    for channel in CONSENT_CHANNELS:
        for status in ("granted", "denied", "revoked"):
            at = state[f"{channel}_{status}"].to_numpy()
            rows = np.flatnonzero(at < span)
            parts.append(
                pd.DataFrame({"person": rows, "channel": channel, "status": status, "ts": at[rows]})
            )
    log = pd.concat(parts, ignore_index=True)
    return log.sort_values(["ts", "person", "channel"], kind="stable", ignore_index=True)
