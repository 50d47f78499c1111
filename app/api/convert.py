"""Turning engine results (DataFrames, pydantic models, store rows) into JSON-ready values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd
from pydantic import BaseModel

JSON_COLUMNS = ("properties", "context")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with ISO timestamps and null for missing values (vectorised by pandas)."""
    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))


def with_json(frame: pd.DataFrame, columns: tuple[str, ...] = JSON_COLUMNS) -> pd.DataFrame:
    """The JSON text columns of a page of rows (events' properties, context) as objects, so
    the API returns {"amount": 120} rather than the string '{"amount": 120}'."""
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: frame[c].map(_loads, na_action="ignore") for c in present})


def _loads(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


def jsonable(value: Any) -> Any:
    """A pydantic model, a store row (a dataclass: its fields in order), DataFrame, dict or
    list, as plain JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
