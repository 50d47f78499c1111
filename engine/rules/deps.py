"""What a rule's condition reads and what its actions write, to order a batch's rule work.

A rule with a condition must see the writes of the rules before it. When none of those rules
writes anything the condition reads, its firings can be found in the batch's one firing query
with the unconditional rules, and the queued writes need no flush before it. The analysis is
conservative: a node it does not know reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.ast import (
    Action,
    Aggregate,
    And,
    Between,
    CallWebhook,
    Compare,
    ConsentIs,
    Did,
    EmitEvent,
    Expr,
    HasChannel,
    HasLabel,
    Increment,
    InList,
    IsSet,
    LabelAction,
    ListAction,
    Not,
    Notify,
    Occurrence,
    Or,
    Path,
    RelativeDate,
    Sequence,
    SetConsent,
    SetProperty,
    StringMatch,
    UnsetProperty,
)
from engine.catalog.service import JSON_PROPERTY

_FIELD_NODES = (Compare, Between, InList, IsSet, StringMatch, RelativeDate)
_EVENT_NODES = (Did, Aggregate, Occurrence, Sequence)  # events: rules' emits land after the batch
_NO_PROFILE_EFFECT = (EmitEvent, CallWebhook, Notify)


@dataclass(frozen=True)
class Touches:
    """Profile state: property paths (as stored), labels, list membership, consent; `all`
    stands for anything (a saved segment may read every one of them)."""

    props: frozenset[tuple[str, ...]] = frozenset()
    labels: bool = False
    lists: bool = False
    consent: bool = False
    all: bool = False

    def __or__(self, other: Touches) -> Touches:
        return Touches(
            self.props | other.props,
            self.labels or other.labels,
            self.lists or other.lists,
            self.consent or other.consent,
            self.all or other.all,
        )

    def meets(self, other: Touches) -> bool:
        """Whether what one side writes may change what the other reads."""
        if self.all or other.all:
            return bool(self.any() and other.any())
        if (self.labels and other.labels) or (self.lists and other.lists):
            return True
        if self.consent and other.consent:
            return True
        return any(overlap(a, b) for a in self.props for b in other.props)

    def any(self) -> bool:
        return bool(self.props or self.labels or self.lists or self.consent or self.all)

    @property
    def members(self) -> bool:
        """Labels or lists: the queued membership changes matter."""
        return self.labels or self.lists or self.all


NOTHING = Touches()
EVERYTHING = Touches(all=True)


def reads(expr: Expr | None) -> Touches:
    """The profile state a condition reads."""
    if expr is None or isinstance(expr, _EVENT_NODES):
        return NOTHING
    if isinstance(expr, And | Or):
        found = NOTHING
        for item in expr.items:
            found = found | reads(item)
        return found
    if isinstance(expr, Not):
        return reads(expr.item)
    if isinstance(expr, _FIELD_NODES):
        return Touches(props=frozenset({stored_path(expr.field)}))
    if isinstance(expr, HasLabel):
        return Touches(labels=True)
    if isinstance(expr, ConsentIs):
        return Touches(consent=True)
    if isinstance(expr, HasChannel):
        return Touches(consent=True, props=frozenset({("email",), ("phone",)}))
    return EVERYTHING  # a saved segment, or a node this analysis does not know


def writes(actions: tuple[Action, ...]) -> Touches:
    """The profile state the actions change."""
    found = NOTHING
    for action in actions:
        found = found | _writes(action)
    return found


def _writes(action: Action) -> Touches:
    if isinstance(action, SetProperty | UnsetProperty | Increment):
        return Touches(props=frozenset({stored_path(action.prop)}))
    if isinstance(action, LabelAction):
        return Touches(labels=True)
    if isinstance(action, ListAction):
        return Touches(lists=True)
    if isinstance(action, SetConsent):
        return Touches(consent=True)
    if isinstance(action, _NO_PROFILE_EFFECT):
        return NOTHING
    return EVERYTHING


def stored_path(path: Path) -> tuple[str, ...]:
    """A property path as stored: `properties.x.y` (the language's name for unregistered data)
    and a write to an unregistered `x.y` both land at x.y in the JSON column."""
    if path.parts[0] == JSON_PROPERTY and len(path.parts) > 1:
        return path.parts[1:]
    return path.parts


def overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether a write at one stored path may change a value read at the other."""
    if a == (JSON_PROPERTY,) or b == (JSON_PROPERTY,):
        return True  # the whole JSON column
    n = min(len(a), len(b))
    return a[:n] == b[:n]
