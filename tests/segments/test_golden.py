"""DSL -> SQL golden files, one per construct (tests/segments/golden/<name>.sql).

The compiler runs on its own here (a hand-built Schema, no database). To accept a deliberate
change, run with KITH_UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

import dsl
from dsl.schema import Schema
from engine.catalog.vocab import STANDARD_EVENT_TYPES, STANDARD_PROPERTIES, SYSTEM_PROPERTIES
from engine.compiler import Context, SavedSegment, compile_query, render

GOLDEN = Path(__file__).parent / "golden"
AS_OF = dt.datetime(2026, 3, 1)
SCHEMA = Schema(
    properties={
        **STANDARD_PROPERTIES,
        **SYSTEM_PROPERTIES,
        "plan": "string",
        "lifetime_value": "number",
        "properties": "json",
    },
    event_types={k: dict(v) for k, v in STANDARD_EVENT_TYPES.items()},
    segments={"active": frozenset(), "vips": frozenset(), "both": frozenset({"active", "vips"})},
    labels=frozenset({"vip"}),
    channels=frozenset({"whatsapp", "email"}),
    consent_channels=frozenset({"whatsapp"}),
)
SAVED = {
    "active": SavedSegment(
        1, "active", "dynamic", dsl.parse_segment("did any event in last 7 days")
    ),
    "vips": SavedSegment(2, "vips", "static"),
    "both": SavedSegment(3, "both", "compound", op="difference", of=("active", "vips")),
}
CONSTRUCTS = {
    "compare": 'country = "ID" and lifetime_value >= 500',
    "in_list_or_is_set": 'plan in ["pro", "team"] or company is set',
    "not_in_list": 'plan not in ["free"]',
    "between": "lifetime_value between 100 and 500",
    "is_not_set": "company is not set",
    "string_match": 'email ends with "@Acme.com" and not (lifecycle = "churned")',
    "contains_starts": 'name contains "an" or city starts with "Ja"',
    "matches": 'name matches "^A.*a$"',
    "date_compare": 'created_at before "2026-01-01" or last_seen after "2026-02-01"',
    "relative_date": "created_at within last 30 days",
    "more_than_ago": "last_seen more than 30 days ago",
    "json_path": 'properties.tier = "gold" and properties.score >= 5',
    "did": "did purchase",
    "did_not": "did not page_view in last 30 days",
    "frequency_where": "did purchase where amount > 100 at least 2 times in last 14 days",
    "where_channel": 'did link_clicked where url contains "/pricing" and channel = "email" '
    "in last 7 days",
    "date_window": 'did message_read between "2026-01-01" and "2026-02-01"',
    "ago_window": "did page_view between 7 and 14 days ago",
    "exactly": "did form_submitted exactly 1 times",
    "at_most": "did purchase at most 3 times",
    "any_event": "did any event in last 2 hours",
    "aggregate_sum": "total amount of purchase in last 90 days > 1000",
    "aggregate_count": "count of purchase in last 30 days < 2",
    "first_occurrence": "first purchase more than 90 days ago",
    "last_occurrence": "last page_view within last 7 days",
    "sequence": "did signup then purchase within 7 days",
    "sequence_three": "did page_view then signup then purchase within 2 weeks",
    "sequence_same_type": "did page_view then page_view within 1 days",
    "in_segment_dynamic": 'in segment "active"',
    "in_segment_static": 'in segment "vips"',
    "in_segment_compound": 'in segment "both"',
    "label": 'has label "vip"',
    "consent": "consent whatsapp is granted",
    "consent_unknown": "consent whatsapp is unknown",
    "channel": "has channel whatsapp",
}


def golden_text(text: str) -> str:
    expr = dsl.parse_segment(text)
    dsl.check_segment(expr, SCHEMA, text)
    compiled = compile_query(Context(SCHEMA, AS_OF, SAVED.__getitem__), expr)
    params = json.dumps(compiled.params, default=str, sort_keys=True)
    sql = render(compiled.expression).replace(" WHERE ", "\nWHERE ")
    return f"-- {text}\n{sql}\n-- params: {params}\n"


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_sql_matches_the_golden_file(name: str) -> None:
    path = GOLDEN / f"{name}.sql"
    actual = golden_text(CONSTRUCTS[name])
    if os.environ.get("KITH_UPDATE_GOLDEN") == "1":
        path.write_text(actual)
    assert actual == path.read_text()


def test_every_golden_file_has_a_construct() -> None:
    assert {p.stem for p in GOLDEN.glob("*.sql")} == set(CONSTRUCTS)
