"""What the checker resolves names against. The engine builds one from the workspace; the
language itself knows nothing of where it came from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

PropType = Literal["string", "number", "boolean", "date", "json"]


@dataclass(frozen=True)
class Schema:
    """Names a workspace knows, with their types.

    - `properties`: profile property name -> type (standard and custom; dotted names allowed).
      A property of type "json" accepts any dotted path below it (unregistered custom data).
    - `event_types`: event type -> {event property name -> type}. `channel` and `source` are valid
      in every `where` and need not be listed.
    - `segments`: segment name -> the names of segments it references (for cycle detection;
      the engine's mapping may parse each only when asked).
    - `labels`, `channels`, `consent_channels`, `lists`: known names.
    - `unlisted`: asked, only when a check fails, about an event type (property None) or a
      property of one that is not listed: a sentence to add to the error (the engine says
      whether its data holds the name and how to register it), or None.
    """

    properties: dict[str, PropType] = field(default_factory=dict)
    event_types: dict[str, dict[str, PropType]] = field(default_factory=dict)
    segments: Mapping[str, frozenset[str]] = field(default_factory=dict)
    labels: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    consent_channels: frozenset[str] = frozenset()
    lists: frozenset[str] = frozenset()
    unlisted: Callable[[str, str | None], str | None] | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, object]:
        """A pickled copy (the dashboard's cache keeps one) leaves the hook behind: it holds the
        workspace's connection. The copy checks the same; its errors only lack the hint."""
        state = dict(self.__dict__)
        state.pop("unlisted", None)
        return state
