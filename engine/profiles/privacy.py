"""GDPR: erasure ("right to be forgotten") and access requests (export everything held).

Erasure removes the profile, every profile merged into it, and every row tied to them in any
table with a `profile_id` column (found from the schema, so tables added later are covered),
plus merge snapshots, audit entries with their before/after values, and identity-resolution
log lines quoting their identity values. Other people's rows that quote the person's identity
values (a referral form naming their email, a message context naming their WhatsApp number)
are kept, since events are immutable for analytics, but every quote becomes "[erased]": one
set-based UPDATE per table, over every VARCHAR and JSON column (also found from the schema).
A quote is found in every format the identity normaliser accepts: emails in any case, phones
with any separators, with "+", "00" or neither (`+44 7700 900123` is `+447700900123`); and in
a text or JSON value that quotes one, the person's name is erased too (a referral naming them
beside their phone number). Then the workspace file is compacted (`Database.compact`: a fresh
copy swapped in), since DuckDB leaves deleted and overwritten values in the file's free blocks.
The tracking API's journal is cleared by the server (app/ingest_pipeline.py `forget`, which
`kith serve` adds to `after_erase`, so the REST route, the dashboard and the CLI carried out by
the server all clear it); an erase without a server loads a journal a crash left first (the
CLI).
One audit record stays, saying who erased which id and how many rows went or were redacted
per table, with no personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from engine.admin import audit
from engine.changes import Change, ChangeKind, Commit
from engine.profiles.text_match import caseless_run, like_pattern
from engine.progress import Progress, report
from kith_errors import NotFound
from store import audit as audit_repo
from store import merge as merge_repo
from store import privacy as repo
from store import profiles as profile_repo
from store.db import Compaction

if TYPE_CHECKING:
    from engine.profiles.service import Profiles
    from store.db import Database


_JSON_FIELDS = {"properties", "context", "before", "after"}
ERASED = "[erased]"
# Shorter values (a user id "42") would hit unrelated text all over other people's data.
MIN_REDACTED_LENGTH = 4
MIN_NAME_LENGTH = 3  # a name is only erased where it stands beside a quoted identity value
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_INTERNATIONAL = re.compile(r"\+\d{6,}")


def _delete_for(table: str) -> exp.Expr:
    ids = exp.select(exp.Unnest(expressions=[exp.Placeholder(this="ids")]))
    where = exp.In(this=exp.column("profile_id"), query=exp.Subquery(this=ids))
    return exp.delete(table, where=where, returning="profile_id")


class Privacy:
    def __init__(self, db: Database, profiles: Profiles, commit: Commit) -> None:
        self.db, self.profiles, self.commit = db, profiles, commit
        # copies of people's data outside the workspace file, cleared after every erase
        # whichever door it came through (`kith serve` adds its journal's `forget`)
        self.after_erase: list[Callable[[], None]] = []

    def erase(
        self, profile_id: int, *, actor: str, progress: Progress | None = None
    ) -> dict[str, int]:
        """Remove everything held about a person; returns rows removed per table. Quotes of
        their identity values in other people's rows are redacted (counted in the audit)."""
        db = self.db
        with db.transaction():
            self._exists(profile_id)
            ids = [profile_id, *merge_repo.merged_into(db, profile_id)]
            values = repo.own_values(db, ids)
            names = repo.names(db, ids)
            repo.scrub_identity_log(db, repo.identity_values(db, ids))
            removed = self._delete_all(ids, progress)
            repo.delete_merges(db, ids)
            audit_repo.delete_for(db, "profile", [str(i) for i in ids])
            removed["profiles"] = repo.delete_profiles(db, ids)
            done = {"removed": removed, "redacted": self._redact(values, names, progress)}
            audit.record(self, actor, "profile", profile_id, "erase", after=done)
        report(progress, "Updating segments", 0.8)
        self.commit(Change.of(ChangeKind.ERASE, [], removed_ids=ids))
        self._compact(progress, 0.85)
        if self.after_erase:
            report(progress, "Clearing the tracking journal of their messages", 0.97)
        for forget in self.after_erase:
            forget()
        report(progress, "Erased", 1.0)
        return removed

    def compact(self, progress: Progress | None = None) -> dict[str, float]:
        """Rewrite the workspace file so that no erased or overwritten value is left in its
        bytes (an erase does this itself; `kith compact` for operators): the file's size
        before and after, in bytes, and the seconds it took."""
        done = self._compact(progress, 0.0)
        report(progress, "Compacted", 1.0)
        return {
            "bytes_before": done.bytes_before,
            "bytes_after": done.bytes_after,
            "seconds": round(done.seconds, 3),
        }

    def _compact(self, progress: Progress | None, start: float) -> Compaction:
        """The compaction's two stages reported between `start` and the end of the work."""
        shares = iter((start, start + (1 - start) * 0.6))
        return self.db.compact(lambda step: report(progress, step, next(shares)))

    def _delete_all(self, ids: list[int], progress: Progress | None) -> dict[str, int]:
        """The person's rows deleted from every table holding a profile id (the first half of
        the work)."""
        tables = repo.tables_with_profile_id(self.db)
        removed = {}
        for step, table in enumerate(tables):
            report(progress, f"Deleting their rows from {table}", 0.5 * step / len(tables))
            removed[table] = self._delete(table, ids)
        return removed

    def _delete(self, table: str, ids: list[int]) -> int:
        return len(self.db.rows(_delete_for(table), {"ids": ids}))

    def _redact(
        self, values: Sequence[str], names: Sequence[str], progress: Progress | None
    ) -> dict[str, int]:
        """Other people's rows quoting any of the values (and the names beside them), redacted
        in place: rows changed per table (tables with nothing to redact are left out)."""
        quotes = quotes_of(values, names)
        if quotes is None:
            return {}
        counts = {}
        tables = repo.text_columns(self.db)
        for step, (table, columns) in enumerate(tables.items()):
            share = 0.5 + 0.3 * step / len(tables)
            report(progress, f"Redacting their details quoted in {table}", share)
            params = quotes.params(with_json="JSON" in columns.values())
            changed = int(self.db.scalar(redact_in(table, columns, quotes), params) or 0)
            if changed:
                counts[table] = changed
        return counts

    def _exists(self, profile_id: int) -> None:
        if profile_repo.row_json(self.db, profile_id) is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})

    def export(self, profile_id: int) -> dict[str, Any]:
        """Everything held about a person, as plain JSON-ready data, for an access request."""
        profile = self.profiles.get(profile_id)
        sections: dict[str, list[dict[str, Any]]] = asdict(repo.export(self.db, profile_id))
        data = {"profile": profile.model_dump(exclude={"identities", "labels"}), **sections}
        for rows in sections.values():
            for row in rows:
                row.update({k: json.loads(row[k]) for k in _JSON_FIELDS & row.keys() if row[k]})
        return json.loads(json.dumps(data, default=str))


