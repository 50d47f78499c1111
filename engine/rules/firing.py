"""One rule firing: the rule, the profiles it fired for (with the values its actions read) and
how deep in a chain of rules it is. Shared by the actions and the events they emit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Firing:
    """One rule firing for a set of profiles; `refs` maps `event.<path>` to its frame column."""

    rule_id: int
    rule: str
    frame: pd.DataFrame
    refs: dict[str, str]
    depth: int
    now: dt.datetime

    @property
    def actor(self) -> str:
        return f"rule:{self.rule}"

    @property
    def profile_ids(self) -> list[int]:
        return sorted({int(p) for p in self.frame["profile_id"]})
