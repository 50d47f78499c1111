"""Profile import from CSV (template, preview with a per-row error report, set-based import)
and export of a filtered profile list to CSV or Parquet.

The file is parsed once with pandas, validated with vectorised column operations, and written
with a handful of set-based statements over the registered frames, so 100k rows take seconds.
Rows with errors are reported (line number in the file, header = line 1) and skipped; the good
rows land. A row whose identities point at an existing profile updates it (non-empty cells
only) and adds its new identities; otherwise it creates a profile."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from engine.admin import audit
from engine.catalog.normalize import normalize_series, rule
from engine.catalog.values import Choices, standard_choices
from engine.catalog.vocab import STANDARD_PROPERTIES
from engine.changes import Change, ChangeKind, Commit
from engine.clock import utcnow
from engine.models import PropertyDefinition
from engine.profiles import import_columns
from engine.profiles.service import PROFILE_IDS, ProfileFilter
from engine.profiles.spreadsheet import neutralised, restored
from engine.progress import Progress, report
from kith_errors import NotFound, ValidationError
from store import profiles as profile_repo
from store import transfer as repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from engine.profiles.consent import Consent
    from engine.profiles.service import Profiles
    from store.db import Database

# Collects the changes committed on this thread inside the block instead of running them
# (`Workspace.holding_commits`): an import commits its profiles before their consent changes.
HoldCommits = Callable[[], AbstractContextManager[list[Change]]]

TEMPLATE_COLUMNS = (
    "name",
    "identifier",
    "email",
    "phone_number",
    "channel_id",
    "source",
    "channel_name",
)
_TEMPLATE_EXAMPLE = (
    "Ana Putri",
    "user-1001",
    "ana@example.com",
    "+6281234567",
    "6281234567",
    "import",
    "whatsapp",
)
# File column -> profile column, for the template's renamed ones.
_RENAMED = {"phone_number": "phone"}
_IDENTITY_COLUMNS = {"identifier": "user_id", "email": "email", "phone_number": "phone"}
# Maintained by Kith: accepted (so an export re-imports) but not written.
_IGNORED = {"id", "created_at", "updated_at", "first_seen", "last_seen", "channels", "properties"}
_EXPORT_OWN = {"id", "name", "email", "phone"}  # exported first, in the template's names
# a column mapping (file header -> Kith column or "ignore"), or the name of a saved one
Mapping_ = dict[str, str] | str | None


class ImportPreview(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    valid_rows: int
    errors: pd.DataFrame  # row (line in the file), column, message
    sample: pd.DataFrame
    ignored_columns: list[str] = Field(default_factory=list)


class ImportColumns(BaseModel):
    headers: list[str]  # the file's, as written
    targets: list[str]  # the Kith columns a header may map to, and "ignore"
    guess: dict[str, str]  # header -> its own name when Kith knows it, else "ignore"


class ImportReport(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    created: int
    updated: int
    consent: int = 0  # consent changes recorded from consent columns
    errors: pd.DataFrame


class _Parsed:
    """A validated file: good rows (profile columns, typed), their identities, the errors."""

    def __init__(
        self,
        rows: pd.DataFrame,
        ids: pd.DataFrame,
        errors: list[pd.DataFrame],
        consent: pd.DataFrame,
    ) -> None:
        self.rows, self.ids, self.errors, self.consent = rows, ids, errors, consent
        self.ignored: list[str] = []

    def drop(self, bad: pd.DataFrame, *, record: bool = True) -> None:
        if record:
            self.errors.append(bad)
        self.rows = self.rows[~self.rows["row"].isin(bad["row"])]
        self.ids = self.ids[~self.ids["row"].isin(bad["row"])]
        self.consent = self.consent[~self.consent["row"].isin(bad["row"])]

    def error_frame(self) -> pd.DataFrame:
        frame = pd.concat(self.errors, ignore_index=True) if self.errors else _no_errors()
        return frame.sort_values(["row", "column"], kind="stable").reset_index(drop=True)


def _no_errors() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": [], "message": []})


class Transfer:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        profiles: Profiles,
        consent: Consent,
        commit: Commit,
        holding_commits: HoldCommits,
    ) -> None:
        self.db, self.catalog, self.profiles, self.consent = db, catalog, profiles, consent
        self.commit, self.holding_commits = commit, holding_commits

    def template_csv(self) -> str:
        """The import template: its header and one example row."""
        return ",".join(TEMPLATE_COLUMNS) + "\n" + ",".join(_TEMPLATE_EXAMPLE) + "\n"

    def preview_import(
        self, data: str | bytes | Path, *, sep: str | None = ",", mapping: Mapping_ = None
    ) -> ImportPreview:
        """What an import would do, writing nothing. `mapping`: file header -> Kith column
        (or `ignore`), or the name of a saved mapping."""
        parsed = self._parse(data, sep, mapping)
        self._plan(parsed, assign_ids=False)
        return ImportPreview(
            valid_rows=len(parsed.rows),
            errors=parsed.error_frame(),
            sample=parsed.rows.head(10).reset_index(drop=True),
            ignored_columns=parsed.ignored,
        )

    def import_profiles(
        self,
        data: str | bytes | Path,
        *,
        sep: str | None = None,
        mapping: Mapping_ = None,
        actor: str = "admin",
        progress: Progress | None = None,
    ) -> ImportReport:
        """Create or update a profile per good row; bad rows are reported and skipped. Consent
        columns are recorded in the consent trail (source `import`, by `actor`)."""
        report(progress, "Reading and checking the rows", 0.0)
        parsed = self._parse(data, sep, mapping)
        db = self.db
        with db.transaction(), self.holding_commits() as held:
            report(progress, "Matching the rows to the people Kith knows", 0.3)
            plan = self._plan(parsed, assign_ids=True)
            created = plan.loc[plan["is_new"], "profile_id"].tolist()
            updated = plan.loc[~plan["is_new"], "profile_id"].tolist()
            report(progress, f"Storing {len(plan):,} profiles", 0.5)
            if len(plan):
                self._write(parsed, plan)
            consented = self._consent(parsed, plan, actor)
            audit.record_bulk(self, actor, "profile", created, "create", field="import")
            audit.record_bulk(self, actor, "profile", updated, "import", field="import")
        report(progress, "Updating segments and running rules", 0.8)
        self.commit(Change.of(ChangeKind.IMPORT, created + updated))
        for change in held:  # the consent changes, after the profiles they are about
            self.commit(change)
        errors = parsed.error_frame()
        report(progress, "Imported", 1.0)
        return ImportReport(
            created=len(created), updated=len(updated), consent=consented, errors=errors
        )

    def _consent(self, parsed: _Parsed, plan: pd.DataFrame, actor: str) -> int:
        changes = parsed.consent.merge(plan[["row", "profile_id"]], on="row")
        if changes.empty:
            return 0
        return self.consent.set_many(changes, source="import", actor=actor)

    def columns(self, data: str | bytes | Path, *, sep: str | None = ",") -> ImportColumns:
        """The file's headers, the Kith columns they may map to, and a first guess for each
        (its own name when Kith knows it, else `ignore`), for the mapping step."""
        headers = [str(c) for c in _read(data, sep, None, lower=False).columns if c != "row"]
        custom = self.catalog.custom()
        targets = [*TEMPLATE_COLUMNS, *STANDARD_PROPERTIES, *custom]
        targets = list(dict.fromkeys(targets)) + import_columns.consent_targets()
        known = set(targets)
        guess = {h: h.strip().lower() if h.strip().lower() in known else "ignore" for h in headers}
        return ImportColumns(headers=headers, targets=[*targets, "ignore"], guess=guess)

    # ---- saved mappings ------------------------------------------------------------------------

    def mappings(self) -> dict[str, dict[str, str]]:
        """The workspace's saved column mappings by name."""
        return repo.mappings(self.db)

    def mapping(self, name: str) -> dict[str, str]:
        """One saved column mapping (NotFound names the saved ones)."""
        return self._saved(name)

    def save_mapping(
        self, name: str, mapping: dict[str, str], *, actor: str = "admin"
    ) -> dict[str, str]:
        """Save (or replace) a named column mapping for later imports."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("a saved mapping needs a name")
        clean = import_columns.checked_mapping(mapping)
        with self.db.transaction():
            before = repo.mappings(self.db).get(name.strip())
            repo.save_mapping(self.db, name.strip(), clean, utcnow())
            audit.record(self, actor, "import_mapping", name.strip(), "save", None, before, clean)
        return clean

    def delete_mapping(self, name: str, *, actor: str = "admin") -> None:
        with self.db.transaction():
            before = self._saved(name)
            repo.delete_mapping(self.db, name)
            audit.record(self, actor, "import_mapping", name, "delete", None, before, None)

    def _saved(self, name: str) -> dict[str, str]:
        saved = repo.mappings(self.db)
        if name not in saved:
            known = ", ".join(sorted(saved)) or "none yet"
            raise NotFound(f"no saved mapping named {name!r} (saved: {known})")
        return saved[name]

    def _mapping(self, mapping: Mapping_) -> dict[str, str] | None:
        if not mapping:
            return None
        if isinstance(mapping, str):
            return self._saved(mapping)
        return import_columns.checked_mapping(mapping)

    # ---- parsing and validation --------------------------------------------------------------

    def _parse(self, data: str | bytes | Path, sep: str | None, mapping: Mapping_) -> _Parsed:
        raw = _read(data, sep, self._mapping(mapping))
        custom = self.catalog.custom()
        ignored = _check_header(list(raw.columns), custom)
        raw = raw.drop(columns=ignored)
        consent_columns = import_columns.consent_columns(list(raw.columns))
        rows, errors = _typed_rows(raw, custom, self.catalog.choices())
        ids, id_errors = _identities(raw)
        consent, failed = import_columns.consent_frame(raw, consent_columns, utcnow())
        errors += [_errors(raw.loc[bad, "row"], col, msg) for col, msg, bad in failed if bad.any()]
        parsed = _Parsed(rows, ids, [*errors, *id_errors], consent)
        parsed.drop(parsed.error_frame(), record=False)
        parsed.ignored = ignored
        return parsed

    def _plan(self, parsed: _Parsed, *, assign_ids: bool) -> pd.DataFrame:
        """Which profile each good row goes to (new ids for new people, allocated only when
        `assign_ids`: a preview consumes none); conflicts become errors."""
        db = self.db
        found = repo.matches(db, parsed.ids)
        plan = parsed.rows[["row"]].merge(found, on="row", how="left")
        split = plan[plan["owners"].fillna(0) > 1]
        parsed.drop(
            _errors(
                split["row"],
                "identities",
                "identities belong to different profiles: " + split["owner_ids"].astype(str),
            )
        )
        plan = plan[plan["owners"].fillna(0) <= 1]
        twice = plan["profile_id"].notna() & plan.duplicated("profile_id", keep="first")
        parsed.drop(
            _errors(
                plan.loc[twice, "row"], "identities", "matches the same profile as an earlier row"
            )
        )
        plan = plan[~twice].copy()
        plan["is_new"] = plan["profile_id"].isna()
        new = int(plan["is_new"].sum())
        first = db.allocate_ids(PROFILE_IDS, new) if new and assign_ids else 0
        plan.loc[plan["is_new"], "profile_id"] = range(first, first + new)
        plan["profile_id"] = plan["profile_id"].astype("int64")
        return plan[["row", "profile_id", "is_new"]]

    # ---- writing -----------------------------------------------------------------------------

    def _write(self, parsed: _Parsed, plan: pd.DataFrame) -> None:
        """Rows joined to their profile ids in pandas, then three plain set-based statements."""
        db, now = self.db, utcnow()
        columns = [c for c in parsed.rows.columns if c != "row"]
        rows = parsed.rows.merge(plan, on="row")
        links = parsed.ids.merge(plan[["row", "profile_id"]], on="row")
        repo.insert_profiles(db, rows[rows["is_new"]], columns, now)
        if columns:
            repo.update_profiles(db, rows[~rows["is_new"]], columns, now)
        repo.insert_identities(db, links[["profile_id", "type", "value"]], now)

    # ---- export ------------------------------------------------------------------------------

    def export_profiles(
        self,
        filters: ProfileFilter | None = None,
        fmt: str = "csv",
        *,
        progress: Progress | None = None,
    ) -> bytes:
        """Every profile matching the filters, template columns first, as CSV or Parquet."""
        if fmt not in ("csv", "parquet"):
            raise ValidationError(f"export format {fmt!r} is not 'csv' or 'parquet'")
        report(progress, "Reading the matching profiles", 0.0)
        where, params = self.profiles.condition(filters or ProfileFilter())
        rest = [c for c in profile_repo.profile_columns(self.db) if c not in _EXPORT_OWN]
        frame = self.db.df(_export_query(where, rest), params)
        report(progress, f"Writing {len(frame):,} profiles as {fmt.upper()}", 0.6)
        buffer = io.BytesIO()
        if fmt == "csv":
            buffer.write(neutralised(frame).to_csv(index=False).encode("utf-8"))
        else:
            frame.to_parquet(buffer, index=False)
        report(progress, "Exported", 1.0)
        return buffer.getvalue()


# ---- reading the file ------------------------------------------------------------------------


def _read(
    data: str | bytes | Path, sep: str | None, mapping: dict[str, str] | None, *, lower: bool = True
) -> pd.DataFrame:
    text = _text(data)
    if not text.strip():
        raise ValidationError("the import file is empty")
    first = text.splitlines()[0]
    sep = sep or (";" if first.count(";") > first.count(",") else ",")
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise ValidationError(f"cannot read the file as CSV (separator {sep!r}): {err}") from None
    if mapping is not None:
        frame = import_columns.mapped(frame, mapping)
    if lower:
        frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = restored(frame.apply(lambda col: col.str.strip())).replace("", None)
    frame.insert(0, "row", range(2, len(frame) + 2))
    return frame


def _text(data: str | bytes | Path) -> str:
    if isinstance(data, Path):
        path = data
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ValidationError(f"cannot read {path}: {err.strerror}") from None
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("the import file is not UTF-8 text") from None
    return data


def _check_header(columns: list[str], custom: dict[str, PropertyDefinition]) -> list[str]:
    """The columns to ignore; unknown columns or a missing identity column stop the import."""
    known = {*TEMPLATE_COLUMNS, *STANDARD_PROPERTIES, *custom, "row"}
    unknown = [
        c
        for c in columns
        if c not in known and c not in _IGNORED and not import_columns.is_consent_column(c)
    ]
    if unknown:
        raise ValidationError(
            f"unknown column(s) {', '.join(unknown)}; the file may have "
            f"{', '.join(TEMPLATE_COLUMNS)}, standard properties, defined custom properties "
            "and consent_<channel> (+ consent_<channel>_at) columns; map other headers to "
            "these (or to 'ignore') with a column mapping",
            details={"unknown": unknown},
        )
    if not {*_IDENTITY_COLUMNS, "channel_id"} & set(columns):
        raise ValidationError(
            "the file needs an identity column: identifier, email, phone_number or channel_id"
        )
    if len(set(columns)) != len(columns):
        raise ValidationError("the file repeats a column name")
    missing = [n for n, d in custom.items() if d.required and n not in columns]
    if missing:
        raise ValidationError(f"required propert(ies) {', '.join(missing)} missing from the file")
    return [c for c in columns if c in _IGNORED]


def _errors(rows: pd.Series, column: str, message: Any) -> pd.DataFrame:
    frame = pd.DataFrame({"row": rows.astype("int64").to_numpy()})
    frame["column"] = column
    frame["message"] = message.to_numpy() if isinstance(message, pd.Series) else message
    return frame


# ---- validation (vectorised, one column at a time) -------------------------------------------


def _typed_rows(
    raw: pd.DataFrame, custom: dict[str, PropertyDefinition], choices: Choices
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    rows = pd.DataFrame({"row": raw["row"]})
    errors: list[pd.DataFrame] = []
    for column in raw.columns:
        target = _RENAMED.get(column, column)
        if column in custom:
            rows[target], bad = _custom_column(raw[column], custom[column])
        elif column in STANDARD_PROPERTIES or column in _RENAMED:
            rows[target], bad = _standard_column(target, raw[column], choices)
        else:
            continue
        errors += [_errors(raw.loc[mask, "row"], column, msg) for msg, mask in bad if mask.any()]
    return rows, errors


def _standard_column(
    name: str, values: pd.Series, choices: Choices
) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    if name in ("email", "phone"):
        stored, bad = normalize_series(name, values)
        return stored, [(rule(name).problem.removeprefix("is "), bad)]
    allowed = standard_choices(name, choices)  # the catalog's vocabulary, as an edit checks it
    if allowed is None:
        return values, []
    bad = values.notna() & ~values.isin(allowed)
    return values, [(f"must be one of {', '.join(allowed)}", bad)]


def _custom_column(
    values: pd.Series, d: PropertyDefinition
) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    typed = _as_type(values, d.type)
    present = values.notna()
    checks = [(f"must be a {d.type}", present & typed.isna())]
    if d.required:
        checks.append(("is required", ~present))
    if d.enum_values is not None:
        checks.append(
            (f"must be one of {d.enum_values}", typed.notna() & ~typed.isin(d.enum_values))
        )
    if d.pattern is not None:
        match = values.str.fullmatch(d.pattern).fillna(False).astype(bool)
        checks.append((f"does not match the pattern {d.pattern!r}", present & ~match))
    if d.min_value is not None:
        checks.append((f"must be at least {d.min_value:g}", typed.notna() & (typed < d.min_value)))
    if d.max_value is not None:
        checks.append((f"must be at most {d.max_value:g}", typed.notna() & (typed > d.max_value)))
    return typed, checks


def _as_type(values: pd.Series, kind: str) -> pd.Series:
    if kind == "number":
        return pd.to_numeric(values, errors="coerce")
    if kind == "boolean":
        lowered = values.str.lower()
        mapping = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        return lowered.map(mapping).astype("boolean")
    if kind == "date":
        stamps = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        return stamps.dt.tz_localize(None)
    return values


def _identities(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The long (row, type, value) identity frame, and identity errors."""
    parts: list[pd.DataFrame] = []
    errors: list[pd.DataFrame] = []
    for column, kind in _IDENTITY_COLUMNS.items():
        if column in raw.columns:
            values = normalize_series(kind, raw[column])[0]
            parts.append(pd.DataFrame({"row": raw["row"], "type": kind, "value": values}))
    if "channel_id" in raw.columns or "channel_name" in raw.columns:
        channel, errors = _channel_identities(raw)
        parts.append(channel)
    ids = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    none = raw.loc[~raw["row"].isin(ids["row"]), "row"]
    errors.append(
        _errors(none, "identities", "needs an identifier, email, phone_number or channel_id")
    )
    dupes = ids.duplicated(["type", "value"], keep="first")
    errors.append(
        _errors(
            ids.loc[dupes, "row"],
            "identities",
            ids.loc[dupes, "type"] + " " + ids.loc[dupes, "value"] + " appears on an earlier row",
        )
    )
    return ids.drop_duplicates(["row", "type", "value"]), errors


