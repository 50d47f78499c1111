"""What a demo workspace shows beyond raw events: consent history, labels, saved segments.

Everything goes through the real services (ws.consent, ws.labels, ws.segments); people are
found by their identities, set-based.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.demo.generate import DemoBlock
from engine.demo.keys import IDENTITY_COLUMNS
from store import demo as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace

ACTOR = "demo"
# label -> the segment expression that picks who carries it
LABELS = {
    "vip": "lifetime_value >= 600",
    "newsletter": 'did form_submitted where form = "newsletter"',
    "beta": 'plan = "team" or did signup where method = "github"',
}
SEGMENTS = {
    "active_subscribers": 'plan in ["pro", "team"] and did subscription_renewed in last 45 days',
    "vip": 'has label "vip"',
    "high_value": "total amount of purchase in last 90 days > 300",
    "pricing_visitors": 'did page_view where path = "/pricing" at least 2 times in last 30 days',
    "whatsapp_reachable": "consent whatsapp is granted",
    "email_engaged": 'did link_clicked where channel = "email" in last 30 days',
    "churn_risk": 'lifecycle = "customer" and last_seen more than 21 days ago',
}


def profile_ids(ws: Workspace, folks: pd.DataFrame) -> pd.Series:
    """The profile each person of a block became, by the first identity they carry."""
    keys = pd.DataFrame({"person": folks["person"], "type": None, "value": None})
    for column in reversed(IDENTITY_COLUMNS):  # the earliest column wins
        known = folks[column].notna().to_numpy()
        keys.loc[known, "type"] = column
        keys.loc[known, "value"] = folks.loc[known, column]
    found = repo.profiles_of(ws.db, keys.dropna().astype({"type": str, "value": str}))
    return found.set_index("person")["profile_id"]


def consent(ws: Workspace, block: DemoBlock) -> int:
    """The block's consent changes, through the consent service's bulk path."""
    owners = profile_ids(ws, block.people)
    log = block.consent[block.consent["person"].isin(owners.index)]
    changes = pd.DataFrame(
        {
            "profile_id": owners.loc[log["person"]].to_numpy(dtype=np.int64),
            "channel": log["channel"].to_numpy(),
            "status": log["status"].to_numpy(),
            "at": log["timestamp"].to_numpy(),
        }
    )
    if changes.empty:
        return 0
    return ws.consent.set_many(changes, source="import", actor=ACTOR)


def labels(ws: Workspace) -> dict[str, int]:
    """Each demo label on the profiles its expression selects."""
    added = {}
    for label, expression in LABELS.items():
        ids = ws.segments.ids(expression)
        added[label] = ws.labels.add(ids, label, actor=ACTOR) if ids else 0
    return added


def segments(ws: Workspace) -> list[str]:
    """The saved segments a demo shows: dynamic ones, a compound and a static list."""
    for name, expression in SEGMENTS.items():
        ws.segments.save(name, expression=expression, description="demo")
    ws.segments.save("vip_or_high_value", kind="compound", op="union", of=["vip", "high_value"])
    ws.segments.save("beta_testers", kind="static", description="hand-picked beta testers")
    ws.segments.add_results("beta_testers", 'has label "beta"', ACTOR)
    return [*SEGMENTS, "vip_or_high_value", "beta_testers"]
