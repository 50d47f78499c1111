"""Rule property writes checked like a manual edit, before any of a firing's actions apply.

A rule's `set`, `unset` and `increment` of a standard or registered property go through the
catalog's own value check (engine/catalog/values.py, the one `Profiles.update` uses): the
type, the allowed values, the pattern, the range and whether it may be emptied. A firing whose
write is refused does nothing at all and is logged with the reason (`refused: ...`); the others
apply with the value as the catalog stores it (an email lower-cased, a phone in E.164).
Unregistered data (`properties.x`, a nested path) has no definition and is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlglot import exp

from dsl.ast import Action, EventRef, Increment, Path, SetProperty, UnsetProperty
from engine.catalog.values import Choices, checked_value
from engine.catalog.vocab import STANDARD_PROPERTIES
from engine.models import PropertyDefinition
from store.db import Database

if TYPE_CHECKING:
    from engine.catalog.service import Catalog

REFUSED = "refused: "  # the firing log's outcome prefix for a refused write


@dataclass(frozen=True)
class Checked:
    """A firing frame split into the rows whose writes pass and those refused (with why)."""

    passed: pd.DataFrame
    refused: pd.DataFrame  # the refused rows, with a `reason` column


def check_writes(
    db: Database,
    catalog: Catalog,
    actions: tuple[Action, ...],
    frame: pd.DataFrame,
    refs: dict[str, str],
) -> Checked:
    """Split `frame` (one row per firing) by whether every property write of `actions` passes
    the catalog's check for that row; `refs` maps `event.<path>` to the frame's columns."""
    writes = [a for a in actions if isinstance(a, SetProperty | UnsetProperty | Increment)]
    if frame.empty or not writes:
        return Checked(frame, frame.iloc[0:0].assign(reason=""))
    custom = catalog.custom()
    checked = [a for a in writes if _defined(a.prop, custom)]
    reasons = pd.Series(None, index=frame.index, dtype=object)
    choices = catalog.choices()
    for action in checked:
        found = _reasons(db, action, frame, refs, custom, choices)
        reasons = reasons.fillna(found)
    bad = reasons.notna().to_numpy()
    refused = frame[bad].assign(reason=reasons[bad].to_numpy())
    return Checked(frame[~bad], refused)


def coerced_value(catalog: Catalog, prop: Path, value: Any) -> Any:
    """A literal value (checked already: it passes) as the catalog stores it."""
    custom = catalog.custom()
    if not _defined(prop, custom):
        return value
    return checked_value(prop.dotted, value, custom, [], catalog.choices())


def coerced(catalog: Catalog, prop: Path, values: pd.Series) -> pd.Series:
    """The values (checked already: they pass) as the catalog stores them."""
    custom = catalog.custom()
    if not _defined(prop, custom) or values.empty:
        return values
    choices = catalog.choices()
    stored = {v: checked_value(prop.dotted, v, custom, [], choices) for v in pd.unique(values)}
    return values.map(stored).astype(object)


def _defined(prop: Path, custom: dict[str, PropertyDefinition]) -> bool:
    """Whether the property has a definition to check against (a standard or custom column)."""
    if len(prop.parts) != 1:
        return False
    return prop.dotted in STANDARD_PROPERTIES or prop.dotted in custom


def _reasons(
    db: Database,
    action: SetProperty | UnsetProperty | Increment,
    frame: pd.DataFrame,
    refs: dict[str, str],
    custom: dict[str, PropertyDefinition],
    choices: Choices,
) -> pd.Series:
    """Why each row's write is refused (None where it passes)."""
    name = action.prop.dotted
    if isinstance(action, UnsetProperty):
        return _same(frame, _reason(name, None, custom, choices))
    if isinstance(action, Increment):
        return _increments(db, action, frame, custom, choices)
    if isinstance(action.value, EventRef):
        values = frame[refs[action.value.path.dotted]]
        present = values.notna()  # an event without the property writes nothing
        verdicts = {v: _reason(name, v, custom, choices) for v in pd.unique(values[present])}
        return values.where(present).map(verdicts, na_action="ignore").astype(object)
    return _same(frame, _reason(name, action.value.value, custom, choices))


def _increments(
    db: Database,
    action: Increment,
    frame: pd.DataFrame,
    custom: dict[str, PropertyDefinition],
    choices: Choices,
) -> pd.Series:
    """Each firing's value after the increment (current value + by x firings of the profile),
    checked like an edit to that value."""
    name = action.prop.dotted
    ids, counts = np.unique(frame["profile_id"].to_numpy("int64"), return_counts=True)
    current = _current_values(db, name, ids.tolist())
    verdicts = {
        int(pid): _reason(
            name, _number(current.get(int(pid))) + action.by * int(n), custom, choices
        )
        for pid, n in zip(ids, counts, strict=True)
    }
    return frame["profile_id"].astype("int64").map(verdicts).astype(object)


def _current_values(db: Database, name: str, ids: list[int]) -> dict[int, Any]:
    """The property's stored value of each profile (a column: `_defined` said so)."""
    query = (
        exp.select("id", exp.column(name, quoted=True))
        .from_("profiles")
        .where(exp.func("list_contains", exp.Placeholder(this="ids"), exp.column("id")))
    )
    return {int(pid): value for pid, value in db.rows(query, {"ids": ids})}


def _number(value: Any) -> float:
    try:
        return 0.0 if value is None else float(value)
    except (TypeError, ValueError):
        return 0.0  # the UPDATE counts a non-number as 0 too


def _reason(
    name: str, value: Any, custom: dict[str, PropertyDefinition], choices: Choices
) -> str | None:
    problems: list[dict[str, str]] = []
    checked_value(name, value, custom, problems, choices)
    return problems[0]["message"] if problems else None


def _same(frame: pd.DataFrame, reason: str | None) -> pd.Series:
    return pd.Series(reason, index=frame.index, dtype=object)
