"""Profiles: create, read, edit (every change audited), field history, search, the filtered
list behind the People screen, and a profile's activity (timeline, sessions)."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from dsl.ast import And, Expr, HasChannel
from engine.admin import audit
from engine.catalog.normalize import normalize
from engine.catalog.service import moment
from engine.catalog.vocab import CHANNELS, IDENTITY_TYPES
from engine.changes import Change, ChangeKind, Commit, Touches
from engine.clock import as_of_or_now, utcnow
from engine.models import MAX_OFFSET, Identity, Profile, check_page
from engine.profiles import engagement
from engine.profiles.engagement import Engagement
from engine.profiles.text_match import caseless_run, contains, like_pattern
from kith_errors import Conflict, NotFound, ValidationError
from store import profiles as repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.segments.service import Segments
    from store.db import Database

PROFILE_IDS = "profiles"
IDENTITY_KINDS = frozenset(IDENTITY_TYPES) | frozenset(CHANNELS) | {"external_id"}
_MODEL_FIELDS = set(Profile.model_fields)

__all__ = ["ProfileFilter", "ProfilePage", "Profiles", "normalize_identity"]


def normalize_identity(kind: str, value: Any) -> str:
    """The stored form of an identity value (emails lower-cased, phones E.164)."""
    if kind not in IDENTITY_KINDS:
        known = ", ".join(sorted(IDENTITY_KINDS))
        raise ValidationError(f"unknown identity type {kind!r}; use one of: {known}")
    try:
        stored = normalize(kind, value)
    except ValueError as err:
        raise ValidationError(f"identity {kind}: {err}", details={"type": kind}) from None
    if stored is None:
        raise ValidationError(f"identity {kind} has an empty value")
    return stored


def _pairs(identities: Mapping[str, str | list[str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for kind, values in identities.items():
        for value in [values] if isinstance(values, str) else list(values):
            pairs.append((kind, normalize_identity(kind, value)))
    if not pairs:
        raise ValidationError("a profile needs at least one identity (email, phone, user_id...)")
    return list(dict.fromkeys(pairs))


class ChannelsShown(Protocol):
    """What the People list shows of a profile's channels (engine/profiles/channels.py)."""

    @property
    def names(self) -> builtins.list[str]: ...

    @property
    def main(self) -> str | None: ...


# A page's channels by profile at a moment, and how many profiles are merged into each one:
# given by the facade, since the channel and merge services themselves need `Profiles`.
ChannelsOf = Callable[[Sequence[int], "dt.datetime | None"], Mapping[int, ChannelsShown]]
MergedCounts = Callable[[Sequence[int]], Mapping[int, int]]


