"""The people of one block: who they are, where they reach us, and when.

One row per real person (the truth the demo knows; identity resolution has to rediscover it from
the events). Times are integer seconds since the spec's start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo import words as w
from engine.demo.spec import DAY, DemoSpec, between, pick, rng_for, scramble

PHONE_FACTOR = 7_919_019
USER_FACTOR = 48_271_001
ANON_FACTOR = 16_807_003
SOCIAL_FACTOR = 69_069_007


def people(spec: DemoSpec, block: int, first: int, count: int) -> pd.DataFrame:
    """Every person of a block with names, places, identities, lifecycle and timeline."""
    rng = rng_for(spec, block, "people")
    ids = np.arange(first, first + count, dtype=np.int64)
    frame = pd.DataFrame({"person": ids})
    _names(rng, frame)
    _places(rng, frame)
    _company_and_email(rng, frame)
    _channels(rng, frame)
    _profile_fields(rng, frame)
    _timeline(rng, spec, frame)
    return frame


def _text(values: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(values, dtype="string")


def _names(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    n = len(frame)
    frame["first"] = _text(pick(rng, w.FIRST_NAMES, None, n))
    frame["last"] = _text(pick(rng, w.LAST_NAMES, None, n))
    frame["name"] = frame["first"] + " " + frame["last"]


def _places(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    n = len(frame)
    table = w.COUNTRIES
    country = rng.choice(len(table), size=n, p=w.weights(tuple(c[4] for c in table)))
    sizes = np.array([len(c[5]) for c in table])
    offsets = np.cumsum(sizes) - sizes
    cities = np.array([city for c in table for city in c[5]], dtype=object)
    city = offsets[country] + (rng.random(n) * sizes[country]).astype(np.int64)
    frame["country"] = _text(np.array([c[0] for c in table], dtype=object)[country])
    frame["city"] = _text(cities[city])
    english = rng.random(n) < 0.2  # some people prefer English wherever they live
    language = np.array([c[3] for c in table], dtype=object)[country]
    frame["language"] = _text(np.where(english, "en", language))
    currency = np.array([c[2] for c in table], dtype=object)[country]
    frame["currency"] = np.where(np.isin(currency, ["EUR", "GBP"]), currency, "USD")
    calling = _text(np.array([c[1] for c in table], dtype=object)[country])
    national = rng.integers(2, 10, n) * 10**9 + scramble(frame["person"], PHONE_FACTOR)
    frame["phone_number"] = "+" + calling + _text(national.astype(str))


def _company_and_email(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    n = len(frame)
    employed = rng.random(n) < 0.55
    company = rng.integers(0, len(w.COMPANIES), n)
    names = np.array([c[0] for c in w.COMPANIES], dtype=object)[company]
    domains = np.array([c[1] for c in w.COMPANIES], dtype=object)[company]
    frame["company"] = _text(np.where(employed, names, w.MISSING))
    work_mail = employed & (rng.random(n) < 0.6)
    domain = _text(np.where(work_mail, domains, pick(rng, w.FREE_MAIL, None, n)))
    local = frame["first"].str.lower() + "." + frame["last"].str.lower()
    frame["email_address"] = local + _text(frame["person"].astype(str)) + "@" + domain


def _channels(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Which channels a person uses and the identity they carry on each."""
    n = len(frame)
    primary = pick(rng, list(w.PRIMARY_CHANNELS), w.weights(w.PRIMARY_CHANNELS), n)
    frame["primary"] = _text(primary)
    phone_first = np.isin(primary, ["whatsapp", "sms"])
    has_email = np.isin(primary, ["email", "web"]) | (rng.random(n) < 0.82)  # web: sign-up
    has_phone = phone_first | (rng.random(n) < 0.6)
    frame["email"] = frame["email_address"].where(has_email)
    frame["phone"] = frame["phone_number"].where(has_phone)
    frame["whatsapp"] = frame["phone"].where((primary == "whatsapp") | (rng.random(n) < 0.4))
    frame["sms"] = frame["phone"].where((primary == "sms") | (rng.random(n) < 0.3))
    frame["has_web"] = (primary == "web") | (has_email & (rng.random(n) < 0.55))  # log in by email
    code = _text(scramble(frame["person"], SOCIAL_FACTOR).astype(str))
    handle = (
        frame["first"].str.lower()
        + "_"
        + frame["last"].str.lower()
        + frame["person"].astype("string")
    )
    values = {
        "instagram": "@" + handle,
        "telegram": "7" + code,
        "line": "U" + code,
        "facebook": "1000" + code,
        "tiktok": "@" + handle + "_tt",
        "widget": "wgt-" + code,
    }
    for channel, value in values.items():
        frame[channel] = value.where((primary == channel) | (rng.random(n) < 0.07))
    anon = _text(scramble(frame["person"], ANON_FACTOR).astype(str))
    frame["anonymous_id"] = ("anon-" + anon).where(frame["has_web"])


