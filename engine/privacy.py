"""GDPR: erasure ("right to be forgotten") and access requests (export everything held).

Erasure removes the profile, every profile merged into it, and every row tied to them in any
table with a `profile_id` column (found from the schema, so tables added later are covered),
plus merge snapshots, audit entries with their before/after values, and identity-resolution
log lines quoting their identity values. Other people's rows that quote the person's identity
values (a referral form naming their email, a message context naming their WhatsApp number)
are kept, since events are immutable for analytics, but every quote becomes "[erased]": one
set-based UPDATE per table, over every VARCHAR and JSON column (also found from the schema).
One audit record stays, saying who erased which id and how many rows went or were redacted
per table, with no personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from engine import audit
from kith_errors import NotFound
from store import audit as audit_repo
from store import merge as merge_repo
from store import privacy as repo
from store import profiles as profile_repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


_JSON_FIELDS = {"properties", "context", "before", "after"}
ERASED = "[erased]"
# Shorter values (a user id "42") would hit unrelated text all over other people's data.
MIN_REDACTED_LENGTH = 4
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_INTERNATIONAL = re.compile(r"\+\d{6,}")


def _delete_for(table: str) -> exp.Expression:
    ids = exp.select(exp.Unnest(expressions=[exp.Placeholder(this="ids")]))
    where = exp.In(this=exp.column("profile_id"), query=exp.Subquery(this=ids))
    return exp.delete(table, where=where, returning="profile_id")


class Privacy:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def erase(self, profile_id: int, *, actor: str) -> dict[str, int]:
        """Remove everything held about a person; returns rows removed per table. Quotes of
        their identity values in other people's rows are redacted (counted in the audit)."""
        db = self.ws.db
        with db.transaction():
            self._exists(profile_id)
            ids = [profile_id, *merge_repo.merged_into(db, profile_id)]
            values = repo.own_values(db, ids)
            repo.scrub_identity_log(db, repo.identity_values(db, ids))
            removed = {t: self._delete(t, ids) for t in repo.tables_with_profile_id(db)}
            repo.delete_merges(db, ids)
            audit_repo.delete_for(db, "profile", [str(i) for i in ids])
            removed["profiles"] = repo.delete_profiles(db, ids)
            report = {"removed": removed, "redacted": self._redact(values)}
            audit.record(self.ws, actor, "profile", profile_id, "erase", after=report)
        return removed

    def _delete(self, table: str, ids: list[int]) -> int:
        return len(self.ws.db.rows(_delete_for(table), {"ids": ids}))

    def _redact(self, values: Sequence[str]) -> dict[str, int]:
        """Other people's rows quoting any of the values, redacted in place: rows changed per
        table (tables with nothing to redact are left out)."""
        pattern = redaction_pattern(values)
        if pattern is None:
            return {}
        bare = bare_number_pattern(values)
        counts = {}
        for table, columns in repo.text_columns(self.ws.db).items():
            params = {"quote": pattern, **({"bare": bare} if "JSON" in columns.values() else {})}
            changed = int(self.ws.db.scalar(_redact_in(table, columns), params) or 0)
            if changed:
                counts[table] = changed
        return counts

    def _exists(self, profile_id: int) -> None:
        if profile_repo.row_json(self.ws.db, profile_id) is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})

    def export(self, profile_id: int) -> dict[str, Any]:
        """Everything held about a person, as plain JSON-ready data, for an access request."""
        profile = self.ws.profiles.get(profile_id)
        sections = repo.export(self.ws.db, profile_id)
        data = {"profile": profile.model_dump(exclude={"identities", "labels"}), **sections}
        for rows in sections.values():
            for row in rows:
                row.update({k: json.loads(row[k]) for k in _JSON_FIELDS & row.keys() if row[k]})
        return json.loads(json.dumps(data, default=str))


# ---- redaction: which text counts as a quote -------------------------------------------------


def _variants(values: Sequence[str]) -> list[str]:
    """Each value as written, as escaped inside JSON text, and a phone without its '+';
    longest first so a longer form wins over a shorter one inside it."""
    found: set[str] = set()
    for value in values:
        if len(value) < MIN_REDACTED_LENGTH:
            continue
        found |= {value, json.dumps(value, ensure_ascii=False)[1:-1]}
        if _INTERNATIONAL.fullmatch(value):
            found.add(value[1:])
    return sorted(found, key=lambda v: (-len(v), v))


def _wordy(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _literal(value: str) -> str:
    """A regex matching the value literally, as a whole token where it starts or ends with a
    letter or digit (so 'ana@x.io' is not found inside 'diana@x.io')."""
    body = "".join("\\" + c if c in _REGEX_SPECIAL else c for c in value)
    head = r"\b" if _wordy(value[0]) else ""
    tail = r"\b" if _wordy(value[-1]) else ""
    return f"{head}{body}{tail}"


def redaction_pattern(values: Sequence[str]) -> str | None:
    """One case-insensitive regex matching any quote of the values; None if none qualify."""
    variants = _variants(values)
    if not variants:
        return None
    return "(?i)" + "|".join(_literal(v) for v in variants)


def bare_number_pattern(values: Sequence[str]) -> str:
    """Digit-only values written as JSON numbers ({"tg": 710000312}), with the separator before
    them (kept by the replacement) so the redaction can become a quoted JSON string."""
    digits = [v for v in _variants(values) if v.isdigit()]
    alternatives = "|".join(digits) if digits else "[^\\s\\S]"
    return rf"([:,\[]\s*)-?(?:{alternatives})\b"


# ---- redaction: the UPDATE per table ---------------------------------------------------------

_GLOBAL = exp.Literal.string("g")


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(column: str) -> exp.Expression:
    return exp.cast(exp.column(column), "VARCHAR")


def _matches(column: str) -> exp.Expression:
    return _call("regexp_matches", _text(column), exp.Placeholder(this="quote"))


def _replaced(text: exp.Expression) -> exp.Expression:
    erased = exp.Literal.string(ERASED)
    return _call("regexp_replace", text, exp.Placeholder(this="quote"), erased, _GLOBAL)


def _json_redacted(column: str) -> exp.Expression:
    """Redacted JSON that stays valid: bare numbers become the string "[erased]"; if a
    separator inside a string fooled that step, quotes are redacted as plain text; failing
    both, the redacted text is kept as one JSON string."""
    quoted = exp.Literal.string(f'\\1"{ERASED}"')
    bare = _call("regexp_replace", _text(column), exp.Placeholder(this="bare"), quoted, _GLOBAL)
    first, plain = _replaced(bare), _replaced(_text(column))
    valid = exp.Case().when(_call("json_valid", first), first)
    valid = valid.when(_call("json_valid", plain), plain).else_(_call("to_json", plain))
    return exp.cast(valid, "JSON")


def _redact_in(table: str, columns: dict[str, str]) -> exp.Expression:
    """One UPDATE rewriting every text column of the table's rows that quote a value."""
    sets = []
    for column, kind in columns.items():
        new = _json_redacted(column) if kind == "JSON" else _replaced(exp.column(column))
        value = exp.Case().when(_matches(column), new).else_(exp.column(column))
        sets.append(exp.EQ(this=exp.column(column), expression=value))
    where = exp.or_(*(_matches(c) for c in columns))
    return exp.Update(this=exp.to_table(table), expressions=sets, where=exp.Where(this=where))
