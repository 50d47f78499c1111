"""Workspace settings: identity resolution (priority, per-profile limits, blocked values), the
merge cap (how many profiles may be merged into one by hand), the lifecycle stages a profile
may be in, the session inactivity timeout and the server's clock (how often time-dependent
segments are re-evaluated, how webhook deliveries back off). Persisted in the `settings`
table; every setter validates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.catalog.vocab import IDENTITY_TYPES, LIFECYCLE_STAGES
from kith_errors import ValidationError
from store import settings as repo
from store.db import Database

DEFAULT_LIMITS: dict[str, int] = {"user_id": 1, "email": 5, "phone": 5, "anonymous_id": 100}
CHANNEL_ID_LIMIT = 5
DEFAULT_BLOCKED: tuple[str, ...] = (
    "",
    "null",
    "none",
    "nil",
    "anonymous",
    "0",
    "-1",
    "undefined",
    "unknown",
    "n/a",
    "na",
    "test",
    "[object object]",
)
DEFAULT_SESSION_TIMEOUT = 30
MAX_SESSION_TIMEOUT = 24 * 60
DEFAULT_TIME_REFRESH = 300  # seconds between re-evaluations of time-dependent segments
DEFAULT_WEBHOOK_BACKOFF = 30  # seconds before the first retry of a failed delivery
DEFAULT_WEBHOOK_ATTEMPTS = 6
DAY_SECONDS = 24 * 60 * 60
DEFAULT_MERGE_CAP = 10  # profiles merged by hand into one profile, at most
MAX_MERGE_CAP = 1000
MAX_LIFECYCLE_STAGES = 20
LIFECYCLE_KEY = "profiles.lifecycle_stages"
_STAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$")

_PRIORITY, _LIMITS, _BLOCKED, _TIMEOUT = (
    "identity.priority",
    "identity.limits",
    "identity.blocked_values",
    "sessions.timeout_minutes",
)
_REFRESH, _BACKOFF, _ATTEMPTS, _MERGE_CAP = (
    "clock.time_refresh_seconds",
    "webhooks.backoff_seconds",
    "webhooks.max_attempts",
    "merge.cap",
)


_KEYS = (_PRIORITY, _LIMITS, _BLOCKED, _TIMEOUT, _REFRESH, _BACKOFF, _ATTEMPTS, _MERGE_CAP)


class Settings:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.generation = 0  # bumped by every change, so callers may cache what they read

    def _put(self, key: str, value: Any) -> None:
        repo.put(self.db, key, value)
        self.generation += 1

    # ---- identity priority -------------------------------------------------------------------

    @property
    def identity_priority(self) -> list[str]:
        """Identity types, highest priority first."""
        return repo.get(self.db, _PRIORITY) or list(IDENTITY_TYPES)

    def set_identity_priority(self, types: Iterable[str]) -> None:
        order = list(types)
        _check_types(order, "identity priority")
        missing = [t for t in IDENTITY_TYPES if t not in order]
        if missing or len(set(order)) != len(order):
            raise ValidationError(
                "identity priority must list every identity type exactly once; "
                f"missing: {', '.join(missing) or 'none'}",
                details={"given": order, "missing": missing},
            )
        self._put(_PRIORITY, order)

    # ---- per-profile limits ------------------------------------------------------------------

    @property
    def identity_limits(self) -> dict[str, int]:
        """How many values of each identity type one profile may hold."""
        limits = {t: DEFAULT_LIMITS.get(t, CHANNEL_ID_LIMIT) for t in IDENTITY_TYPES}
        limits.update(repo.get(self.db, _LIMITS) or {})
        return limits

    def set_identity_limits(self, limits: Mapping[str, int]) -> None:
        """Change the limits of the given types (others keep theirs)."""
        _check_types(list(limits), "identity limits")
        for key, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(
                    f"identity limit for {key!r} must be a whole number >= 1, got {value!r}",
                    details={"type": key, "value": value},
                )
        stored = repo.get(self.db, _LIMITS) or {}
        self._put(_LIMITS, {**stored, **limits})

    # ---- blocked values ----------------------------------------------------------------------

    @property
    def blocked_values(self) -> list[str]:
        """Identity values never used for matching (compared lower-cased and trimmed)."""
        stored = repo.get(self.db, _BLOCKED)
        return list(DEFAULT_BLOCKED) if stored is None else stored

    def set_blocked_values(self, values: Iterable[Any]) -> None:
        cleaned = []
        for value in values:
            if not isinstance(value, str):
                raise ValidationError(
                    f"blocked identity values must be strings, got {value!r}",
                    details={"value": value},
                )
            cleaned.append(value.strip().lower())
        self._put(_BLOCKED, sorted(set(cleaned)))

    # ---- merging by hand ---------------------------------------------------------------------

    @property
    def merge_cap(self) -> int:
        """How many profiles a manual merge may fold into one profile, in all."""
        return self._whole(_MERGE_CAP, DEFAULT_MERGE_CAP)

    def set_merge_cap(self, cap: int) -> None:
        self._put(_MERGE_CAP, _bounded(cap, "merge cap (profiles merged into one)", MAX_MERGE_CAP))

    # ---- lifecycle stages --------------------------------------------------------------------

    @property
    def lifecycle_stages(self) -> list[str]:
        """The stages a profile's `lifecycle` may take, in the order people move through them;
        every write path checks new values against them (values stored before a change stay)."""
        stored = repo.get(self.db, LIFECYCLE_KEY)
        return list(LIFECYCLE_STAGES) if stored is None else stored

    def set_lifecycle_stages(self, stages: Iterable[Any]) -> None:
        chosen = [_stage(stage) for stage in stages]
        if not 1 <= len(chosen) <= MAX_LIFECYCLE_STAGES:
            raise ValidationError(
                f"give between 1 and {MAX_LIFECYCLE_STAGES} lifecycle stages, got {len(chosen)}"
            )
        twice = sorted({s for s in chosen if chosen.count(s) > 1})
        if twice:
            raise ValidationError(f"lifecycle stage {twice[0]!r} is listed twice")
        self._put(LIFECYCLE_KEY, chosen)

    # ---- sessions ----------------------------------------------------------------------------

    @property
    def session_timeout_minutes(self) -> int:
        stored = repo.get(self.db, _TIMEOUT)
        return DEFAULT_SESSION_TIMEOUT if stored is None else int(stored)

    @session_timeout_minutes.setter
    def session_timeout_minutes(self, minutes: int) -> None:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValidationError(
                f"session timeout must be a whole number of minutes, got {minutes!r}",
                details={"value": minutes},
            )
        if not 1 <= minutes <= MAX_SESSION_TIMEOUT:
            raise ValidationError(
                f"session timeout must be between 1 and {MAX_SESSION_TIMEOUT} minutes, "
                f"got {minutes}",
                details={"value": minutes},
            )
        self._put(_TIMEOUT, minutes)

    # ---- the server's clock ------------------------------------------------------------------

    @property
    def time_refresh_seconds(self) -> int:
        """How often `kith serve` re-evaluates the segments with a relative time window."""
        return self._whole(_REFRESH, DEFAULT_TIME_REFRESH)

    def set_time_refresh_seconds(self, seconds: int) -> None:
        self._put(_REFRESH, _bounded(seconds, "time-based refresh interval (seconds)", DAY_SECONDS))

    @property
    def webhook_backoff_seconds(self) -> int:
        """The wait before a failed delivery's first retry; it doubles with every attempt."""
        return self._whole(_BACKOFF, DEFAULT_WEBHOOK_BACKOFF)

    def set_webhook_backoff_seconds(self, seconds: int) -> None:
        self._put(_BACKOFF, _bounded(seconds, "webhook backoff (seconds)", DAY_SECONDS))

    @property
    def webhook_max_attempts(self) -> int:
        """Attempts after which a delivery is marked failed."""
        return self._whole(_ATTEMPTS, DEFAULT_WEBHOOK_ATTEMPTS)

    def set_webhook_max_attempts(self, attempts: int) -> None:
        self._put(_ATTEMPTS, _bounded(attempts, "webhook attempts", 50))

    def _whole(self, key: str, default: int) -> int:
        stored = repo.get(self.db, key)
        return default if stored is None else int(stored)

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity_priority": self.identity_priority,
            "identity_limits": self.identity_limits,
            "blocked_values": self.blocked_values,
            "session_timeout_minutes": self.session_timeout_minutes,
            "time_refresh_seconds": self.time_refresh_seconds,
            "webhook_backoff_seconds": self.webhook_backoff_seconds,
            "webhook_max_attempts": self.webhook_max_attempts,
            "merge_cap": self.merge_cap,
            "lifecycle_stages": self.lifecycle_stages,
        }

    def reset(self) -> None:
        """Back to the defaults."""
        for key in (*_KEYS, LIFECYCLE_KEY):
            repo.delete(self.db, key)


def _stage(stage: Any) -> str:
    text = stage.strip() if isinstance(stage, str) else ""
    if not _STAGE.match(text):
        raise ValidationError(
            f"lifecycle stage {stage!r} must be 1-40 letters, digits, spaces, '_' or '-'",
            details={"stage": stage},
        )
    return text


def _check_types(types: list[str], what: str) -> None:
    unknown = [t for t in types if t not in IDENTITY_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown identity type {unknown[0]!r} in {what}; "
            f"known types: {', '.join(IDENTITY_TYPES)}",
            details={"unknown": unknown},
        )


def _bounded(value: int, what: str, high: int) -> int:
    """A whole number from 1 to `high`, or a ValidationError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{what} must be a whole number, got {value!r}", details={"value": value}
        )
    if not 1 <= value <= high:
        raise ValidationError(
            f"{what} must be between 1 and {high}, got {value}", details={"value": value}
        )
    return value