def _profile_fields(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    n = len(frame)
    lifecycle = pick(rng, list(w.LIFECYCLE_WEIGHTS), w.weights(w.LIFECYCLE_WEIGHTS), n)
    frame["lifecycle"] = _text(lifecycle)
    frame["source"] = _text(pick(rng, list(w.SOURCE_WEIGHTS), w.weights(w.SOURCE_WEIGHTS), n))
    frame["platform"] = _text(pick(rng, list(w.PLATFORM_WEIGHTS), w.weights(w.PLATFORM_WEIGHTS), n))
    paying = np.isin(lifecycle, ["customer", "churned"])
    plan = pick(rng, list(w.PLAN_WEIGHTS), w.weights(w.PLAN_WEIGHTS), n)
    frame["plan"] = _text(np.where(paying | (plan == "free"), plan, "free"))
    account = paying | np.isin(lifecycle, ["qualified"]) | (rng.random(n) < 0.3)
    user = _text(scramble(frame["person"], USER_FACTOR).astype(str))
    frame["user_id"] = ("u" + user).where(account & frame["email"].notna())
    frame["engagement"] = rng.gamma(2.0, 0.5, n)  # mean 1: how active a person is


def _timeline(rng: np.random.Generator, spec: DemoSpec, frame: pd.DataFrame) -> None:
    """Arrival (a growing audience: a base at the start, then more each week), the end of
    activity (churned people stop early), and the moments duplicates get joined."""
    n, span = len(frame), spec.span
    base = rng.random(n) < 0.35
    arrival = np.where(base, rng.random(n) * min(span, 7 * DAY), rng.power(1.6, n) * span)
    frame["arrival"] = arrival.astype(np.int64)
    churned = frame["lifecycle"].to_numpy() == "churned"
    stop = between(rng, frame["arrival"].to_numpy(), np.full(n, span))
    frame["end"] = np.where(churned, stop, span).astype(np.int64)
    _web_join(rng, frame)
    _whatsapp_join(rng, frame)


def _web_join(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Web people browse anonymously from `web_from` and log in at `web_known`. For web-first
    people that login is their arrival; others already have a profile, so it is a merge."""
    n = len(frame)
    arrival, end = frame["arrival"].to_numpy(), frame["end"].to_numpy()
    web_first = frame["primary"].to_numpy() == "web"
    later = between(rng, arrival, arrival + (end - arrival) // 2)
    web_from = np.where(web_first, arrival, later)
    gap = (rng.exponential(3.0, n) * DAY).astype(np.int64)
    frame["web_from"] = web_from
    frame["web_known"] = np.minimum(web_from + gap, web_from + (end - web_from) // 2)


def _whatsapp_join(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    """Half of the people who are on WhatsApp but arrived elsewhere first write in on WhatsApp
    (a new contact, whatsapp id only) and later confirm their phone (the same person)."""
    n = len(frame)
    arrival, end = frame["arrival"].to_numpy(), frame["end"].to_numpy()
    late = frame["whatsapp"].notna().to_numpy() & (frame["primary"].to_numpy() != "whatsapp")
    frame["wa_late"] = late & (rng.random(n) < 0.5)
    frame["wa_first"] = between(rng, arrival, arrival + (end - arrival) // 2)
    gap = (rng.exponential(2.0, n) * DAY).astype(np.int64)
    frame["wa_known"] = np.minimum(frame["wa_first"] + gap, end - 1)
