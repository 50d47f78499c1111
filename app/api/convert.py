"""Turning engine results (DataFrames, pydantic models) into JSON-ready values."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from pydantic import BaseModel


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with ISO timestamps and null for missing values (vectorised by pandas)."""
    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))


def jsonable(value: Any) -> Any:
    """A pydantic model, DataFrame, dict or list, as plain JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
