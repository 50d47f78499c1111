"""Event schemas enforced on ingestion (engine/catalog/event_types.py): each event of a type
whose policy is `warn` or `block` is checked against the type's registered properties. A
`block` type's event that breaks them is refused with the reason (staging's rejections in bulk,
admission's refusals for the tracking API: the same words on both paths); a `warn` type's is
stored and flagged (`event_flags`, one row per event, counted on the Events screen). Only the
rows of enforced types are read, so a workspace that enforces nothing pays nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.catalog.event_types import Enforced, payload_problems, refusal


@dataclass(frozen=True)
class Screened:
    """Per row of a canonical batch, why its schema refuses it (null: it does not); and the
    lines to store with a flag, with their types and problems."""

    refused: pa.Array
    warned_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    warned_types: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def screen(canon: pa.Table, enforced: Mapping[str, Enforced]) -> Screened:
    """Check the batch's events of enforced types against their schemas."""
    n = canon.num_rows
    refused: list[str | None] = [None] * n
    if not enforced or n == 0:
        return Screened(pa.nulls(n, pa.string()))
    mask = pc.fill_null(pc.is_in(canon["type"], value_set=pa.array(list(enforced))), False)
    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return Screened(pa.nulls(n, pa.string()))
    at = pa.array(rows, pa.int64())
    types = canon["type"].take(at).to_pylist()
    texts = canon["properties"].take(at).to_pylist()
    lines = canon["_line"].take(at).to_numpy()
    warned: list[int] = []
    warned_types: list[str] = []
    warnings: list[str] = []
    for i, row in enumerate(rows):
        schema = enforced[types[i]]
        problems = payload_problems(texts[i], schema.properties)
        if problems is None:
            continue
        if schema.policy == "block":
            refused[row] = refusal(types[i], problems)
        else:
            warned.append(int(lines[i]))
            warned_types.append(types[i])
            warnings.append(problems)
    found = np.array(warned, dtype=np.int64)
    return Screened(pa.array(refused, pa.string()), found, warned_types, warnings)


def flags(screened: Screened, stored_lines: np.ndarray, first_event: int) -> pa.Table | None:
    """The flags of the warned lines that were stored (event_id, type, problem); event ids
    follow line numbers from the first stored line (engine/ingest/service.py)."""
    if len(screened.warned_lines) == 0 or len(stored_lines) == 0:
        return None
    kept = np.isin(screened.warned_lines, stored_lines)
    if not kept.any():
        return None
    ids = first_event + screened.warned_lines[kept] - int(stored_lines.min())
    return pa.table(
        {
            "event_id": pa.array(ids, pa.int64()),
            "type": pa.array(screened.warned_types, pa.string()).filter(pa.array(kept)),
            "problem": pa.array(screened.warnings, pa.string()).filter(pa.array(kept)),
        }
    )
