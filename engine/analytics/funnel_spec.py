"""What a funnel is: its steps, exclusions, window, order, audience and breakdown, validated when
made, with each step's `where` filter parsed once into the language's EventMatch (errors point
into the filter's own text). The query (funnel_query.py, funnel_unordered.py) and the service
(funnels.py) both read these; neither is imported here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SkipValidation,
    field_validator,
    model_validator,
)

from dsl import parse_segment
from dsl.ast import Did, EventMatch, Expr
from engine.analytics import periods
from kith_errors import DslError, ValidationError, validation_message

Order = Literal["ordered", "strict", "unordered"]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|secs?|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$"
)
_STEP_RANGE = re.compile(r"^\s*([1-9]\d*)\s*(?:-\s*([1-9]\d*)\s*)?$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class EventPoint(BaseModel):
    """An event type and an optional `where` filter in the segment language, parsed once when
    the point is made (`match`); a point made from a parsed match (a goal's) keeps that node."""

    model_config = ConfigDict(frozen=True)
    event: str
    where: str | None = None
    _match: EventMatch | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        if self._match is None:
            self._match = _event_match(self.event, self.where)

    @property
    def match(self) -> EventMatch:
        assert self._match is not None  # set when the point is made
        return self._match

    def source(self) -> tuple[str, str]:
        """The text the filter was parsed from, as (prefix, where): error carets point into it."""
        return (_prefix(self.event), self.where) if self.where is not None else ("", "")


class FunnelStep(EventPoint):
    """One step: an event type and an optional `where` filter in the segment language."""

    @field_validator("event")
    @classmethod
    def _event_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not an event type name")
        return value

    @classmethod
    def parse(cls, text: str) -> FunnelStep:
        """`purchase` or `purchase where amount > 100`."""
        event, sep, where = text.strip().partition(" where ")
        if sep and not where.strip():
            raise ValidationError(f"step {text!r}: nothing after 'where'")
        try:
            return cls(event=event.strip(), where=where.strip() or None)
        except ValueError as err:
            raise ValidationError(f"step {text!r}: {event.strip()!r} is not an event type") from err

    @classmethod
    def matching(cls, match: EventMatch) -> FunnelStep:
        """The step of an event match parsed elsewhere (a goal's start or target)."""
        step = cls(event=match.event or "")
        step._match = match
        return step


class Exclusion(EventPoint):
    """An event that voids an attempt when it happens between steps `after_step` and
    `before_step` (1-based; before_step defaults to the step after)."""

    after_step: int = Field(ge=1)
    before_step: int | None = None

    @property
    def upper(self) -> int:
        return self.before_step if self.before_step is not None else self.after_step + 1

    @classmethod
    def parse(cls, text: str) -> Exclusion:
        """`EVENT[ where FILTER]:FROM[-TO]`: `cancel:1`, `refund where amount > 10:2-4`. The
        steps are 1-based; without TO the exclusion runs to the step after FROM."""
        point, sep, steps = text.rpartition(":")
        match = _STEP_RANGE.match(steps)
        if not sep or not point.strip() or match is None:
            raise ValidationError(
                f"exclusion {text!r}: write EVENT:STEP or EVENT where FILTER:FROM-TO, "
                "like cancel:1 or refund where amount > 10:2-4"
            )
        step = FunnelStep.parse(point)
        before = int(match.group(2)) if match.group(2) else None
        fields = {"event": step.event, "where": step.where, "after_step": int(match.group(1))}
        try:
            return cls(**fields, before_step=before)  # type: ignore[arg-type]
        except ValueError as err:
            raise ValidationError(f"exclusion {text!r}: {spec_error(err)}") from err


class FunnelSpec(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    steps: list[FunnelStep] = Field(min_length=1)
    within: dt.timedelta = dt.timedelta(days=14)
    start: periods.Bound | None = None
    end: periods.Bound | None = None
    order: Order = "ordered"
    exclusions: list[Exclusion] = Field(default_factory=list)
    audience: SkipValidation[str | Expr | None] = None  # text, or an expression parsed already
    breakdown: str | None = None
    top: int | None = Field(default=None, ge=1, le=50)  # values shown; the rest: "(other)"
    as_of: dt.datetime | None = None

    @field_validator("within")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("the conversion window must be positive")
        return value

    @model_validator(mode="after")
    def _exclusions_fit(self) -> FunnelSpec:
        for ex in self.exclusions:
            if not ex.after_step < ex.upper <= len(self.steps):
                raise ValueError(
                    f"exclusion {ex.event!r}: steps {ex.after_step}..{ex.upper} are not two "
                    f"steps of this {len(self.steps)}-step funnel"
                )
        return self


def parse_within(text: str) -> dt.timedelta:
    """`7d`, `12h`, `30 minutes`, `2w`, `10s` -> a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValidationError(
            f"window {text!r}: use a number and a unit, like 10s, 30m, 12h, 7d, 2w"
        )
    unit = _UNITS[match.group(2)[0]]
    return dt.timedelta(**{unit: int(match.group(1))})


def spec_from(**fields: object) -> FunnelSpec:
    """A FunnelSpec from loose input, with pydantic's complaints turned into our error."""
    try:
        return FunnelSpec(**fields)  # type: ignore[arg-type]
    except ValueError as err:
        raise ValidationError(f"funnel: {spec_error(err)}") from err


def spec_error(err: ValueError) -> str:
    """The first complaint of a pydantic validation error, with where it was."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = validation_message(first)
        return f"{where}: {message}" if where else message
    return str(err)


def _event_match(event: str, where: str | None) -> EventMatch:
    """`EVENT where FILTER` as the language's EventMatch; errors point into `where`."""
    if where is None:
        return EventMatch(event)
    prefix = _prefix(event)
    with pointing_into(where, prefix):
        node = parse_segment(prefix + where)
    if not isinstance(node, Did) or node.match.where is None:
        raise ValidationError(f"{where!r} is not an event filter (like: amount > 100)")
    return node.match


def _prefix(event: str) -> str:
    return "did " + event + " where "


@contextmanager
def pointing_into(where: str, prefix: str) -> Iterator[None]:
    """Re-raise a DslError about `prefix + where` as one about `where` alone."""
    try:
        yield
    except DslError as err:
        column = max(err.column - len(prefix), 1) if err.line == 1 else err.column
        raise type(err)(
            err.message,
            source=where if err.line == 1 else prefix + where,
            line=err.line,
            column=column,
            expected=err.expected,
            suggestion=err.suggestion,
        ) from err
