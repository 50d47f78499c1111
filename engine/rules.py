"""Rules: event-, schedule- and segment-triggered automations.

(First cut: the rules service's owner replaces this with the real implementation.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.batch import IngestBatch
    from engine.segments import SegmentChanges
    from engine.workspace import Workspace


class Rules:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def on_batch(self, batch: IngestBatch, changes: SegmentChanges) -> None:
        return None
