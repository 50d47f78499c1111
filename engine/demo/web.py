"""Identify calls and web browsing of one block.

Identify calls are where duplicates come from: web people browse anonymously and log in later;
some WhatsApp contacts first write in with only their WhatsApp id and confirm their phone later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo import words as w
from engine.demo.keys import Keys
from engine.demo.spec import DAY, between, daytime, expand, pick

MAX_PAGES = 12
PAGE_GAP_MEAN = 75.0  # seconds between page views in a session
PAGE_GAP_MAX = 20 * 60  # below the 30-minute session timeout
SESSIONS_PER_MONTH = 7.0


def identifies(folks: pd.DataFrame) -> pd.DataFrame:
    """Arrival (with every trait), web login, WhatsApp first contact and confirmation."""
    web_first = (folks["primary"] == "web").to_numpy()
    arrival = np.where(web_first, folks["web_known"], folks["arrival"])
    rows = np.arange(len(folks))
    has_web = folks["has_web"].to_numpy()
    login = rows[has_web & ~web_first]
    wa = rows[folks["wa_late"].to_numpy()]
    keys = np.where(web_first, int(Keys.KNOWN_WEB), int(Keys.KNOWN))
    parts = [
        _identify(rows, arrival, folks["primary"].to_numpy(), keys, traits=True),
        _identify(login, folks["web_known"].to_numpy()[login], "web", Keys.WEB_LOGIN),
        _identify(wa, folks["wa_first"].to_numpy()[wa], "whatsapp", Keys.WA_ONLY),
        _identify(wa, folks["wa_known"].to_numpy()[wa], "whatsapp", Keys.WHATSAPP),
    ]
    return pd.concat(parts, ignore_index=True)


def _identify(
    rows: np.ndarray,
    ts: np.ndarray,
    channel: np.ndarray | str,
    keys: np.ndarray | Keys,
    traits: bool = False,
) -> pd.DataFrame:
    frame = pd.DataFrame({"person": rows, "ts": ts, "type": "identify", "channel": channel})
    frame["keys"] = np.asarray(keys, dtype=np.int64)
    frame["traits"] = traits
    return frame


def page_views(rng: np.random.Generator, folks: pd.DataFrame) -> pd.DataFrame:
    """Sessions of page views for people on the web: anonymous before their login, known after."""
    web = np.flatnonzero(folks["has_web"].to_numpy())
    start = folks["web_from"].to_numpy()[web]
    end = folks["end"].to_numpy()[web]
    months = (end - start) / (30 * DAY)
    rate = SESSIONS_PER_MONTH * folks["engagement"].to_numpy()[web] * months
    sessions, rank = expand(1 + rng.poisson(rate))
    person = web[sessions]
    begin = daytime(rng, between(rng, start[sessions], end[sessions]))
    begin = np.where(rank == 0, start[sessions], np.clip(begin, start[sessions], None))
    pages = np.minimum(1 + rng.geometric(0.28, len(person)) - 1, MAX_PAGES)
    return _pages(rng, folks, person, begin, pages)


def _pages(
    rng: np.random.Generator,
    folks: pd.DataFrame,
    person: np.ndarray,
    begin: np.ndarray,
    pages: np.ndarray,
) -> pd.DataFrame:
    session, rank = expand(pages)
    gaps = np.minimum(rng.exponential(PAGE_GAP_MEAN, len(session)), PAGE_GAP_MAX).astype(np.int64)
    gaps[rank == 0] = 0
    offsets = np.cumsum(gaps) - np.repeat((np.cumsum(gaps) - gaps)[rank == 0], pages)
    ts = begin[session] + offsets
    who = person[session]
    paths = np.array([p[0] for p in w.PAGES], dtype=object)
    titles = np.array([p[1] for p in w.PAGES], dtype=object)
    page = rng.choice(len(w.PAGES), size=len(session), p=w.weights(tuple(p[2] for p in w.PAGES)))
    referrer = pick(rng, list(w.REFERRERS), w.weights(w.REFERRERS), len(session))
    known = ts >= folks["web_known"].to_numpy()[who]
    frame = pd.DataFrame({"person": who, "ts": ts, "type": "page_view", "channel": "web"})
    frame["keys"] = np.where(known, int(Keys.WEB_USER), int(Keys.ANON))
    frame["prop_path"] = paths[page]
    frame["prop_url"] = w.SITE + frame["prop_path"]
    frame["prop_title"] = titles[page]
    frame["prop_referrer"] = np.where((rank == 0) & (referrer != ""), referrer, w.MISSING)
    frame["prop_duration"] = _durations(gaps, rank)
    platform = folks["platform"].to_numpy()[who]
    frame["device"] = np.where(platform == "mobile", "mobile", "desktop")  # the browser's kind
    return frame


def _durations(gaps: np.ndarray, rank: np.ndarray) -> pd.Series:
    """Seconds on each page: until the session's next page view (unknown for its last)."""
    following = np.append(gaps[1:], 0)
    last = np.append(rank[1:] == 0, True)
    return pd.Series(following, dtype="Int64").mask(pd.Series(last))
