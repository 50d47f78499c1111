"""What a rule's condition reads and what its actions write, to order a batch's rule work.

A rule with a condition must see the writes of the rules before it. When none of those rules
writes anything the condition reads, its firings can be found in the batch's one firing query
with the unconditional rules, and the queued writes need no flush before it. The analysis is
conservative: a node it does not know reads everything.
"""

from __future__ import annotations

from collections.abc import Callable

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
    InSegment,
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
from engine.catalog.values import JSON_PROPERTY
from engine.changes import EVERYTHING, NOTHING, Touches

SavedReads = Callable[[str], Touches]  # what a saved segment (by name) reads
_FIELD_NODES = (Compare, Between, InList, IsSet, StringMatch, RelativeDate)
_EVENT_NODES = (Did, Aggregate, Occurrence, Sequence)  # events: rules' emits land after the batch
_NO_PROFILE_EFFECT = (EmitEvent, CallWebhook, Notify)


def reads(expr: Expr | None, saved: SavedReads | None = None) -> Touches:
    """The profile state a condition reads; `in segment` reads what `saved` says that segment
    reads (without it: everything)."""
    if expr is None or isinstance(expr, _EVENT_NODES):
        return NOTHING
    if isinstance(expr, And | Or):
        found = NOTHING
        for item in expr.items:
            found = found | reads(item, saved)
        return found
    if isinstance(expr, Not):
        return reads(expr.item, saved)
    if isinstance(expr, InSegment) and saved is not None:
        return saved(expr.name)
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
