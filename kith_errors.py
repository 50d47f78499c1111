"""The one error hierarchy of Kith.

Every layer raises a subclass of `KithError`. Each error carries data (not only a message) so the
CLI, the HTTP API and the dashboard can render it their own way, and its message is written for the
person who typed the input.
"""

from __future__ import annotations

import unicodedata
from typing import Any


class KithError(Exception):
    """Base of every error Kith raises on purpose."""

    code = "kith_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape used by the HTTP API."""
        return {"code": self.code, "message": self.message, "details": self.details}


# ---- the segment language -------------------------------------------------------------------


class DslError(KithError):
    """An error in a segment, rule or goal expression, pointing at the offending spot."""

    code = "dsl_error"

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        line: int = 1,
        column: int = 1,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.expected = expected
        self.suggestion = suggestion
        details = {"line": line, "column": column, "expected": expected, "suggestion": suggestion}
        super().__init__(message, details=details)

    def caret(self) -> str:
        """The offending source line with a caret under the column, where a monospace font
        shows it: a wide character (CJK) takes two cells, a combining mark none, a tab stays."""
        lines = self.source.splitlines() or [""]
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        pad = "".join(_cells(char) for char in text[: max(self.column - 1, 0)])
        return f"{text}\n{pad}^"

    def __str__(self) -> str:
        head = f"line {self.line}, column {self.column}: {self.message}"
        if self.suggestion:
            head += f" (did you mean {self.suggestion!r}?)"
        return f"{head}\n{self.caret()}" if self.source else head


def _cells(char: str) -> str:
    """The blank a character's place takes under it in a monospace font."""
    if char == "\t":
        return "\t"
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return ""
    return "  " if unicodedata.east_asian_width(char) in ("W", "F") else " "


class DslSyntaxError(DslError):
    code = "dsl_syntax_error"


class DslNameError(DslError):
    code = "dsl_name_error"


class DslTypeError(DslError):
    code = "dsl_type_error"


# ---- data and storage -------------------------------------------------------------------------


class ValidationError(KithError):
    """Input that breaks a schema, a naming rule or a business rule."""

    code = "validation_error"


class IngestError(ValidationError):
    """A message or row that cannot be ingested."""

    code = "ingest_error"


class NotFound(KithError):
    code = "not_found"


class Conflict(KithError):
    """The request contradicts what is stored (a duplicate name, an identity owned elsewhere...)."""

    code = "conflict"


class StoreError(KithError):
    code = "store_error"


class WorkspaceLocked(StoreError):
    """Another process holds the DuckDB file."""

    code = "workspace_locked"


class QueueClosed(StoreError):
    """The server is shutting down and takes no more messages."""

    code = "shutting_down"


class QueueFull(StoreError):
    """More messages wait to be loaded than the server keeps in memory; retry shortly."""

    code = "overloaded"


class JournalFailed(StoreError):
    """The journal could not take the messages (disk full, I/O error, a stopped thread);
    nothing was acknowledged, so they may be sent again."""

    code = "journal_failed"


# ---- requests -----------------------------------------------------------------------------------


class BadRequest(ValidationError):
    """A request the API cannot read (not JSON, wrong shape)."""

    code = "bad_request"


class PayloadTooLarge(ValidationError):
    code = "payload_too_large"


class AuthError(KithError):
    code = "unauthorized"


class Forbidden(AuthError):
    """A known caller (user, session or key) whose role or scope does not allow the action."""

    code = "forbidden"


class TooManyAttempts(AuthError):
    """Too many failed logins for a username or an address: locked for a while."""

    code = "too_many_attempts"


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error's message in our validators' own words, without pydantic's
    "Value error, " prefix (a ValueError raised by a validator keeps its text as written)."""
    raised = error.get("ctx", {}).get("error")
    if error.get("type") == "value_error" and raised is not None:
        return str(raised)
    return str(error.get("msg", "invalid"))


# ---- automation ---------------------------------------------------------------------------------


class RuleFailed(KithError):
    """Rules (or a job of the server's clock) failed to run; what was stored before stays."""

    code = "rule_failed"
