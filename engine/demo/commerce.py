"""Conversions and customer life: signups, forms, purchases, abandoned carts, renewals,
support tickets with satisfaction scores, and a CRM sync of each buyer's lifetime value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo import words as w
from engine.demo.keys import Keys
from engine.demo.spec import DAY, between, daytime, expand, pick

MONTH = 30 * DAY
PURCHASES_PER_MONTH = {"customer": 1.2, "churned": 0.8, "qualified": 0.1, "lead": 0.03}

# event types Kith does not know out of the box, with their property schemas
CUSTOM_EVENT_TYPES: dict[str, dict[str, str]] = {
    "cart_abandoned": {"cart_value": "number", "items": "number"},
    "subscription_renewed": {"plan": "string", "amount": "number"},
    "support_ticket_opened": {"topic": "string", "priority": "string"},
    "csat_submitted": {"score": "number"},
}


def _events(kind: str, who: np.ndarray, ts: np.ndarray, channel: object) -> pd.DataFrame:
    frame = pd.DataFrame({"person": who, "ts": ts, "type": kind, "channel": channel})
    frame["keys"] = int(Keys.KNOWN)
    return frame


def _months(folks: pd.DataFrame) -> np.ndarray:
    return (folks["end"].to_numpy() - folks["arrival"].to_numpy()) / MONTH


def _spread(rng: np.random.Generator, folks: pd.DataFrame, counts: np.ndarray) -> tuple:
    """Repeat people by `counts` and give each occurrence a daytime moment in their life."""
    who, _ = expand(counts)
    lo, hi = folks["arrival"].to_numpy()[who], folks["end"].to_numpy()[who]
    ts = np.clip(daytime(rng, between(rng, lo, hi)), lo, np.maximum(hi - 1, lo))
    return who, ts


def _web_or_primary(rng: np.random.Generator, folks: pd.DataFrame, who: np.ndarray) -> np.ndarray:
    web = folks["has_web"].to_numpy()[who] & (rng.random(len(who)) < 0.75)
    return np.where(web, "web", folks["primary"].to_numpy()[who])


def signups(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    """Everyone with an account signed up once: at their web login, or soon after arriving."""
    who = np.flatnonzero(folks["user_id"].notna().to_numpy())
    web = folks["has_web"].to_numpy()[who]
    soon = folks["arrival"].to_numpy()[who] + (rng.exponential(1.0, len(who)) * DAY)
    end = folks["end"].to_numpy()[who] - 1
    ts = np.where(web, folks["web_known"].to_numpy()[who], np.minimum(soon, end))
    frame = _events("signup", who, ts.astype(np.int64), np.where(web, "web", "widget"))
    frame["keys"] = np.where(web, int(Keys.WEB_USER), int(Keys.KNOWN))
    frame["prop_method"] = pick(rng, list(w.SIGNUP_METHODS), w.weights(w.SIGNUP_METHODS), len(who))
    return frame


def forms(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    n = len(folks)
    counts = np.where(rng.random(n) < 0.35, 1 + rng.poisson(0.3, n), 0)
    who, ts = _spread(rng, folks, counts)
    frame = _events("form_submitted", who, ts, _web_or_primary(rng, folks, who))
    frame["prop_form"] = pick(rng, list(w.FORMS), w.weights(w.FORMS), len(who))
    frame["prop_form_id"] = "form-" + frame["prop_form"].astype("string")
    frame["prop_fields"] = frame["prop_form"].map(w.FORM_FIELDS)
    return frame


def purchases(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    stage = folks["lifecycle"].to_numpy()
    rate = np.zeros(len(folks))
    for name, per_month in PURCHASES_PER_MONTH.items():
        rate[stage == name] = per_month
    engagement = folks["engagement"].to_numpy()
    counts = rng.poisson(rate * engagement * _months(folks))
    counts[stage == "customer"] += 1  # customers bought at least once
    who, ts = _spread(rng, folks, counts)
    _, rank = expand(counts)
    frame = _events("purchase", who, ts, _web_or_primary(rng, folks, who))
    frame["prop_amount"] = np.round(rng.lognormal(3.9, 0.85, len(who)), 2)
    frame["prop_currency"] = folks["currency"].to_numpy()[who]
    person = pd.Series(folks["person"].to_numpy()[who]).astype("string")
    frame["prop_order_id"] = ("ord-" + person + "-" + pd.Series(rank + 1).astype("string")).values
    return frame


def carts(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    rate = 0.35 * folks["engagement"].to_numpy() * _months(folks)
    counts = np.where(folks["has_web"].to_numpy(), rng.poisson(rate), 0)
    who, ts = _spread(rng, folks, counts)
    frame = _events("cart_abandoned", who, ts, "web")
    frame["prop_cart_value"] = np.round(rng.lognormal(4.0, 0.7, len(who)), 2)
    frame["prop_items"] = (1 + rng.poisson(1.4, len(who))).astype(np.float64)
    return frame


def renewals(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    """Paid customers renew monthly on their billing day (their subscription may predate the
    data, so the first renewal falls within a month of arriving), until their activity ends."""
    paid = np.isin(folks["plan"].to_numpy(), ["pro", "team"])
    customer = folks["lifecycle"].to_numpy() == "customer"
    arrival, end = folks["arrival"].to_numpy(), folks["end"].to_numpy()
    billing = arrival + (rng.random(len(folks)) * MONTH).astype(np.int64)
    due = np.maximum(-(-(end - billing) // MONTH), 0)  # renewals at billing + k months < end
    who, rank = expand(np.where(paid & customer, due, 0))
    frame = _events("subscription_renewed", who, billing[who] + rank * MONTH, "web")
    plan = folks["plan"].to_numpy()[who]
    frame["prop_plan"] = plan
    frame["prop_amount"] = pd.Series(plan).map(w.PLAN_PRICE).to_numpy(dtype=np.float64)
    return frame


def support(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    """Support tickets, and the satisfaction score most of them get a day or so later."""
    counts = rng.poisson(0.3 * _months(folks))
    who, ts = _spread(rng, folks, counts)
    channel = pick(rng, ["widget", "email", "whatsapp"], w.weights((5, 3, 2)), len(who))
    tickets = _events("support_ticket_opened", who, ts, channel)
    tickets["prop_topic"] = pick(rng, list(w.TICKET_TOPICS), w.weights(w.TICKET_TOPICS), len(who))
    tickets["prop_priority"] = pick(
        rng, list(w.TICKET_PRIORITIES), w.weights(w.TICKET_PRIORITIES), len(who)
    )
    rated = rng.random(len(who)) < 0.6
    later = ts[rated] + (rng.exponential(1.0, rated.sum()) * DAY).astype(np.int64)
    scores = rng.choice(5, size=rated.sum(), p=w.weights(w.CSAT_WEIGHTS)) + 1
    csat = _events("csat_submitted", who[rated], later, channel[rated])
    csat["prop_score"] = scores.astype(np.float64)
    return pd.concat([tickets, csat], ignore_index=True)


def value_sync(events: pd.DataFrame, people: int) -> pd.DataFrame:
    """One identify per buyer after their last payment, carrying their lifetime value."""
    paid = events[events["type"].isin(["purchase", "subscription_renewed"])]
    who = paid["person"].to_numpy()
    value = np.bincount(who, weights=paid["prop_amount"].to_numpy(), minlength=people)
    last = np.zeros(people, dtype=np.int64)
    np.maximum.at(last, who, paid["ts"].to_numpy())
    buyers = np.flatnonzero(value > 0)
    frame = _events("identify", buyers, last[buyers] + 60, "web")
    frame["trait_lifetime_value"] = np.round(value[buyers], 2)
    return frame
