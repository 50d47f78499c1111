"""Differential test: random small datasets x random expressions, the compiled SQL (on a real
DuckDB file) against the pure-Python reference evaluator. The member sets must be identical."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsl
from dsl import ast
from dsl.ast import Duration, EventMatch, Value
from engine import Workspace
from engine.compiler import Context, compile_query
from tests import segment_fixtures as fx
from tests.segments.reference import Dataset, Reference

AS_OF = fx.AS_OF
SAVED_TEXT = "did any event in last 3 days"
HOURS = [-24 * 100, -24 * 30, -24 * 8, -24 * 7, -24 * 7 + 1, -48, -25, -24, -1, 0, 1, 24]


@pytest.fixture(scope="module")
def diff_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path: Path = tmp_path_factory.mktemp("differential") / "kith.duckdb"
    workspace = Workspace.open(path)
    fx.define_schema(workspace)
    workspace.segments.save("recent", expression=SAVED_TEXT)
    workspace.segments.save("picked", kind="static")
    workspace.segments.save("mix", kind="compound", op="difference", of=["recent", "picked"])
    workspace.segments.save("any_of", kind="compound", op="union", of=["picked", "recent"])
    yield workspace
    workspace.close()


# ---- datasets --------------------------------------------------------------------------------

moments = st.sampled_from(HOURS).map(lambda h: AS_OF + dt.timedelta(hours=h))


@st.composite
def profile(draw: st.DrawFn, pid: int) -> dict[str, Any]:
    created = draw(moments)
    return {
        "id": pid,
        "country": draw(st.sampled_from(["ID", "US", None])),
        "plan": draw(st.sampled_from(["pro", "team", "free", None])),
        "lifetime_value": draw(st.sampled_from([None, 0.0, 100.0, 500.5, 1000.0])),
        "email": draw(st.sampled_from(["a@acme.com", "b@mail.co", None])),
        "company": draw(st.sampled_from(["Acme", None])),
        "created_at": created,
        "updated_at": created,
        "last_seen": draw(st.one_of(st.none(), moments)),
        "properties": draw(st.sampled_from([None, '{"tier": "gold"}', '{"tier": "silver"}'])),
    }


@st.composite
def event(draw: st.DrawFn, eid: int, pids: list[int]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["purchase", "page_view", "signup"]))
    props: dict[str, Any] = {}
    if kind == "purchase":
        props = draw(st.sampled_from([{}, {"amount": 50}, {"amount": 100}, {"amount": 150.5}]))
    elif kind == "page_view":
        props = draw(st.sampled_from([{}, {"url": "/pricing"}, {"url": "/docs"}]))
    return {
        "id": eid,
        "profile_id": draw(st.sampled_from(pids)),
        "type": kind,
        "ts": draw(moments),
        "channel": draw(st.sampled_from(["web", "email", None])),
        "source": "test",
        "message_id": f"m{eid}",
        "properties": props,
    }


@st.composite
def dataset(draw: st.DrawFn) -> Dataset:
    pids = list(range(1, draw(st.integers(3, 7)) + 1))
    profiles = {pid: draw(profile(pid)) for pid in pids}
    events = [draw(event(eid, pids)) for eid in range(1, draw(st.integers(0, 14)) + 1)]
    labels = [(pid, "vip") for pid in pids if draw(st.booleans())]
    identities = [
        {"profile_id": pid, "type": "whatsapp", "value": f"w{pid}", "created_at": draw(moments)}
        for pid in pids
        if draw(st.booleans())
    ]
    consents = [
        {
            "id": cid,
            "profile_id": draw(st.sampled_from(pids)),
            "channel": "whatsapp",
            "purpose": "marketing",
            "status": draw(st.sampled_from(["granted", "denied", "revoked"])),
            "changed_at": draw(moments),
        }
        for cid in range(1, draw(st.integers(0, 5)) + 1)
    ]
    picked = {pid for pid in pids if draw(st.booleans())}
    return Dataset(profiles, events, identities, labels, consents, list_members={"picked": picked})


# ---- expressions -----------------------------------------------------------------------------


def path(name: str) -> ast.Path:
    return ast.Path(tuple(name.split(".")))


profile_leaves = st.one_of(
    st.builds(
        ast.Compare,
        st.just(path("country")),
        st.sampled_from(["=", "!="]),
        st.sampled_from([Value("ID"), Value("US")]),
    ),
    st.builds(
        ast.Compare,
        st.just(path("lifetime_value")),
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        st.sampled_from([Value(100), Value(500.5), Value(0)]),
    ),
    st.builds(
        ast.Compare,
        st.just(path("created_at")),
        st.sampled_from(["before", "after"]),
        st.sampled_from([Value("2026-02-22"), Value("2026-03-01")]),
    ),
    st.builds(ast.InList, st.just(path("plan")), st.just(Value(("pro", "team"))), st.booleans()),
    st.builds(
        ast.Between, st.just(path("lifetime_value")), st.just(Value(100)), st.just(Value(600))
    ),
    st.builds(ast.IsSet, st.sampled_from([path("company"), path("country")]), st.booleans()),
    st.builds(
        ast.StringMatch,
        st.just(path("email")),
        st.sampled_from(["contains", "starts_with", "ends_with", "matches"]),
        st.sampled_from([Value("ACME"), Value("@mail.co"), Value("a@"), Value("^b")]),
    ),
    st.builds(
        ast.RelativeDate,
        st.sampled_from([path("last_seen"), path("created_at")]),
        st.sampled_from(["within_last", "more_than_ago"]),
        st.sampled_from([Duration(7, "days"), Duration(1, "days"), Duration(1, "months")]),
    ),
    st.builds(
        ast.Compare,
        st.just(path("properties.tier")),
        st.sampled_from(["=", "!="]),
        st.just(Value("gold")),
    ),
)
where_leaves = st.one_of(
    st.builds(
        ast.Compare,
        st.just(path("amount")),
        st.sampled_from([">", "<=", "="]),
        st.sampled_from([Value(100), Value(50)]),
    ),
    st.builds(
        ast.StringMatch, st.just(path("url")), st.just("contains"), st.just(Value("pricing"))
    ),
    st.builds(ast.Compare, st.just(path("channel")), st.just("="), st.just(Value("email"))),
    st.builds(ast.IsSet, st.just(path("amount")), st.booleans()),
)
wheres = st.one_of(
    st.none(),
    where_leaves,
    st.builds(ast.Not, where_leaves),
    st.builds(lambda a, b: ast.Or((a, b)), where_leaves, where_leaves),
)
matches = st.builds(EventMatch, st.sampled_from(["purchase", "page_view", "signup", None]), wheres)
windows = st.one_of(
    st.none(),
    st.builds(ast.LastWindow, st.sampled_from([Duration(7, "days"), Duration(24, "hours")])),
    st.builds(ast.AgoWindow, st.just(1), st.just(8), st.just("days")),
    st.builds(
        ast.DateWindow,
        st.sampled_from([Value("2026-02-22"), None]),
        st.sampled_from([Value("2026-03-01"), None]),
    ),
)
frequencies = st.one_of(
    st.none(),
    st.builds(
        ast.Frequency, st.sampled_from(["at_least", "at_most", "exactly"]), st.integers(0, 2)
    ),
    st.builds(ast.Frequency, st.just("between"), st.integers(0, 1), st.integers(1, 3)),
)
event_leaves = st.one_of(
    st.builds(ast.Did, matches, st.booleans(), frequencies, windows),
    st.builds(
        ast.Aggregate,
        st.sampled_from(["sum", "avg", "min", "max"]),
        st.just(path("amount")),
        st.builds(EventMatch, st.just("purchase"), wheres),
        windows,
        st.sampled_from([">", "<=", "=", "!="]),
        st.sampled_from([Value(100), Value(150.5)]),
    ),
    st.builds(
        ast.Aggregate,
        st.just("count"),
        st.none(),
        matches,
        windows,
        st.sampled_from([">", "<", "=", "!="]),
        st.integers(0, 2).map(Value),
    ),
    st.builds(
        ast.Occurrence,
        st.sampled_from(["first", "last"]),
        matches,
        st.sampled_from(["within_last", "more_than_ago"]),
        st.sampled_from([Duration(7, "days"), Duration(1, "days")]),
    ),
    st.builds(
        ast.Occurrence,
        st.sampled_from(["first", "last"]),
        matches,
        st.sampled_from(["before", "after"]),
        st.none(),
        st.just(Value("2026-02-28")),
    ),
    st.builds(
        ast.Sequence,
        st.lists(matches, min_size=2, max_size=3).map(tuple),
        st.sampled_from([None, Duration(2, "days"), Duration(1, "hours")]),
        windows,
        st.booleans(),
    ),
)
membership = st.one_of(
    st.just(ast.HasLabel("vip")),
    st.sampled_from([ast.HasChannel("whatsapp"), ast.HasChannel("email")]),
    st.builds(
        ast.ConsentIs,
        st.just("whatsapp"),
        st.sampled_from(["granted", "denied", "revoked", "unknown"]),
    ),
    st.sampled_from([ast.InSegment(name) for name in ("recent", "picked", "mix", "any_of")]),
)
leaves = st.one_of(profile_leaves, event_leaves, membership)
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(ast.Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.Or(tuple(xs))),
    ),
    max_leaves=5,
)


def load(ws: Workspace, data: Dataset) -> None:
    """Replace the workspace's rows with the dataset, in one transaction."""
    with ws.db.transaction():
        for statement in DELETES:
            ws.db.execute(statement)
        rows = list(data.profiles.values())
        fx.write_rows(ws, rows, data.events, data.identities, data.labels, data.consent_log)
        picked = pd.DataFrame({"id": sorted(data.list_members["picked"])}, dtype="int64")
        ws.db.register("_picked", picked)
        ws.db.execute(PICK, {"name": "picked"})
        ws.db.unregister("_picked")


