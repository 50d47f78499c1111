"""Traits naming a registered custom property (engine/catalog/service.py) or a standard one with a
vocabulary (lifecycle, source, platform): each distinct value is validated once through
`Catalog.validate_properties`, like a manual edit; a refused value rejects its message with
the catalog's reason, an accepted custom one is written to the property's typed column. Other
non-standard traits stay in the `properties` JSON (store/ingest.apply_traits)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from engine.catalog.service import SQL_TYPES
from engine.catalog.values import CHOICE_PROPERTIES
from kith_errors import ValidationError
from store import ingest as repo

if TYPE_CHECKING:
    from engine.catalog.service import Catalog
    from store import Database


def check(db: Database, catalog: Catalog, batch: repo.Staging) -> tuple[dict[str, str], bool]:
    """Validate the registered properties among the traits of the batch's input into its
    `trait_check` (key, value, reason, typed), which staging reads the refused values from.
    Returns the registered properties' types by name, and whether there was anything to check
    (no registered property among the traits: nothing)."""
    types: dict[str, str] = {name: d.type for name, d in catalog.custom().items()}
    pairs = repo.bad_trait_values(db, batch, sorted(CHOICE_PROPERTIES | set(types)))
    if not pairs:
        return types, False
    rows = [checked(catalog, key, value) for key, value in pairs]
    batch.put(
        trait_check=pa.table(
            {name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(_COLUMNS)}
        )
    )
    return types, True


_COLUMNS = ("key", "value", "reason", "typed")


def checked(catalog: Catalog, key: str, value: str) -> tuple[str, str, str | None, str | None]:
    """(key, JSON value, why the catalog refuses it or None, the value as its column's text)."""
    try:
        clean = catalog.validate_properties({key: json.loads(value)})
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


def apply(db: Database, batch: repo.Staging, types: dict[str, str]) -> list[str]:
    """Write the batch's latest typed trait values (staged in the store) to their columns;
    returns the properties written, which the JSON merge then leaves out."""
    names = repo.typed_trait_keys(db, sorted(types)) if types else []
    for name in names:
        repo.write_typed_trait(db, batch, name, SQL_TYPES[types[name]])
    return names
