"""DSL -> SQL golden files: one per dialect (tests/segments/golden/duckdb.sql, spark.sql), each
holding every construct of the language: its name, the expression, the SQL it compiles to and
the bound parameters.

The compiler runs on its own here (a hand-built Schema, no database). To accept a deliberate
change, run with KITH_UPDATE_GOLDEN=1 (the files are rewritten) and review the diff."""

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
        "vip": "boolean",
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
    "not_equal": 'country != "US"',
    "order_compare": "lifetime_value < 10 or lifetime_value <= 20 or lifetime_value > 30",
    "boolean": "vip = true",
    "timestamp_compare": 'created_at >= "2026-10-01T09:30:00Z"',
    "precedence": 'country = "ID" or country = "BR" and plan = "pro"',
    "grouping": '(country = "ID" or country = "BR") and plan = "pro"',
    "comment": 'country = "ID" -- a comment runs to the end of the line',
    "frequency_between": "did purchase between 2 and 5 times",
    "window_then_frequency": "did purchase in last 30 days at least 3 times",
    "window_before": 'did page_view before "2026-09-01"',
    "window_after": 'did page_view after "2026-10-01T00:00:00Z"',
    "window_units": "did page_view in last 30 minutes or did signup in last 3 weeks "
    "or did purchase in the last 2 months",
    "where_boolean": 'did purchase where not (currency = "USD") or amount >= 10',
    "aggregate_average": "average amount of purchase > 50",
    "aggregate_min": "min amount of purchase < 5",
    "aggregate_max": "max amount of purchase >= 500",
    "aggregate_count_where": "count of purchase where amount > 100 in last 7 days >= 2",
    "last_before": 'last purchase before "2026-10-01"',
    "first_where_window": "first purchase where amount > 100 in last 30 days",
    "sequence_where": 'did signup then page_view where url contains "/pricing" then purchase '
    "within 7 days",
    "sequence_in_window": "did signup then purchase within 2 days in last 30 days",
    "not_sequence": "did not signup then purchase",
    "consent_denied_revoked": "consent whatsapp is denied or consent whatsapp is revoked",
}


DIALECTS = ("duckdb", "spark")
UPDATE = os.environ.get("KITH_UPDATE_GOLDEN") == "1"
BLOCK_SEPARATOR = "\n\n"


def golden_block(name: str, dialect: str) -> str:
    """One construct's entry: its name, the expression, the SQL and the bound parameters."""
    text = CONSTRUCTS[name]
    expr = dsl.parse_segment(text)
    dsl.check_segment(expr, SCHEMA, text)
    compiled = compile_query(Context(SCHEMA, AS_OF, SAVED.__getitem__), expr)
    params = json.dumps(compiled.params, default=str, sort_keys=True)
    sql = render(compiled.expression, dialect).replace(" WHERE ", "\nWHERE ")
    return f"-- {name}: {text}\n{sql}\n-- params: {params}"


def golden_file(dialect: str) -> str:
    return BLOCK_SEPARATOR.join(golden_block(n, dialect) for n in sorted(CONSTRUCTS)) + "\n"


def stored_blocks(dialect: str) -> dict[str, str]:
    """The fixture file's entries by construct name (rewritten first in update mode)."""
    path = GOLDEN / f"{dialect}.sql"
    if UPDATE:
        path.write_text(golden_file(dialect), encoding="utf-8")
    if not path.exists():
        return {}
    blocks = path.read_text(encoding="utf-8").strip("\n").split(BLOCK_SEPARATOR)
    return {block.removeprefix("-- ").split(":", 1)[0]: block for block in blocks}


STORED = {dialect: stored_blocks(dialect) for dialect in DIALECTS}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_sql_matches_the_golden_file(name: str, dialect: str) -> None:
    assert golden_block(name, dialect) == STORED[dialect].get(name)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_golden_file_holds_every_construct_once(dialect: str) -> None:
    path = GOLDEN / f"{dialect}.sql"
    assert list(STORED[dialect]) == sorted(CONSTRUCTS)
    assert path.read_text(encoding="utf-8") == golden_file(dialect)


def test_the_golden_folder_holds_one_file_per_dialect() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == [f"{d}.sql" for d in sorted(DIALECTS)]
