"""What to generate (`DemoSpec`) and the seeded randomness every generator module shares.

Determinism: every block of people and every part of a block draws from its own generator,
seeded by (seed, block, part): the same spec yields the same frames, and the parts do not shift
one another when one of them changes.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.clock import utcnow
from kith_errors import ValidationError

DAY = 86_400
BLOCK = 20_000  # people generated (and ingested) together; fixed so output never depends on size
MAX_PROFILES = 5_000_000


def today() -> dt.date:
    """The current UTC date: demo data ends at today's midnight (UTC) unless told otherwise."""
    return utcnow().date()


@dataclass(frozen=True)
class DemoSpec:
    """`profiles` people over the `days` before midnight (UTC) of `until`, drawn from `seed`."""

    profiles: int = 5_000
    days: int = 90
    seed: int = 7
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.profiles <= MAX_PROFILES:
            raise ValidationError(
                f"--profiles must be between 1 and {MAX_PROFILES:,}, got {self.profiles}",
                details={"field": "profiles"},
            )
        if not 1 <= self.days <= 3_650:
            raise ValidationError(
                f"--days must be between 1 and 3650, got {self.days}", details={"field": "days"}
            )
        if self.seed < 0:
            raise ValidationError(
                f"--seed must be >= 0, got {self.seed}", details={"field": "seed"}
            )

    @property
    def end(self) -> dt.datetime:
        """Exclusive end of the data: midnight UTC at the start of `until` (default today)."""
        day = self.until or today()
        return dt.datetime(day.year, day.month, day.day)

    @property
    def start(self) -> dt.datetime:
        return self.end - dt.timedelta(days=self.days)

    @property
    def span(self) -> int:
        """Seconds between start and end."""
        return self.days * DAY

    def blocks(self) -> list[tuple[int, int]]:
        """(first person, person count) of each block."""
        return [
            (first, min(BLOCK, self.profiles - first)) for first in range(0, self.profiles, BLOCK)
        ]


def rng_for(spec: DemoSpec, block: int, part: str) -> np.random.Generator:
    """The generator of one part of one block (`part` is a stable name such as "web")."""
    key = zlib.crc32(part.encode())
    return np.random.default_rng(np.random.SeedSequence([spec.seed, block, key]))


def pick(
    rng: np.random.Generator, options: Sequence[str], p: np.ndarray | None, n: int
) -> np.ndarray:
    """`n` draws from `options` (with probabilities `p`, or uniform) as a string array."""
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def scramble(ids: np.ndarray, factor: int, modulus: int = 10**9) -> np.ndarray:
    """A bijection on [0, modulus): ids that look random but never collide
    (`factor` must be coprime with `modulus`)."""
    return (ids.astype(np.int64) * factor + 12_345) % modulus


def daytime(rng: np.random.Generator, seconds: np.ndarray) -> np.ndarray:
    """Move each moment to a plausible hour of the same day (people are busier by day and in
    the evening), keeping the day."""
    n = len(seconds)
    evening = rng.random(n) < 0.35
    hour = np.where(evening, rng.normal(20.0, 1.8, n), rng.normal(12.0, 2.8, n))
    second_of_day = (np.clip(hour, 0.0, 23.99) * 3600).astype(np.int64)
    return seconds - seconds % DAY + second_of_day


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform moment in [lo, hi) per row (integer seconds; hi <= lo gives lo)."""
    width = np.maximum(hi - lo, 0)
    return lo + (rng.random(len(lo)) * width).astype(np.int64)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-row counts: the row index repeated `count` times and the 0-based rank within it."""
    counts = counts.astype(np.int64)
    rows = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(rows)) - np.repeat(starts, counts)
    return rows, rank
