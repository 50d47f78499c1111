"""What one ingestion batch touched: handed to segment refresh and rules after it commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class IngestBatch:
    batch_id: int
    profile_ids: tuple[int, ...]  # every profile the batch created, changed or merged into
    event_count: int
    received_at: dt.datetime
    depth: int = 0  # 0 for outside input; n for events emitted by rules n levels deep
    removed_ids: tuple[int, ...] = ()  # profiles identity resolution merged away