def _channel_identities(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    cid = (
        raw["channel_id"]
        if "channel_id" in raw.columns
        else pd.Series(None, index=raw.index, dtype=object)
    )
    given = (
        raw["channel_name"]
        if "channel_name" in raw.columns
        else pd.Series(None, index=raw.index, dtype=object)
    )
    name, unknown = import_columns.channel_types(given)
    errors = [
        _errors(
            raw.loc[cid.notna() & given.isna(), "row"],
            "channel_name",
            "channel_id needs a channel_name",
        ),
        _errors(
            raw.loc[cid.isna() & given.notna(), "row"],
            "channel_id",
            "channel_name needs a channel_id",
        ),
        _errors(raw.loc[unknown, "row"], "channel_name", import_columns.channel_problem()),
    ]
    value = normalize_series("channel_id", cid)[0]  # every channel takes the plain rule
    frame = pd.DataFrame({"row": raw["row"], "type": name, "value": value})
    return frame[frame["type"].notna()], errors


# ---- SQL ---------------------------------------------------------------------------------------


def _col(name: str, table: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def _export_query(where: exp.Expr, rest: list[str]) -> exp.Expr:
    """Template columns first (identifier = the user_id), then every other profile column."""
    user_ids = (
        exp.select("profile_id", exp.func("min", exp.column("value")).as_("identifier"))
        .from_("identities")
        .where(exp.EQ(this=exp.column("type"), expression=exp.Literal.string("user_id")))
        .group_by("profile_id")
    )
    on = exp.EQ(this=_col("profile_id", "u"), expression=_col("id", "p"))
    return (
        exp.select(
            _col("id", "p"),
            _col("name", "p"),
            _col("identifier", "u"),
            _col("email", "p"),
            _col("phone", "p").as_("phone_number"),
            *[_col(c, "p") for c in rest],
        )
        .from_(exp.to_table("profiles").as_("p"))
        .join(user_ids.subquery("u"), on=on, join_type="left")
        .where(where)
        .order_by(_col("id", "p"))
    )
