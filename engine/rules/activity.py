"""What the rules did, for people to see and act on: each rule's runs (last and next run,
firings, failures), the inbox of notifications, and the webhook delivery queue.

`RuleActivity` is the base of `Rules` (engine/rules/service.py), which runs the rules; it also
keeps the parsed rules (one parse per source text)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

import dsl
from dsl.ast import Rule, ScheduleTrigger
from engine.clock import as_of_or_now, utcnow
from engine.rules.webhooks import DeliveryStats, deliver
from kith_errors import NotFound, ValidationError
from store import rules as repo

if TYPE_CHECKING:
    from engine.admin.settings import Settings
    from store import Database

PERIODS = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(weeks=1),
}
WEBHOOK_STATUSES = ("pending", "delivered", "failed")
_OVERVIEW = ("name", "trigger", "enabled", "last_run", "next_run", "firings", "failures")


class RuleActivity:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._parsed: dict[tuple[int, str], Rule] = {}

    def _cached(self, row: repo.RuleRow) -> Rule:
        """The rule of a stored row, parsed once per source text."""
        key = (row.id, row.source)
        if key not in self._parsed:
            self._parsed[key] = dsl.parse_rule(row.source)
        return self._parsed[key]

    def next_run(self, row: repo.RuleRow) -> dt.datetime | None:
        """When a schedule rule is next due (None for other triggers)."""
        rule = self._cached(row)
        if not isinstance(rule.trigger, ScheduleTrigger):
            return None
        last = row.last_scheduled_at
        return row.created_at if last is None else last + PERIODS[rule.trigger.every]

    def overview(self) -> pd.DataFrame:
        """Every rule with what it did: name, trigger, enabled, last run, next run (schedule
        rules), firings and failures (firings logged as an error or a refused write)."""
        outcomes = repo.rule_outcomes(self.db).set_index("rule_id")
        rows = [self._summary(row, outcomes) for row in repo.rows(self.db)]
        return pd.DataFrame(rows, columns=list(_OVERVIEW))

    def _summary(self, row: repo.RuleRow, outcomes: pd.DataFrame) -> dict[str, Any]:
        logged = outcomes.loc[row.id] if row.id in outcomes.index else None
        runs: list[Any] = [row.last_scheduled_at, None if logged is None else logged["last_run_at"]]
        return {
            "name": row.name,
            "trigger": dsl.format_trigger(self._cached(row).trigger),
            "enabled": row.enabled,
            "last_run": max((t for t in runs if not pd.isna(t)), default=None),
            "next_run": self.next_run(row) if row.enabled else None,
            "firings": row.fire_count,
            "failures": 0 if logged is None else int(logged["failures"]),
        }

    def notifications(self, *, limit: int = 100, unread: bool = False) -> pd.DataFrame:
        """The inbox, newest first: id, rule, profile_id, message, created_at, read_at."""
        return repo.notifications(self.db, limit, unread)

    def unread(self) -> int:
        """How many notifications nobody has marked read."""
        return repo.unread_count(self.db)

    def mark_read(self, ids: list[int] | None = None) -> int:
        """Mark these notifications read (all with None); returns how many were unread."""
        with self.db.transaction():
            return repo.mark_read(self.db, None if ids is None else list(ids), utcnow())

    def webhooks(self, status: str | None = None) -> pd.DataFrame:
        if status is not None and status not in WEBHOOK_STATUSES:
            raise ValidationError(
                f"webhook status {status!r} is not one of {', '.join(WEBHOOK_STATUSES)}"
            )
        return repo.webhooks(self.db, status)

    def webhook_counts(self) -> dict[str, int]:
        """Deliveries per status (pending, delivered, failed), zeros included."""
        counts = repo.webhook_counts(self.db)
        return {status: counts.get(status, 0) for status in WEBHOOK_STATUSES}

    def retry_webhook(self, hook_id: int) -> None:
        """Put a delivery back in the queue, due now (its attempts so far are kept)."""
        with self.db.transaction():
            if not repo.retry_webhook(self.db, int(hook_id), utcnow()):
                raise NotFound(
                    f"there is no undelivered webhook with id {hook_id}", details={"id": hook_id}
                )

    def deliver_webhooks(self, now: dt.datetime | None = None, **options: Any) -> DeliveryStats:
        """POST the due outbox rows; failures back off exponentially from the workspace's
        settings (engine/rules/webhooks.py)."""
        settings = self.settings
        options.setdefault("base", dt.timedelta(seconds=settings.webhook_backoff_seconds))
        options.setdefault("max_attempts", settings.webhook_max_attempts)
        return deliver(self.db, as_of_or_now(now), **options)


def due(row: repo.RuleRow, rule: Rule, now: dt.datetime) -> bool:
    """Whether a schedule rule's period has passed since it last ran (or it never ran)."""
    assert isinstance(rule.trigger, ScheduleTrigger)
    last = row.last_scheduled_at
    return last is None or last + PERIODS[rule.trigger.every] <= now