# ---- redaction: which text counts as a quote -------------------------------------------------


@dataclass(frozen=True)
class Quotes:
    """How to find a person's values in other people's text. `pattern` (a case-insensitive
    regex) decides; the cheap probes only narrow the rows it runs on: a run of caseless
    characters (digits, punctuation) every quote holds verbatim, found with a fast `contains`,
    or an ILIKE pattern for a value made of letters only."""

    pattern: str
    bare: str
    anchors: tuple[str, ...]
    likes: tuple[str, ...]
    phones: str | None = None  # phones in any format: a probe of its own (no verbatim run)
    erased: str = ""  # what is replaced in a quoting value: `pattern` and the person's names

    def params(self, with_json: bool) -> dict[str, Any]:
        named = {f"a{i}": a for i, a in enumerate(self.anchors)}
        named.update({f"l{i}": like for i, like in enumerate(self.likes)})
        named.update({"phones": self.phones} if self.phones else {})
        named["erased"] = self.erased or self.pattern
        return {"quote": self.pattern, **named, **({"bare": self.bare} if with_json else {})}


def quotes_of(values: Sequence[str], names: Sequence[str] = ()) -> Quotes | None:
    """The quotes to redact for these values (and, where a value is quoted, these names);
    None if no value is long enough to search."""
    variants = _variants(values)
    if not variants:
        return None
    runs = {v: caseless_run(v) for v in variants}
    anchors = {run for run in runs.values() if run}
    lean = tuple(sorted(a for a in anchors if not any(b != a and b in a for b in anchors)))
    likes = tuple(sorted(like_pattern(v)[0] for v, run in runs.items() if not run))
    phones = [p for v in values if (p := phone_pattern(v))]
    pattern = redaction_pattern(variants, phones)
    name_forms = _variants([n for n in names if len(n) >= MIN_NAME_LENGTH], minimum=MIN_NAME_LENGTH)
    erased = redaction_pattern(variants + name_forms, phones) if name_forms else pattern
    found = "(?i)" + "|".join(phones) if phones else None
    return Quotes(pattern, bare_number_pattern(variants), lean, likes, found, erased)


# separators a phone number may be written with (engine/ingest/stage.py strips the same ones)
_PHONE_SEPARATORS = r"[\s\-().\/]*"


