"""Tables as the screens show them: a column that mixes kinds of values (text beside numbers, as
an edit history's before/after does) becomes text, so Arrow can carry it to the browser."""

from __future__ import annotations

import math

import pandas as pd

from app.ui import fmt


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every column of mixed Python values as one line of text per cell (None
    stays empty); columns of one kind are left as they are."""
    mixed = [name for name in frame.columns if _mixed(frame[name])]
    if not mixed:
        return frame
    shown = frame.copy()
    for name in mixed:
        shown[name] = shown[name].map(_text).astype("string")
    return shown


def _mixed(column: pd.Series) -> bool:
    if column.dtype != object:
        return False
    return len({type(item) for item in column if not _missing(item)}) > 1


def _missing(item: object) -> bool:
    return (
        item is None
        or item is pd.NA
        or item is pd.NaT
        or (isinstance(item, float) and math.isnan(item))
    )


def _text(item: object) -> str | None:
    return None if _missing(item) else fmt.value(item)
