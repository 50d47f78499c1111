"""Result frames as plain values: moments as ISO text, a missing value as None (what the REST
answers and the CLI's --json print, in the same shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def moment(value: Any) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime()


def none_if_missing(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def records_column(column: pd.Series) -> pd.Series:
    """A column of values with every missing one as None (not NaN)."""
    return column.astype(object).where(column.notna(), None)