def phone_pattern(value: str) -> str | None:
    """A regex for an international phone number (`+` and digits) in any format the identity
    normaliser accepts: with `+`, `00` or no prefix, and any separators between the digits."""
    if not _INTERNATIONAL.fullmatch(value):
        return None
    digits = _PHONE_SEPARATORS.join(value[1:])
    return rf"(?:\+{_PHONE_SEPARATORS}|\b00{_PHONE_SEPARATORS}|\b){digits}\b"


def _variants(values: Sequence[str], minimum: int = MIN_REDACTED_LENGTH) -> list[str]:
    """Each value as written, as escaped inside JSON text (with and without \\u escapes for
    non-ASCII), and a phone without its '+'; longest first so a longer form wins over a
    shorter one inside it."""
    found: set[str] = set()
    for value in values:
        if len(value) < minimum:
            continue
        found |= {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
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


def redaction_pattern(variants: Sequence[str], regexes: Sequence[str] = ()) -> str:
    """One case-insensitive regex matching any of the regexes, then the variants (longest
    first)."""
    return "(?i)" + "|".join([*regexes, *(_literal(v) for v in variants)])


def bare_number_pattern(variants: Sequence[str]) -> str:
    """Digit-only variants written as JSON numbers ({"tg": 710000312}), between the separators
    that surround a number token (kept by the replacement), so the redaction can become a
    quoted JSON string while digits inside a string ("x,710000312") are left to plain text."""
    digits = [v for v in variants if v.isdigit()]
    alternatives = "|".join(digits) if digits else "[^\\s\\S]"
    return rf"([:,\[]\s*)-?(?:{alternatives})(\s*[,\]}}])"


# ---- redaction: the UPDATE per table ---------------------------------------------------------

_GLOBAL = exp.Literal.string("g")


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(column: str) -> exp.Expr:
    return exp.cast(exp.column(column), "VARCHAR")


def _matches(column: str, quotes: Quotes) -> exp.Expr:
    """Cheap probes first (DuckDB evaluates AND left to right on the surviving rows)."""
    text = _text(column)
    probes = [
        _call("contains", text, exp.Placeholder(this=f"a{i}")) for i in range(len(quotes.anchors))
    ]
    for i, like in enumerate(quotes.likes):
        ilike = exp.ILike(this=text, expression=exp.Placeholder(this=f"l{i}"))
        escaped = any(c in like[1:-1] for c in "%_\\")
        probes.append(
            exp.Escape(this=ilike, expression=exp.Literal.string("\\")) if escaped else ilike
        )
    if quotes.phones:
        probes.append(_call("regexp_matches", text, exp.Placeholder(this="phones")))
    regex = _call("regexp_matches", text, exp.Placeholder(this="quote"))
    return exp.and_(exp.paren(exp.or_(*probes)), regex)


def _replaced(text: exp.Expr) -> exp.Expr:
    erased = exp.Literal.string(ERASED)
    return _call("regexp_replace", text, exp.Placeholder(this="erased"), erased, _GLOBAL)


def _quote_numbers(text: exp.Expr) -> exp.Expr:
    quoted = exp.Literal.string(f'\\1"{ERASED}"\\2')
    return _call("regexp_replace", text, exp.Placeholder(this="bare"), quoted, _GLOBAL)


def _json_redacted(column: str) -> exp.Expr:
    """Redacted JSON that stays valid: bare numbers become the string "[erased]" (twice, as a
    match eats the separator the next one starts with); if a string holding separators fooled
    that step, quotes are redacted as plain text; failing both, the redacted text is kept as
    one JSON string."""
    plain = _replaced(_text(column))
    first = _replaced(_quote_numbers(_quote_numbers(_text(column))))
    valid = exp.Case().when(_call("json_valid", first), first)
    valid = valid.when(_call("json_valid", plain), plain).else_(_call("to_json", plain))
    return exp.cast(valid, "JSON")


def _list_redacted(column: str) -> exp.Expr:
    item = _replaced(exp.column("x"))
    lambda_ = exp.Lambda(this=item, expressions=[exp.to_identifier("x")])
    return _call("list_transform", exp.column(column), lambda_)


_REDACTED: dict[str, Callable[[str], exp.Expr]] = {
    "VARCHAR": lambda column: _replaced(exp.column(column)),
    "JSON": _json_redacted,
    "VARCHAR[]": _list_redacted,
}


def redact_in(table: str, columns: dict[str, str], quotes: Quotes) -> exp.Expr:
    """One UPDATE rewriting every text column of the table's rows that quote a value."""
    sets = []
    for column, kind in columns.items():
        new = _REDACTED[kind](column)
        value = exp.Case().when(_matches(column, quotes), new).else_(exp.column(column))
        sets.append(exp.EQ(this=exp.column(column), expression=value))
    where = exp.or_(*(_matches(c, quotes) for c in columns))
    return exp.Update(this=exp.to_table(table), expressions=sets, where=exp.Where(this=where))
