"""Questions about an expression's contents: which segments and event types it uses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from dsl import ast


def walk(node: Any) -> Iterator[Any]:
    """Every AST node under `node` (itself included), without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(current)
        elif dataclasses.is_dataclass(current):
            yield current
            stack.extend(getattr(current, f.name) for f in dataclasses.fields(current))


def segment_references(expr: Any) -> frozenset[str]:
    """Names of the segments an expression (or rule, or goal) refers to with `in segment`.

    >>> from dsl import parse_segment
    >>> sorted(segment_references(parse_segment('in segment "a" or not in segment "b"')))
    ['a', 'b']
    """
    return frozenset(n.name for n in walk(expr) if isinstance(n, ast.InSegment))


def event_types_used(expr: Any) -> frozenset[str]:
    """Event types an expression (or rule, or goal) tests; `any event` adds nothing.

    >>> from dsl import parse_segment
    >>> sorted(event_types_used(parse_segment('did signup then purchase within 7 days')))
    ['purchase', 'signup']
    """
    return frozenset(
        n.event for n in walk(expr) if isinstance(n, ast.EventMatch) and n.event is not None
    )
