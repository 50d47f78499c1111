"""Formatting numbers, times and values for display."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any


def number(value: float | int | None) -> str:
    """1234567 -> '1,234,567'; floats keep one decimal; None -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def percent(value: float | None) -> str:
    """0.1234 -> '12.3%'."""
    return "–" if value is None or math.isnan(value) else f"{value * 100:.1f}%"


def when(value: dt.datetime | None) -> str:
    """A UTC timestamp as 'YYYY-MM-DD HH:MM'."""
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """Seconds as '45 s', '12 min', '3.5 h' or '2.0 days'."""
    if seconds is None or math.isnan(seconds):
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def value(item: Any) -> str:
    """Any stored value as one line of text (JSON for structures)."""
    if item is None:
        return ""
    if isinstance(item, dict | list):
        return json.dumps(item, default=str, ensure_ascii=False)
    if isinstance(item, dt.datetime):
        return when(item)
    return str(item)
