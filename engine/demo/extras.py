"""What a demo workspace shows beyond raw events: consent history, labels, saved segments,
goals and rules.

Everything goes through the real services (consent, labels, segments, goals, rules); people are
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
VIP_SHARE = 0.03  # the top spenders of each block
# label -> the segment expression that picks who carries it (vip comes from spend, per block)
LABELS = {
    "newsletter": 'did form_submitted where form = "newsletter"',
    "beta": 'plan = "team" or did signup where method = "github"',
}
SEGMENTS = {
    "active_subscribers": 'plan in ["pro", "team"] and did subscription_renewed in last 45 days',
    "high_value": "total amount of purchase in last 90 days > 300",
    "pricing_visitors": 'did page_view where path = "/pricing" at least 2 times in last 30 days',
    "whatsapp_reachable": "consent whatsapp is granted",
    "email_engaged": 'did link_clicked where channel = "email" in last 30 days',
    "churn_risk": 'lifecycle = "customer" and last_seen more than 21 days ago',
}
GOALS = (
    'goal "Trial signup": start page_view where path = "/pricing" target signup within 7 days',
    'goal "First purchase": start signup target purchase within 30 days',
    'goal "Campaign click to purchase": start link_clicked target purchase within 14 days',
)
RULES = {
    "big spender": 'when purchase where amount > 500 then add label "big_spender"',
    "unhappy customer": (
        'when csat_submitted where score <= 2 then add label "unhappy", notify "Low CSAT score"'
    ),
    "churning customers": (
        'every day if lifecycle = "customer" and last_seen more than 30 days ago '
        'then add label "churning"'
    ),
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


def consent(ws: Workspace, block: DemoBlock, owners: pd.Series) -> int:
    """The block's consent changes, through the consent service's bulk path."""
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


def vip(ws: Workspace, block: DemoBlock, owners: pd.Series) -> int:
    """Label the block's top spenders (by the lifetime value their last sync carried) "vip"."""
    synced = block.events.dropna(subset=["trait_lifetime_value"])
    value = synced.groupby("person")["trait_lifetime_value"].max()
    top = value.nlargest(max(1, round(len(value) * VIP_SHARE))).index
    ids = owners.reindex(top).dropna().astype(np.int64).tolist()
    return ws.labels.add(ids, "vip", actor=ACTOR) if ids else 0


def labels(ws: Workspace) -> dict[str, int]:
    """The labels picked by expressions, on the profiles each selects."""
    added = {}
    for label, expression in LABELS.items():
        ids = ws.segments.ids(expression)
        added[label] = ws.labels.add(ids, label, actor=ACTOR) if ids else 0
    return added


def segments(ws: Workspace, labelled: dict[str, int]) -> list[str]:
    """The saved segments a demo shows: dynamic ones, a compound and a static list (those built
    on a label only when someone carries it, since an unknown label is an error)."""
    names = list(SEGMENTS)
    for name, expression in SEGMENTS.items():
        ws.segments.save(name, expression=expression, description="demo")
    if labelled.get("vip"):
        ws.segments.save("vip", expression='has label "vip"', description="demo")
        ws.segments.save("vip_or_high_value", kind="compound", op="union", of=["vip", "high_value"])
        names += ["vip", "vip_or_high_value"]
    ws.segments.save("beta_testers", kind="static", description="hand-picked beta testers")
    if labelled.get("beta"):
        ws.segments.add_results("beta_testers", 'has label "beta"', ACTOR)
    return [*names, "beta_testers"]


def automation(ws: Workspace) -> tuple[list[str], list[str]]:
    """Goals and rules (added after loading, so they act on new data, not on the demo's past)."""
    goals = [ws.goals.define(source).name for source in GOALS]
    for name, source in RULES.items():
        ws.rules.add(name, source)
    return goals, list(RULES)
