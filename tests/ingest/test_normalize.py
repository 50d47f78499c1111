"""One identity rule per type (engine/catalog/normalize.py): the scalar, Arrow and pandas front
ends give the same stored form and refuse the same values, and so do the doors that use them
(profile creation, ingestion, the CSV import)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from engine import Workspace
from engine.catalog.normalize import normalize, normalize_arrow, normalize_series
from kith_errors import ValidationError

REFUSED = "refused"
CASES = {
    "email": {
        "  Ana@Example.COM ": "ana@example.com",
        "bo@x.io": "bo@x.io",
        "not-an-email": REFUSED,
        "a b@x.io": REFUSED,
        " ": None,
    },
    "phone": {
        "+44 7700-900 123": "+447700900123",
        "0062 (812) 3456.789": "+628123456789",
        "6281234567": "+6281234567",
        " +44 (0)7700-900 123": "+4407700900123",
        "0": REFUSED,
        "++6281234567": REFUSED,
        "+0812345678": REFUSED,
        "+1234567": REFUSED,
        "": None,
    },
    "user_id": {"\tu1 ": "\tu1", " U-7 ": "U-7", "0": "0", "  ": None},
    "whatsapp": {" +62 812 ": "+62 812"},
}


def _scalar(kind: str, value: str) -> str | None:
    try:
        return normalize(kind, value)
    except ValueError:
        return REFUSED


def _column(stored: list[str | None], invalid: list[bool]) -> list[str | None]:
    return [REFUSED if bad else value for value, bad in zip(stored, invalid, strict=True)]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_front_end_gives_the_same_answer(kind: str) -> None:
    values, expected = list(CASES[kind]), list(CASES[kind].values())
    assert [_scalar(kind, v) for v in values] == expected
    arrow = normalize_arrow(kind, pa.array([*values, None]))
    assert _column(arrow.stored.to_pylist(), arrow.invalid.to_pylist()) == [*expected, None]
    stored, invalid = normalize_series(kind, pd.Series(values, index=range(10, 10 + len(values))))
    assert list(stored.index) == list(range(10, 10 + len(values)))
    assert _column(stored.tolist(), invalid.tolist()) == expected


def test_every_door_refuses_a_phone_that_is_not_one(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="'12-34' is not a phone number"):
        ws.profiles.create({"phone": "12-34"})
    report = ws.ingest.messages(
        [
            {"type": "identify", "userId": "u1", "traits": {"phone": "12-34"}},
            {"type": "identify", "userId": "u2", "traits": {"phone": "0062 812-3456-789"}},
        ]
    )
    assert [(r.line, r.reason) for r in report.rejected] == [
        (1, "phone '12-34' is not a phone number with its country code (+6281234567)")
    ]
    imported = ws.transfer.preview_import(
        "identifier,phone_number\nu3,12-34\nu4,+62 812 3456 789\n"
    )
    assert imported.errors.values.tolist() == [
        [2, "phone_number", "not a phone number with its country code (+6281234567)"]
    ]
    assert ws.profiles.find("phone", "+628123456789") == ws.profiles.find("user_id", "u2")
