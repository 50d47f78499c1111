"""The column-wise filter a large batch's schema check starts with (engine/ingest/schemas.py)
only sets aside events that pass: on a real workspace, a batch of tricky values (numeric text,
booleans as text, infinities, nested values, bad dates, invalid JSON, null properties) gets
exactly the verdicts the event-by-event check gives, under every policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from engine import Workspace
from engine.ingest.schemas import FILTER_FROM, screen

VALUES: list[Any] = [
    1, 2.5, -0.0, 10**30, "7", " 8 ", "1_000", "lots", "inf", "nan", True, False, "true",
    "FALSE", None, {"a": 1}, [1], "2026-01-31", "2026-01-31T09:00:00Z", "31/01/2026", "",
]  # fmt: skip
RAW = ['{"amount": 1e999}', '{"amount": NaN}', "not json", '{"amount": 3', "[1, 2]", None]
TYPES = ["purchase", "message_read", "signup", "page_view", "mystery", "identify"]
PROPS = ["amount", "currency", "read_at", "delivered_at", "method", "duration", "url", "extra"]


def _batch(n: int) -> pa.Table:
    rng = np.random.default_rng(3)
    texts: list[str | None] = []
    for _ in range(n):
        if rng.random() < 0.03:
            texts.append(RAW[rng.integers(len(RAW))])
            continue
        keys = rng.choice(PROPS, size=rng.integers(0, 4), replace=False)
        texts.append(json.dumps({k: VALUES[rng.integers(len(VALUES))] for k in keys}))
    return pa.table(
        {
            "_line": pa.array(np.arange(1, n + 1), pa.int64()),
            "type": pa.array(rng.choice(TYPES, size=n).tolist(), pa.string()),
            "properties": pa.array(texts, pa.string()),
        }
    )


@pytest.mark.parametrize("policy", ["warn", "block"])
def test_the_filter_changes_no_verdict(tmp_path: Path, policy: str) -> None:
    batch = _batch(FILTER_FROM * 3)
    with Workspace.open(tmp_path / "kith.duckdb") as ws:
        ws.catalog.set_enforcement("purchase", policy)
        ws.catalog.set_enforcement("message_read", policy)
        ws.catalog.set_undeclared("unregistered_types", "warn")
        screening = ws.catalog.screening()
        one_by_one = screen(batch, screening)
        filtered = screen(batch, screening, ws.db)
    assert filtered.refused.to_pylist() == one_by_one.refused.to_pylist()
    assert filtered.warned_lines.tolist() == one_by_one.warned_lines.tolist()
    assert filtered.warnings == one_by_one.warnings
    assert filtered.warned_types == one_by_one.warned_types
    assert len(one_by_one.warned_lines) > 0  # the batch has something to judge either way
    refused = len(batch) - one_by_one.refused.null_count
    assert (refused > 0) == (policy == "block")
