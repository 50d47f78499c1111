"""The typed AST of the Kith language: segments, rules and goals.

Nodes are small frozen dataclasses. Every node carries a `pos` (line, column of its first token)
that is left out of equality, so an expression re-parsed from its pretty-printed form compares
equal to the original. No Lark type ever appears here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal as Lit


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


def _pos() -> Pos | None:
    return field(default=None, compare=False, repr=False)


Scalar = str | int | float | bool | dt.date | dt.datetime
TimeUnit = Lit["minutes", "hours", "days", "weeks", "months"]


@dataclass(frozen=True)
class Value:
    """A literal: string, number, boolean, ISO date/timestamp, or a list of scalars (a tuple)."""

    value: Scalar | tuple[Scalar, ...]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Path:
    """A property name, dotted for custom/nested properties (`address.city`, `event.channel`)."""

    parts: tuple[str, ...]
    pos: Pos | None = _pos()

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: TimeUnit
    pos: Pos | None = _pos()


# ---- boolean structure ------------------------------------------------------------------------


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Not:
    item: Expr
    pos: Pos | None = _pos()


# ---- property predicates (profile properties, or event properties inside `where`) -------------

CompareOp = Lit["=", "!=", "<", "<=", ">", ">=", "before", "after"]
StringOp = Lit["contains", "starts_with", "ends_with", "matches"]


@dataclass(frozen=True)
class Compare:
    """`country = "ID"`, `amount > 100`, `created_at before "2026-01-01"`."""

    field: Path
    op: CompareOp
    value: Value
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class InList:
    """`plan in ["pro", "team"]`; `negated` for `not in`."""

    field: Path
    values: Value  # value is a tuple
    negated: bool = False
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Between:
    """`age between 18 and 30` (inclusive on both ends)."""

    field: Path
    low: Value
    high: Value
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class IsSet:
    """`company is set`; `negated` for `is not set`."""

    field: Path
    negated: bool = False
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class StringMatch:
    """`email ends with "@acme.com"`, `url contains "/pricing"`, `name matches "^A"`."""

    field: Path
    op: StringOp
    value: Value
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class RelativeDate:
    """`created_at within last 30 days` / `last_seen more than 30 days ago`."""

    field: Path
    op: Lit["within_last", "more_than_ago"]
    duration: Duration
    pos: Pos | None = _pos()


# ---- time windows for event predicates -------------------------------------------------------


@dataclass(frozen=True)
class LastWindow:
    """`in last 14 days`: as_of - 14 days < timestamp <= as_of."""

    duration: Duration
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class DateWindow:
    """`between "2026-01-01" and "2026-02-01"` (start inclusive, end exclusive),
    `before "..."` (start None) or `after "..."` (end None)."""

    start: Value | None
    end: Value | None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class AgoWindow:
    """`between 7 and 14 days ago`: as_of - 14 days < timestamp <= as_of - 7 days."""

    low: int
    high: int
    unit: TimeUnit
    pos: Pos | None = _pos()


Window = LastWindow | DateWindow | AgoWindow


@dataclass(frozen=True)
class Frequency:
    """`at least 2 times`, `at most 3 times`, `exactly 1 times`, `between 2 and 5 times`."""

    op: Lit["at_least", "at_most", "exactly", "between"]
    n: int
    m: int | None = None  # upper bound, for `between`
    pos: Pos | None = _pos()


# ---- event predicates ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventMatch:
    """Which events: a type (None = `any event`) and an optional `where` filter over event
    properties (fields in `where` are event property paths, plus `channel` and `source`)."""

    event: str | None
    where: Expr | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Did:
    """`did purchase where amount > 100 at least 2 times in last 14 days`; `did not ...`."""

    match: EventMatch
    negated: bool = False
    frequency: Frequency | None = None
    window: Window | None = None
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Aggregate:
    """`total amount of purchase in last 90 days > 1000`.

    func is sum/avg/min/max/count; `prop` is None for count. A profile with no matching events
    has count 0 and no sum/avg/min/max (so the comparison is false)."""

    func: Lit["sum", "avg", "min", "max", "count"]
    prop: Path | None
    match: EventMatch
    window: Window | None
    op: Lit["=", "!=", "<", "<=", ">", ">="]
    value: Value
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Occurrence:
    """`first purchase more than 90 days ago`, `last page_view within last 7 days`,
    `last purchase before "2026-01-01"`."""

    which: Lit["first", "last"]
    match: EventMatch
    op: Lit["within_last", "more_than_ago", "before", "after"]
    duration: Duration | None = None  # for within_last / more_than_ago
    date: Value | None = None  # for before / after
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Sequence:
    """`did signup then purchase within 7 days`: the steps in order, each at or after the
    previous one, the last within `within` of the first; optional `window` on the first step."""

    steps: tuple[EventMatch, ...]
    within: Duration | None = None
    window: Window | None = None
    negated: bool = False
    pos: Pos | None = _pos()


# ---- membership ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InSegment:
    name: str
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class HasLabel:
    label: str
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class HasChannel:
    channel: str
    pos: Pos | None = _pos()


ConsentStatus = Lit["granted", "denied", "revoked", "unknown"]


@dataclass(frozen=True)
class ConsentIs:
    """`consent whatsapp is granted`. `unknown` means no consent record for that channel."""

    channel: str
    status: ConsentStatus
    pos: Pos | None = _pos()


Expr = (
    And
    | Or
    | Not
    | Compare
    | InList
    | Between
    | IsSet
    | StringMatch
    | RelativeDate
    | Did
    | Aggregate
    | Occurrence
    | Sequence
    | InSegment
    | HasLabel
    | HasChannel
    | ConsentIs
)


# ---- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventTrigger:
    """`when purchase where amount > 500`."""

    match: EventMatch
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class ScheduleTrigger:
    """`every day`, `every hour`."""

    every: Lit["minute", "hour", "day", "week"]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class SegmentTrigger:
    """`when entering segment "vip"` / `when leaving segment "vip"`."""

    change: Lit["entering", "leaving"]
    segment: str
    pos: Pos | None = _pos()


Trigger = EventTrigger | ScheduleTrigger | SegmentTrigger


@dataclass(frozen=True)
class EventRef:
    """`event.channel`, `event.amount`: a property of the triggering event."""

    path: Path
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class SetProperty:
    prop: Path
    value: Value | EventRef
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class UnsetProperty:
    prop: Path
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Increment:
    prop: Path
    by: int | float = 1
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class LabelAction:
    """`add label "vip"` / `remove label "vip"`."""

    label: str
    remove: bool = False
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class ListAction:
    """`add to list "vip-outreach"` / `remove from list "vip-outreach"`."""

    list_name: str
    remove: bool = False
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class SetConsent:
    """`set consent email to revoked`."""

    channel: str
    status: Lit["granted", "denied", "revoked"]
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class EmitEvent:
    """`emit event "vip_reached" with tier = "gold"`."""

    event: str
    properties: tuple[tuple[str, Value | EventRef], ...] = ()
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class CallWebhook:
    """`call webhook "https://example.com/hook"`."""

    url: str
    pos: Pos | None = _pos()


@dataclass(frozen=True)
class Notify:
    """`notify "Big spender: check the account"`."""

    message: str
    pos: Pos | None = _pos()


Action = (
    SetProperty
    | UnsetProperty
    | Increment
    | LabelAction
    | ListAction
    | SetConsent
    | EmitEvent
    | CallWebhook
    | Notify
)


@dataclass(frozen=True)
class Rule:
    trigger: Trigger
    condition: Expr | None
    actions: tuple[Action, ...]
    pos: Pos | None = _pos()


# ---- goals -----------------------------------------------------------------------------------

GoalPoint = EventMatch | Expr


@dataclass(frozen=True)
class Goal:
    """`goal "Trial signup": start page_view where url contains "/pricing" target signup
    within 7 days`. A point is an event match, or `segment <expr>` (a segment expression)."""

    name: str
    target: EventMatch | Expr
    start: EventMatch | Expr | None = None
    within: Duration | None = None
    audience: Expr | None = None
    pos: Pos | None = _pos()
