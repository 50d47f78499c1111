"""Segments: dynamic, static lists and compound; materialized membership with history.

(First cut: the segment service's owner replaces this with the real implementation.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.workspace import Workspace


@dataclass(frozen=True)
class SegmentChanges:
    """Who entered and who left which segment in one refresh: (segment name, profile id)."""

    entered: tuple[tuple[str, int], ...] = field(default=())
    exited: tuple[tuple[str, int], ...] = field(default=())


class Segments:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def refresh_profiles(self, profile_ids: Iterable[int]) -> SegmentChanges:
        return SegmentChanges()