class Profiles:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        segments: Segments,
        commit: Commit,
        *,
        channels_of: ChannelsOf,
        merged_counts: MergedCounts,
    ) -> None:
        self.db, self.catalog, self.segments, self.commit = db, catalog, segments, commit
        self.channels_of, self.merged_counts = channels_of, merged_counts

    # ---- create and read ---------------------------------------------------------------------

    def create(
        self,
        identities: Mapping[str, str | list[str]],
        properties: dict[str, Any] | None = None,
        *,
        actor: str = "admin",
    ) -> Profile:
        """A new profile owning `identities` (none may belong to another profile)."""
        pairs = _pairs(identities)
        values = self.catalog.validate_properties(_defaults(pairs, properties), partial=False)
        db = self.db
        with db.transaction():
            taken = repo.owners(db, pairs)
            if taken:
                kind, value, owner = taken[0]
                raise Conflict(
                    f"identity {kind} {value!r} already belongs to profile {owner}",
                    details={"type": kind, "value": value, "profile_id": owner},
                )
            profile_id = db.allocate_ids(PROFILE_IDS, 1)
            now = utcnow()
            row = {"id": profile_id, "created_at": now, "updated_at": now}
            repo.insert_row(db, _row_json(row | self._columns(values)))
            repo.insert_identities(db, profile_id, pairs, now, "admin")
            audit.record(self, actor, "profile", profile_id, "create", after=_jsonable(values))
        self.commit(Change.of(ChangeKind.EDIT, [profile_id]))
        return self.get(profile_id)

    def get(self, profile_id: int) -> Profile:
        row = repo.row(self.db, profile_id)
        if row is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})
        ids = repo.identity_rows(self.db, profile_id)
        return _profile(row, ids, repo.labels_of(self.db, profile_id))

    def find(self, identity_type: str, value: str) -> int | None:
        """The profile owning an identity, if any."""
        return repo.find(self.db, identity_type, normalize_identity(identity_type, value))

    def resolve(self, ref: str | int) -> int:
        """The profile a person names: its id, any identity value it holds (an email, a phone
        in any spelling, a user id, a channel id...), or `TYPE:VALUE` to say which type
        (`id:42`, `user_id:42`). A bare number is the id when such a profile exists."""
        text = str(ref).strip()
        if not text:
            raise ValidationError("name a profile: its id or any identity value it holds")
        kind, sep, value = text.partition(":")
        if sep and kind in IDENTITY_KINDS | {"id"}:
            return self._resolve_typed(kind, value.strip(), text)
        if text.isdigit() and repo.existing_ids(self.db, [int(text)]):
            return int(text)
        return self._resolve_value(text)

    def _resolve_typed(self, kind: str, value: str, text: str) -> int:
        if kind == "id":
            if not value.isdigit() or not repo.existing_ids(self.db, [int(value)]):
                raise NotFound(f"profile {value} does not exist", details={"id": value})
            return int(value)
        found = self.find(kind, value)
        if found is None:
            raise NotFound(f"no profile has the identity {text!r}", details={"ref": text})
        return found

    def _resolve_value(self, text: str) -> int:
        """The one profile holding `text` as a value of any identity type."""
        pairs = []
        for kind in sorted(IDENTITY_KINDS):
            try:
                stored = normalize(kind, text)
            except ValueError:
                continue
            if stored is not None:
                pairs.append((kind, stored))
        owners = repo.owners(self.db, pairs)
        ids = sorted({owner for _, _, owner in owners})
        if not ids:
            raise NotFound(
                f"no profile has the id or identity value {text!r}", details={"ref": text}
            )
        if len(ids) > 1:
            named = ", ".join(f"#{pid} ({kind})" for kind, _, pid in owners)
            raise Conflict(
                f"{text!r} names several profiles: {named}; say which with TYPE:VALUE",
                details={"ref": text, "profiles": ids},
            )
        return ids[0]

    def engagement(self, profile_id: int, *, as_of: dt.datetime | None = None) -> Engagement:
        """Last contact, messages in and out, purchases and lifetime value, average CSAT and
        open tickets (engine/profiles/engagement.py), from the events up to `as_of`."""
        self.get(profile_id)
        return engagement.summary(self.db, profile_id, as_of_or_now(as_of))

    def identities(self, profile_id: int) -> pd.DataFrame:
        self.get(profile_id)
        return repo.identities(self.db, profile_id)

    # ---- edit --------------------------------------------------------------------------------

    def update(self, profile_id: int, changes: dict[str, Any], *, actor: str) -> Profile:
        """Apply validated changes; each changed field is audited with before and after."""
        values = self.catalog.validate_properties(changes)
        db = self.db
        with db.transaction():
            current = self._current(profile_id)
            before = _flat(current)
            after = _jsonable(values)
            diff = [(k, before.get(k), v) for k, v in after.items() if before.get(k) != v]
            if diff:
                row = current | self._columns(values, current.get("properties") or {})
                repo.replace_row(db, profile_id, _row_json(row | {"updated_at": utcnow()}))
                audit.record_changes(self, actor, "profile", profile_id, "update", diff)
            claimed = self._claim_identities(profile_id, values, actor)
        if diff or claimed:
            edited = {(field,) for field, _, _ in diff} | {(kind,) for kind in claimed}
            touches = Touches(props=frozenset(edited | {("updated_at",)}))
            self.commit(Change.of(ChangeKind.EDIT, [profile_id], touches=touches))
        return self.get(profile_id)

    def _claim_identities(self, profile_id: int, values: dict[str, Any], actor: str) -> list[str]:
        """An email or phone set on the profile also becomes its identity (already normalised
        by the catalog), so identity resolution finds the person by it; returns the identity
        types it added."""
        pairs = [(k, values[k]) for k in ("email", "phone") if values.get(k)]
        if not pairs:
            return []
        db = self.db
        taken = repo.owners(db, pairs)
        other = [t for t in taken if t[2] != profile_id]
        if other:
            kind, value, owner = other[0]
            raise Conflict(
                f"{kind} {value!r} already belongs to profile {owner}; merge the two instead",
                details={"type": kind, "value": value, "profile_id": owner},
            )
        new = [p for p in pairs if p not in {(k, v) for k, v, _ in taken}]
        if new:
            repo.insert_identities(db, profile_id, new, utcnow(), "admin")
            for kind, value in new:
                field = f"identity.{kind}"  # kept on the profile's history: erase removes it
                audit.record(self, actor, "profile", profile_id, "identity_add", field, after=value)
        return [kind for kind, _ in new]

    def _current(self, profile_id: int) -> dict[str, Any]:
        text = repo.row_json(self.db, profile_id)
        if text is None:
            raise NotFound(f"profile {profile_id} does not exist", details={"id": profile_id})
        return json.loads(text)

    def _columns(self, values: dict[str, Any], extra: dict | None = None) -> dict[str, Any]:
        """Split values into real columns and the `properties` JSON (unregistered keys)."""
        columns = set(repo.profile_columns(self.db))
        row = {k: v for k, v in values.items() if k in columns}
        props = dict(extra or {})
        props.update({k: v for k, v in values.items() if k not in columns})
        row["properties"] = {k: v for k, v in props.items() if v is not None}
        return row

    def names(self, ids: Iterable[int]) -> dict[int, str]:
        """What each of these people is called on screen (their name, else email, else phone);
        ids of profiles that no longer exist or have none of them are left out."""
        wanted = sorted({int(i) for i in ids})
        return dict(repo.display_names(self.db, wanted)) if wanted else {}

    def field_history(self, profile_id: int, field: str | None = None) -> pd.DataFrame:
        """Every audited change of the profile (or of one field), oldest first."""
        return audit.history(self, "profile", profile_id, field)

    def duplicates(self, profile_id: int, limit: int = 20) -> pd.DataFrame:
        """Other profiles that may be the same person, the likeliest first: id, name, email,
        phone, reasons (same email or phone in their stored forms; the same name with a phone
        ending in the same 8 digits)."""
        self.get(profile_id)
        check_page(limit, 0, 100)
        return repo.duplicates(self.db, profile_id, int(limit))

    # ---- search and list ---------------------------------------------------------------------

    def search(self, text: str, limit: int = 20) -> pd.DataFrame:
        """Profiles whose name, email, phone, city, a custom property, a label or any identity
        contains `text` (any case): exact matches first, then those starting with it, then the
        rest; within each, the most recently seen first."""
        if not text or not text.strip():
            raise ValidationError("type something to search for")
        custom = self._custom_columns()
        built = _Where(set())
        built.add_text(text, custom)
        where, _ = built.result()
        rank = _rank(built.param(text.strip().lower()), custom)
        seen = exp.Ordered(this=exp.column("last_seen"), desc=True, nulls_first=False)
        query = (
            exp.select(*_PAGE_COLUMNS)
            .from_(exp.to_table("profiles").as_("p"))
            .where(where)
            .order_by(rank, seen, exp.column("id"))
            .limit(exp.Placeholder(this="page_limit"))
        )
        return self.db.df(query, {**built.params, "page_limit": max(0, int(limit))})

    def _custom_columns(self) -> builtins.list[str]:
        """The typed columns of the registered custom properties."""
        columns = set(repo.profile_columns(self.db))
        return sorted(set(self.catalog.custom()) & columns)

    def list(
        self,
        filters: ProfileFilter | None = None,
        *,
        sort: str = "last_seen",
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> ProfilePage:
        """One page of profiles matching every given filter, and the total count."""
        if sort not in SORTABLE:
            raise ValidationError(f"cannot sort by {sort!r}; use one of {', '.join(SORTABLE)}")
        where, params = self.condition(filters or ProfileFilter())
        page, total = self._page_and_total(where, params, sort, descending, limit, offset)
        ids = page["id"].tolist()
        channels = self.channels_of(ids, filters.as_of if filters else None)
        page.insert(4, "channels", [channels[i].names for i in ids])
        page.insert(5, "main_channel", [channels[i].main for i in ids])
        merged = self.merged_counts(ids)
        page.insert(6, "merged", [merged.get(i, 0) for i in ids])
        return ProfilePage(rows=page, total=total)

    def matching_ids(self, filters: ProfileFilter) -> builtins.list[int]:
        """The ids of every profile matching the filters (a group made of a filter's results)."""
        where, params = self.condition(filters)
        query = exp.select(_ID).from_(exp.to_table("profiles").as_("p")).where(where).order_by(_ID)
        return [int(r[0]) for r in self.db.rows(query, params)]

    def _page_and_total(
        self,
        where: exp.Expr,
        params: dict[str, Any],
        sort: str,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[pd.DataFrame, int]:
        """Unfiltered: a count (cheap) and a top-N page. Filtered: one scan that also counts
        (a window total), so the filter runs once; a count only when the page is past the end."""
        db, filtered = self.db, where != exp.true()
        check_page(limit, offset, MAX_OFFSET, min_limit=0)
        bounds = {"page_limit": int(limit), "page_offset": int(offset)}
        page = db.df(_page(where, sort, descending, with_total=filtered), {**params, **bounds})
        if not filtered:
            return page, int(db.scalar(_count(where), params))
        total = int(page.pop("_total").iloc[0]) if len(page) else None
        if total is None:  # an empty page: past the end, asked for no rows, or nobody matches
            total = int(db.scalar(_count(where), params)) if offset or not limit else 0
        return page, total

    def condition(self, f: ProfileFilter) -> tuple[exp.Expr, dict[str, Any]]:
        """The filters as one sqlglot condition over `profiles`, with its bound parameters."""
        built = _Where(set(repo.profile_columns(self.db)))
        built.add_text(f.text, self._custom_columns() if f.text else ())
        built.exists_in("labels", "label", f.label)
        built.equals("source", f.source)
        built.equals("lifecycle", f.lifecycle)
        built.between("created_at", f.created_from, f.created_to)
        built.between("last_seen", f.last_seen_from, f.last_seen_to)
        for key, value in f.properties.items():
            built.property_equals(key, value)
        built.activity(f.event_type, f.event_from, f.event_to)
        language = self._language_part(f)
        if language is not None:
            built.add(*self.segments.condition(language, as_of=f.as_of))
        return built.result()

    def _language_part(self, f: ProfileFilter) -> Expr | None:
        """The filters the segment language states, as one expression compiled once (so their
        parameters cannot clash): the channel (the language's `has channel`, the one meaning
        of being on a channel), the saved segment and the expression."""
        parts: builtins.list[Expr] = [HasChannel(f.channel)] if f.channel else []
        parts += [self.segments.target(s) for s in (f.segment, f.expression) if s]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    # ---- activity ----------------------------------------------------------------------------

    def timeline(
        self,
        profile_id: int,
        types: Sequence[str] | None = None,
        start: dt.datetime | str | None = None,
        end: dt.datetime | str | None = None,
        limit: int = 500,
    ) -> pd.DataFrame:
        """The profile's events, newest first."""
        self.get(profile_id)
        lo, hi = moment(start, "start"), moment(end, "end")
        return repo.timeline(self.db, profile_id, types, lo, hi, limit)

    def sessions(self, profile_id: int) -> pd.DataFrame:
        self.get(profile_id)
        return repo.sessions(self.db, profile_id)

    def session_events(self, session_id: str) -> pd.DataFrame:
        return repo.session_events(self.db, session_id)


# ---- the filtered list ----------------------------------------------------------------------

SORTABLE = ("last_seen", "created_at", "updated_at", "first_seen", "name", "email", "id")
_PAGE_COLUMNS = ("id", "name", "email", "phone", "source", "lifecycle", "last_seen", "created_at")


class ProfileFilter(BaseModel):
    """People-screen filters, AND-combined. `segment` is a saved segment's name, `expression` a
    segment expression; `event_type` keeps profiles with such an event in [event_from, event_to).
    Date bounds: from is inclusive, to exclusive."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    channel: str | None = None
    label: str | None = None
    source: str | None = None
    lifecycle: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    last_seen_from: dt.datetime | None = None
    last_seen_to: dt.datetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    segment: str | None = None
    expression: str | None = None
    event_type: str | None = None
    event_from: dt.datetime | None = None
    event_to: dt.datetime | None = None
    as_of: dt.datetime | None = None


class ProfilePage(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    rows: pd.DataFrame
    total: int


_ID = exp.column("id", table="p")
_UNSPACED = ("email", "phone")  # identity types whose stored values never hold whitespace
_ANCHOR_LENGTH = 3  # shorter runs ('@', '.') hold in most values: no narrowing worth a pass


class _Where:
    """Collects conditions and their parameters (named f0, f1, ... to stay apart from the
    segment compiler's own)."""

    def __init__(self, columns: set[str]) -> None:
        self.columns = columns
        self.parts: list[exp.Expr] = []
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> exp.Placeholder:
        name = f"f{len(self.params)}"
        self.params[name] = value
        return exp.Placeholder(this=name)

    def add(self, condition: exp.Expr, params: dict[str, Any] | None = None) -> None:
        self.parts.append(condition)
        self.params.update(params or {})

    def add_text(self, text: str | None, custom: Sequence[str] = ()) -> None:
        """Name, email, phone, city, a registered custom property (`custom`: their columns),
        an unregistered property's value, a label or any identity value contains the text
        (any case).

        One scan of `profiles` OR-ed with semi-joins on `identities` and `labels` (one pass
        each producing ids). Emails and phones are stored without whitespace (normalised on
        every write path), so a needle holding a space skips them."""
        if not text or not text.strip():
            return
        needle = text.strip()
        found = self._holds(needle)
        spaced = any(c.isspace() for c in needle)
        held = found(exp.column("value", table="i"))
        if spaced:
            kinds = [exp.Literal.string(k) for k in _UNSPACED]
            held = exp.and_(
                exp.Not(this=exp.In(this=exp.column("type", table="i"), expressions=kinds)), held
            )
        identities = exp.select("profile_id").from_(exp.to_table("identities").as_("i")).where(held)
        labelled = found(exp.column("label", table="l"))
        labels = exp.select("profile_id").from_(exp.to_table("labels").as_("l")).where(labelled)
        matches = [found(column) for column in _text_columns(spaced, custom)]
        matches.append(found(_property_values()))
        semi = [exp.In(this=_ID, query=exp.Subquery(this=q)) for q in (identities, labels)]
        self.parts.append(exp.or_(*matches, *semi))

    def _holds(self, needle: str) -> Callable[[exp.Expr], exp.Expr]:
        """A condition builder: the column contains the needle, ignoring case. A needle with
        no letters needs no case folding (`contains`); one with a run of 3+ caseless characters
        is first narrowed by a `contains` of that run, verbatim in every match."""
        run = caseless_run(needle)
        if run == needle:
            literal = self.param(needle)
            return lambda column: contains(column, literal)
        pattern, escaped = like_pattern(needle)
        param = self.param(pattern)
        anchor = self.param(run) if len(run) >= _ANCHOR_LENGTH else None

        def like(column: exp.Expr) -> exp.Expr:
            matched: exp.Expr = exp.ILike(this=column, expression=param)
            backslash = exp.Literal.string("\\")
            matched = exp.Escape(this=matched, expression=backslash) if escaped else matched
            return matched if anchor is None else exp.and_(contains(column, anchor), matched)

        return like

    def exists_in(self, table: str, column: str, value: str | None) -> None:
        if value:
            inner = (
                exp.select("1")
                .from_(exp.to_table(table).as_("x"))
                .where(
                    exp.and_(
                        exp.EQ(this=exp.column("profile_id", table="x"), expression=_ID),
                        exp.EQ(this=exp.column(column, table="x"), expression=self.param(value)),
                    )
                )
            )
            self.parts.append(exp.Exists(this=inner))

    def equals(self, column: str, value: Any) -> None:
        if value is not None:
            field = exp.column(column, table="p")
            self.parts.append(exp.EQ(this=field, expression=self.param(value)))

    def between(self, column: str, low: dt.datetime | None, high: dt.datetime | None) -> None:
        field = exp.column(column, table="p")
        if low is not None:
            self.parts.append(exp.GTE(this=field, expression=self.param(moment(low, column))))
        if high is not None:
            self.parts.append(exp.LT(this=field, expression=self.param(moment(high, column))))

    def property_equals(self, key: str, value: Any) -> None:
        if key in self.columns and key != "properties":
            self.equals(key, value)
            return
        path = self.param(f"$.{key}")
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        raw = exp.func("json_extract_string", exp.column("properties", table="p"), path)
        self.parts.append(exp.EQ(this=raw, expression=self.param(text)))

    def activity(
        self, kind: str | None, start: dt.datetime | None, end: dt.datetime | None
    ) -> None:
        if kind is None:
            return
        conds: list[exp.Expr] = [
            exp.EQ(this=exp.column("profile_id", table="e"), expression=_ID),
            exp.EQ(this=exp.column("type", table="e"), expression=self.param(kind)),
        ]
        if start is not None:
            conds.append(
                exp.GTE(
                    this=exp.column("ts", table="e"),
                    expression=self.param(moment(start, "event_from")),
                )
            )
        if end is not None:
            conds.append(
                exp.LT(
                    this=exp.column("ts", table="e"), expression=self.param(moment(end, "event_to"))
                )
            )
        inner = exp.select("1").from_(exp.to_table("events").as_("e")).where(exp.and_(*conds))
        self.parts.append(exp.Exists(this=inner))

    def result(self) -> tuple[exp.Expr, dict[str, Any]]:
        return (exp.and_(*self.parts) if self.parts else exp.true()), self.params


def _text_columns(spaced: bool, custom: Sequence[str]) -> list[exp.Expr]:
    """The profile's own text a search looks in (custom properties read as text)."""
    own = ("name", "city") if spaced else ("name", "email", "phone", "city")
    columns: list[exp.Expr] = [exp.column(c, table="p") for c in own]
    columns += [exp.cast(exp.column(c, table="p"), exp.DataType.Type.VARCHAR) for c in custom]
    return columns


def _property_values() -> exp.Expr:
    """The values (not the keys) of the unregistered properties, as one text."""
    values = exp.func(
        "json_extract_string", exp.column("properties", table="p"), exp.Literal.string("$.*")
    )
    return exp.func("array_to_string", values, exp.Literal.string("\x1f"))


def _rank(needle: exp.Expr, custom: Sequence[str]) -> exp.Expr:
    """0 when a value equals the search text (any case), 1 when one starts with it, else 2;
    over the profile's own text, its identity values and its labels."""
    own = [exp.func("lower", c) for c in _text_columns(False, custom)]

    def any_of(test: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
        held = [
            _held_in(table, test(exp.func("lower", exp.column(column))))
            for table, column in (("identities", "value"), ("labels", "label"))
        ]
        return exp.or_(*(test(c) for c in own), *held)

    exact = any_of(lambda c: exp.EQ(this=c, expression=needle.copy()))
    prefix = any_of(lambda c: exp.func("starts_with", c, needle.copy()))
    return exp.Case(
        ifs=[
            exp.If(this=exact, true=exp.Literal.number(0)),
            exp.If(this=prefix, true=exp.Literal.number(1)),
        ],
        default=exp.Literal.number(2),
    )


def _held_in(table: str, condition: exp.Expr) -> exp.Expr:
    """The profile has a row in `table` (keyed by profile_id) meeting the condition."""
    ids = exp.select("profile_id").from_(exp.to_table(table)).where(condition)
    return exp.In(this=_ID, query=exp.Subquery(this=ids))


def _count(where: exp.Expr) -> exp.Expr:
    return (
        exp.select(exp.func("count", exp.Star()))
        .from_(exp.to_table("profiles").as_("p"))
        .where(where)
    )


def _page(where: exp.Expr, sort: str, descending: bool, with_total: bool) -> exp.Expr:
    """A page of profiles; LIMIT and OFFSET are the bound parameters page_limit, page_offset."""
    order = exp.Ordered(this=exp.column(sort), desc=descending, nulls_first=False)
    total = exp.Window(this=exp.func("count", exp.Star())).as_("_total")
    columns = [*_PAGE_COLUMNS, total] if with_total else list(_PAGE_COLUMNS)
    return (
        exp.select(*columns)
        .from_(exp.to_table("profiles").as_("p"))
        .where(where)
        .order_by(order, exp.column("id"))
        .limit(exp.Placeholder(this="page_limit"))
        .offset(exp.Placeholder(this="page_offset"))
    )


# ---- row helpers -----------------------------------------------------------------------------


def _defaults(pairs: list[tuple[str, str]], properties: dict | None) -> dict[str, Any]:
    """The first email / phone identity fills the email / phone field when not given."""
    values = {"source": "added_by_admin", **(properties or {})}
    for kind, field in (("email", "email"), ("phone", "phone")):
        found = next((v for k, v in pairs if k == kind), None)
        if found and not values.get(field):
            values[field] = found
    return values


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=str))


def _row_json(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """Columns plus JSON keys, with stored timestamps parsed back, for before/after diffs."""
    flat = {k: v for k, v in row.items() if k != "properties"}
    flat.update(row.get("properties") or {})
    return flat


def _profile(row: dict[str, Any], identities: list[repo.IdentityRow], labels: list[str]) -> Profile:
    props = json.loads(row["properties"]) if row.get("properties") else {}
    custom = {k: v for k, v in row.items() if k not in _MODEL_FIELDS and k != "properties"}
    props.update({k: v for k, v in custom.items() if v is not None})
    base = {k: v for k, v in row.items() if k in _MODEL_FIELDS and k != "properties"}
    ids = [Identity(profile_id=row["id"], **asdict(i)) for i in identities]
    return Profile(**base, properties=props, identities=ids, labels=labels)
