"""The contract of dsl.md, pinned on the fixture: two-valued logic, window edges at as_of,
`did not` without events, frequency bounds; plus bound parameters, the Spark rendering, the
loud fallback and compile speed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlglot
from sqlglot import exp

import dsl
from dsl.ast import EventRef, Path
from engine import Workspace
from engine.compiler import Context, compile_condition, compile_query
from kith_errors import DslError, DslNameError, DslSyntaxError, ValidationError
from tests import segment_fixtures as fx
from tests.segments.test_golden import CONSTRUCTS, SAVED, SCHEMA

pytestmark = pytest.mark.xdist_group("segments_fixture")
ALL = fx.ALL


def ids(ws: Workspace, text: str, as_of: dt.datetime = fx.AS_OF) -> set[int]:
    return set(ws.segments.ids(text, as_of=as_of))


def test_a_missing_property_is_false_and_not_is_its_complement(loaded: Workspace) -> None:
    assert 4 not in ids(loaded, 'country = "US"')
    assert 4 not in ids(loaded, 'country != "US"')
    assert 4 in ids(loaded, 'not (country = "US")')
    assert ids(loaded, 'not (plan in ["pro"])') == ALL - ids(loaded, 'plan in ["pro"]')
    assert 4 not in ids(loaded, 'plan not in ["pro"]')


def test_not_of_an_event_clause_is_its_complement(loaded: Workspace) -> None:
    text = "did purchase where amount > 100 at least 2 times in last 14 days"
    assert ids(loaded, f"not ({text})") == ALL - ids(loaded, text)


def test_last_window_excludes_its_start_and_includes_as_of(loaded: Workspace) -> None:
    found = ids(loaded, "did page_view in last 7 days")
    assert 5 not in found  # page_view exactly at as_of - 7 days
    assert 6 in found  # page_view exactly at as_of


def test_events_after_as_of_are_invisible(loaded: Workspace) -> None:
    assert 6 not in ids(loaded, "did purchase")
    assert 6 in ids(loaded, "did purchase", as_of=fx.AS_OF + dt.timedelta(days=2))
    assert 5 not in ids(loaded, "consent whatsapp is granted")
    assert 5 in ids(loaded, "consent whatsapp is granted", as_of=dt.datetime(2026, 3, 6))


def test_date_window_start_is_inclusive_and_end_exclusive(loaded: Workspace) -> None:
    assert ids(loaded, 'did message_read between "2026-01-01" and "2026-02-01"') == {7}
    assert ids(loaded, 'did message_read between "2026-01-02" and "2026-02-02"') == {8}


def test_did_not_holds_for_profiles_without_any_event(loaded: Workspace) -> None:
    assert 4 in ids(loaded, "did not page_view in last 30 days")
    assert 4 in ids(loaded, "did not any event")


def test_frequency_bounds(loaded: Workspace) -> None:
    assert ids(loaded, "did purchase at least 3 times") == {3}
    assert ids(loaded, "did purchase exactly 0 times") == ALL - {1, 2, 3, 8, 9, 12}
    assert ids(loaded, "did purchase at most 0 times") == ALL - {1, 2, 3, 8, 9, 12}
    assert ids(loaded, "did purchase between 1 and 1 times") == {2, 8, 9, 12}


def test_aggregates_over_no_events_are_false_but_count_is_zero(loaded: Workspace) -> None:
    assert 4 not in ids(loaded, "total amount of purchase < 1")
    assert 4 in ids(loaded, "count of purchase < 1")
    assert ids(loaded, "max amount of purchase >= 2000") == {8}


def test_user_values_never_appear_in_the_sql(loaded: Workspace) -> None:
    evil = "x'; DROP TABLE profiles; --"
    text = f'name = "{evil}" or did page_view where url contains "{evil}"'
    compiled = loaded.segments.compile(text, as_of=fx.AS_OF)
    assert evil not in compiled.sql() and "DROP" not in compiled.sql("spark")
    assert evil in compiled.params.values()
    assert loaded.segments.count(text) == 0
    assert loaded.segments.count("did any event") > 0  # the tables are intact


def test_contains_treats_like_wildcards_as_text(loaded: Workspace) -> None:
    assert ids(loaded, 'name contains "%"') == set()
    assert ids(loaded, 'email contains "_"') == set()


def test_as_of_is_a_parameter_not_part_of_the_sql(loaded: Workspace) -> None:
    early = loaded.segments.compile("did page_view in last 7 days", as_of="2026-01-01")
    late = loaded.segments.compile("did page_view in last 7 days", as_of="2026-03-01")
    assert early.sql() == late.sql()
    assert early.params["as_of"] != late.params["as_of"]


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_spark_rendering_is_valid_spark_sql(name: str) -> None:
    expr = dsl.parse_segment(CONSTRUCTS[name])
    compiled = compile_query(Context(SCHEMA, fx.AS_OF, SAVED.__getitem__), expr)
    spark = compiled.sql("spark")
    sqlglot.parse_one(spark, read="spark")
    for duckdb_only in ("->>", "TO_DAYS", "TO_WEEKS", "ARG_MAX", "REGEXP_MATCHES"):
        assert duckdb_only not in spark.upper()
    assert not re.search(r"\$(p\d|as_of)", spark)  # Spark's parameter markers are :name


def test_service_renders_spark(loaded: Workspace) -> None:
    spark = loaded.segments.sql("did signup then purchase within 7 days", dialect="spark")
    assert "MAKE_INTERVAL" in spark and ":p" in spark
    with pytest.raises(ValidationError, match="known dialects"):
        loaded.segments.sql("did signup", dialect="oracle")


def test_an_unknown_node_raises_instead_of_compiling_to_true() -> None:
    ctx = Context(SCHEMA, fx.AS_OF)
    with pytest.raises(DslError, match="does not know EventRef"):
        compile_condition(ctx, EventRef(Path(("amount",))))
    with pytest.raises(DslError, match="does not know"):
        compile_condition(ctx, object())


def test_bad_expressions_raise_the_language_errors(loaded: Workspace) -> None:
    with pytest.raises(DslNameError) as err:
        loaded.segments.check('contry = "ID"')
    assert err.value.suggestion == "country" and "^" in str(err.value)
    with pytest.raises(DslSyntaxError):
        loaded.segments.count("did purchase at least times")
    with pytest.raises(DslNameError):
        loaded.segments.count('in segment "nope"')


def test_condition_stays_two_valued_when_a_caller_negates_it(loaded: Workspace) -> None:
    """Only the compiled query's own WHERE drops COALESCE outside `not`; `condition()` is
    embedded by other queries, so it never yields NULL."""
    condition, params = loaded.segments.condition('country = "US"', as_of=fx.AS_OF)
    query = exp.select(exp.column("id", "p")).from_(exp.table_("profiles", alias="p"))
    negated = {int(r[0]) for r in loaded.db.rows(query.where(exp.not_(condition)), params)}
    assert negated == ALL - {3}
    assert "COALESCE" not in loaded.segments.compile('country = "US"').sql()
