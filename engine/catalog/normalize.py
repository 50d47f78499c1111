"""Identity values in their stored form: one rule per identity type, three front ends.

The rule (`Rule`) says how a value is cleaned and what a valid one looks like; the front ends
apply the same rule to one value (`normalize`: profile edits, lookups, property writes), to an
Arrow column (`normalize_arrow`: ingestion and the tracking API's admission) and to a pandas
column (`normalize_series`: the CSV profile import, through the Arrow front end).

Every value is first trimmed of spaces at both ends; a blank value is missing. Then:
- email: lower-cased; valid when it looks like name@domain.tld.
- phone: separators (whitespace, - ( ) . /) removed and a leading `00` read as `+`; valid when
  what follows the `+` is 8-15 digits not starting with 0; stored in E.164 (`+` and the digits).
- every other type (user_id, anonymous_id, channel ids, session ids): as trimmed.

Phones used to be normalised three ways that agreed on a valid number but not on anything else:
a profile edit refused a value that is not a phone number, the CSV import reported its row, and
ingestion stored the cleaned text as a phone identity. The refusal is kept everywhere (ingestion
now rejects the line with the reason, as it does a malformed email): the data model stores
phones as E.164, and a "phone" that is not one could never match the same person arriving
through another door. The three also differed on a doubled `+` (ingestion dropped every leading
`+`, the others one); one is dropped now, so `++62...` is not a phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the column front ends import them: a scalar check needs neither
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class Rule:
    """How one identity type is cleaned (`rewrites`: regex, replacement, in order) and what a
    cleaned value must fully match to be valid; the stored form is `prefix` + the cleaned value."""

    lower: bool = False
    rewrites: tuple[tuple[str, str], ...] = ()
    valid: str | None = None
    prefix: str = ""
    problem: str = ""


EMAIL = Rule(lower=True, valid=r"[^@\s]+@[^@\s]+\.[^@\s]+", problem="is not an email address")
PHONE = Rule(
    rewrites=((r"[\s\-().\/]", ""), (r"^00", "+"), (r"^\+", "")),
    valid=r"[1-9][0-9]{7,14}",
    prefix="+",
    problem="is not a phone number with its country code (+6281234567)",
)
PLAIN = Rule()
RULES = {"email": EMAIL, "phone": PHONE}


def rule(kind: str) -> Rule:
    return RULES.get(kind, PLAIN)


# ---- one value ---------------------------------------------------------------------------------


def normalize(kind: str, value: Any) -> str | None:
    """The stored form of one identity value of type `kind` (None when blank); ValueError saying
    what is wrong when it is not a valid value of its type."""
    kept = rule(kind)
    text = ("" if value is None else str(value)).strip(" ")
    if not text:
        return None
    text = text.lower() if kept.lower else text
    for pattern, replacement in kept.rewrites:
        text = re.sub(pattern, replacement, text)
    if kept.valid is not None and not re.fullmatch(kept.valid, text):
        raise ValueError(f"{value!r} {kept.problem}")
    return kept.prefix + text


# ---- a column ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalized:
    """A column of identity values: `given` as sent (trimmed; null when blank), `stored` in the
    stored form (null when blank or not valid), `invalid` where a value was given but is not
    valid."""

    given: pa.Array
    stored: pa.Array
    invalid: pa.Array


def normalize_arrow(kind: str, values: pa.Array) -> Normalized:
    """`normalize` over a whole Arrow column, vectorised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    null = pa.scalar(None, pa.string())
    kept = rule(kind)
    if values.null_count == len(values):
        nulls = pa.nulls(len(values), pa.string())
        return Normalized(nulls, nulls, _none(len(values)))
    given = pc.utf8_trim(values.cast(pa.string()), " ")
    given = pc.if_else(pc.equal(given, ""), null, given)
    text = pc.utf8_lower(given) if kept.lower else given
    for pattern, replacement in kept.rewrites:
        text = pc.replace_substring_regex(text, pattern, replacement)
    if kept.valid is None:
        return Normalized(given, text, _none(len(values)))
    valid = pc.fill_null(pc.match_substring_regex(text, f"^(?:{kept.valid})$"), False)
    stored = pc.binary_join_element_wise(kept.prefix, text, "") if kept.prefix else text
    invalid = pc.and_(pc.is_valid(given), pc.invert(valid))
    return Normalized(given, pc.if_else(valid, stored, null), invalid)


def _none(count: int) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    return pa.array(np.zeros(count, dtype=bool))


def normalize_series(kind: str, values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`normalize` over a pandas column: the stored values (None when blank or not valid) and
    a mask of the values given that are not valid."""
    import pandas as pd
    import pyarrow as pa

    column = normalize_arrow(kind, pa.array(values.astype(object), pa.string(), from_pandas=True))
    stored = pd.Series(column.stored.to_pylist(), index=values.index, dtype=object)
    invalid = pd.Series(column.invalid.to_pylist(), index=values.index, dtype=bool)
    return stored, invalid
