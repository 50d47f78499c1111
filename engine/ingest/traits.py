"""Traits naming a registered custom property (engine/catalog/service.py): each distinct value is
validated once through `ws.catalog.validate_properties`; a refused value rejects its message
with the catalog's reason, an accepted one is written to the property's typed column. Other
non-standard traits stay in the `properties` JSON (store/ingest.apply_traits)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from engine.catalog.service import SQL_TYPES
from kith_errors import ValidationError
from store import ingest as repo

if TYPE_CHECKING:
    from engine.workspace import Workspace


def check(ws: Workspace) -> tuple[dict[str, str], bool]:
    """Validate the registered properties among the traits of `kith_in`; registers
    `kith_trait_check` (key, value, reason, typed), which staging reads the refused values
    from. Returns the registered properties' types by name, and whether `kith_trait_check` was
    registered (no registered property among the traits: nothing to check)."""
    types: dict[str, str] = {name: d.type for name, d in ws.catalog.custom().items()}
    pairs = repo.bad_trait_values(ws.db, sorted(types)) if types else []
    if not pairs:
        return types, False
    rows = [checked(ws, key, value) for key, value in pairs]
    table = pa.table(
        {name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(_COLUMNS)}
    )
    ws.db.register("kith_trait_check", table)
    return types, True


_COLUMNS = ("key", "value", "reason", "typed")


def checked(ws: Workspace, key: str, value: str) -> tuple[str, str, str | None, str | None]:
    """(key, JSON value, why the catalog refuses it or None, the value as its column's text)."""
    try:
        clean = ws.catalog.validate_properties({key: json.loads(value)})
    except ValidationError as err:
        problems = err.details.get("errors") or [{"message": err.message}]
        return key, value, f"invalid trait {problems[0]['message']}", None
    return key, value, None, _text(clean[key])


def _text(value: Any) -> str | None:
    """A coerced value as text its column type casts from."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def apply(ws: Workspace, types: dict[str, str]) -> list[str]:
    """Write the batch's latest typed trait values (staged in `kith_traits`) to their columns;
    returns the properties written, which the JSON merge then leaves out."""
    names = repo.typed_trait_keys(ws.db, sorted(types)) if types else []
    for name in names:
        ws.db.execute(_update(name, types[name]), {"key": name})
    return names


def _update(name: str, kind: str) -> exp.Expr:
    """UPDATE profiles SET "<name>" = TRY_CAST(t.typed AS <type>) from the checked values."""
    latest = (
        exp.select("kt.profile_id", "c.typed")
        .from_("kith_traits AS kt")
        .join(
            "kith_trait_check AS c",
            on="c.key = kt.key AND c.value = CAST(kt.value AS VARCHAR)",
        )
        .where(exp.column("key", "kt").eq(exp.Placeholder(this="key")))
    )
    value = exp.TryCast(this=exp.column("typed", "t"), to=exp.DataType.build(SQL_TYPES[kind]))
    return exp.update(
        "profiles",
        # sqlglot takes Identifier keys as they are (its annotation says str): no re-parsing.
        {exp.to_identifier(name, quoted=True): value},  # type: ignore[dict-item]
        where="profiles.id = t.profile_id",
        from_=exp.From(this=latest.subquery("t")),
    )