DELETES = (
    "DELETE FROM profiles",
    "DELETE FROM events",
    "DELETE FROM identities",
    "DELETE FROM labels",
    "DELETE FROM consent_log",
    "DELETE FROM list_members",
)
PICK = (
    "INSERT INTO list_members SELECT s.id, p.id, TIMESTAMP '2026-01-01', 'test' "
    "FROM _picked p, segments s WHERE s.name = $name"
)


def reference_for(data: Dataset) -> Reference:
    data.event_types = {"purchase": {"amount": "number"}, "page_view": {"url": "string"}}
    data.saved = {
        "recent": {"kind": "dynamic", "expr": _saved_expression()},
        "picked": {"kind": "static"},
        "mix": {"kind": "compound", "op": "difference", "of": ["recent", "picked"]},
        "any_of": {"kind": "compound", "op": "union", "of": ["picked", "recent"]},
    }
    return Reference(data, AS_OF)


def _saved_expression() -> Any:
    return dsl.parse_segment(SAVED_TEXT)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=dataset(), exprs=st.lists(expressions, min_size=6, max_size=6))
def test_compiled_sql_agrees_with_the_reference(
    diff_ws: Workspace, data: Dataset, exprs: list[Any]
) -> None:
    load(diff_ws, data)
    reference = reference_for(data)
    schema = diff_ws.segments.schema()
    for expr in exprs:
        compiled = compile_query(Context(schema, AS_OF, diff_ws.segments.saved), expr)
        found = {int(r[0]) for r in diff_ws.db.rows(compiled.expression, compiled.params)}
        assert found == reference.members(expr), expr
