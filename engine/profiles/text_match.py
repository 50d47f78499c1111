"""Matching a needle anywhere in text, as People search and GDPR redaction both need it: the
ILIKE pattern for a needle, the caseless run that narrows a scan cheaply, DuckDB's `contains`."""

from __future__ import annotations

from itertools import groupby

from sqlglot import exp


def caseless_run(text: str) -> str:
    """The longest stretch of characters without case (digits, punctuation): every match of
    `text` in any case holds it verbatim."""
    runs = groupby(text, lambda c: c.lower() == c.upper())
    return max(("".join(run) for caseless, run in runs if caseless), key=len, default="")


def contains(column: exp.Expr, needle: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="contains", expressions=[column, needle])


def like_pattern(text: str) -> tuple[str, bool]:
    """An ILIKE pattern matching `text` anywhere, and whether it needs ESCAPE '\\' (only when
    the text holds % _ or \\: DuckDB's plain ILIKE is markedly faster than its escaped form)."""
    if not any(c in text for c in "%_\\"):
        return f"%{text}%", False
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%", True
