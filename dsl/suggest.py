"""'Did you mean' suggestions, shared by the parser and the checker."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The valid name closest to `name`, or None when nothing is close enough.

    >>> suggest("contry", ["country", "city", "company"])
    'country'
    >>> suggest("Country", ["country"])
    'country'
    >>> suggest("zzz", ["country"]) is None
    True
    """
    pool = sorted(set(candidates))
    for candidate in pool:
        if candidate.lower() == name.lower() and candidate != name:
            return candidate
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return close[0] if close else None
