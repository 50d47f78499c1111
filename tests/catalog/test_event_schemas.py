"""Event schemas for the data steward, on real workspace files through the engine and the CLI:
built-in types extended with custom properties, the discovered schema and registering from the
data in one command, and the compiler's error for a name the data holds but nobody registered."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from engine import Workspace
from engine.admin.stats import workspace_stats
from kith_errors import Conflict, DslNameError, NotFound, ValidationError

Kith = Callable[..., tuple[int, str, str]]
AS_OF = dt.datetime(2026, 11, 2)


def _track(user: str, event: str, props: dict[str, Any], day: int) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": user,
        "properties": props,
        "timestamp": f"2026-10-{day:02d}T10:00:00Z",
    }


MESSAGES = [
    _track("u1", "purchase", {"amount": 10, "platform": "mobile"}, 1),
    _track("u2", "purchase", {"amount": 20, "platform": "web"}, 2),
    _track("u3", "purchase", {"amount": 30, "platform": "mobile"}, 3),
    _track("u3", "cart_abandoned", {"value": 3.5, "coupon": "X1", "at": "2026-10-01"}, 4),
    _track("u4", "cart_abandoned", {"value": 7, "gift": True, "items": [1, 2]}, 9),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "kith.duckdb"
    with Workspace.open(path) as ws:
        ws.ingest.messages(MESSAGES)
    return path


@pytest.fixture
def ws(db: Path) -> Iterator[Workspace]:
    with Workspace.open(db) as opened:
        yield opened


@pytest.fixture
def kith(db: Path, capsys: pytest.CaptureFixture[str]) -> Kith:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--db", str(db)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _users(ws: Workspace, expression: str) -> set[str]:
    ids = ws.segments.members(expression, as_of=AS_OF, limit=100)["id"].tolist()
    profiles = [ws.profiles.get(int(i)) for i in ids]
    return {x.value for p in profiles for x in p.identities if x.type == "user_id"}


# ---- item 14: built-in types extended --------------------------------------------------------


def test_extended_purchase_answers_platform_queries(kith: Kith, db: Path) -> None:
    query = 'did purchase where platform = "mobile"'
    code, _, err = kith("segment", "count", query)
    assert code == 1 and "unknown property 'platform' of purchase events" in err
    code, out, err = kith("event-type", "extend", "purchase", "--property", "platform:text")
    assert code == 0, err
    assert "platform:string" in out and "amount:number" in out
    with Workspace.open(db) as ws:
        assert _users(ws, query) == {"u1", "u3"}
        assert ws.segments.count('did purchase where platform != "mobile"', as_of=AS_OF) == 1
        listed = ws.catalog.event_types().set_index("name").loc["purchase"]
        assert listed["builtin"] and listed["properties"]["platform"] == "string"
        # an extended built-in type is not a custom one
        assert workspace_stats(ws)["custom_event_types"] == 0


def test_register_on_a_built_in_type_adds_its_properties(ws: Workspace) -> None:
    made = ws.catalog.register_event_type("purchase", properties={"platform": "string"})
    assert made.builtin and made.properties["platform"] == "string"
    assert made.properties["amount"] == "number"  # the built-in ones stay
    assert ws.segments.count('did purchase where platform = "web"', as_of=AS_OF) == 1
    with pytest.raises(Conflict, match="built-in event type; add properties"):
        ws.catalog.register_event_type("purchase")


def test_extending_checks_names_types_and_existing_properties(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="its type cannot become string"):
        ws.catalog.extend_event_type("purchase", {"amount": "string"})
    with pytest.raises(ValidationError, match="use one of string"):
        ws.catalog.extend_event_type("purchase", {"platform": "varchar"})
    with pytest.raises(ValidationError, match="a column of every event"):
        ws.catalog.extend_event_type("purchase", {"channel": "string"})
    with pytest.raises(NotFound, match="register it first"):
        ws.catalog.extend_event_type("nope", {"x": "string"})
    same = ws.catalog.extend_event_type("purchase", {"amount": "number", "coupon": "string"})
    assert same.properties["coupon"] == "string"
    changes = ws.db.rows("SELECT action, after FROM audit_log WHERE entity = 'event_type'")
    assert [(a, json.loads(v)) for a, v in changes] == [("extend", {"coupon": "string"})]


# ---- item 15: the discovered schema -----------------------------------------------------------


def test_discovered_lists_unregistered_types_and_properties(ws: Workspace) -> None:
    found = ws.catalog.discovered()
    rows = {(r.event_type, r.property): r for r in found.itertuples(index=False)}
    assert set(rows) == {
        ("cart_abandoned", None),
        ("cart_abandoned", "at"),
        ("cart_abandoned", "coupon"),
        ("cart_abandoned", "gift"),
        ("cart_abandoned", "items"),
        ("cart_abandoned", "value"),
        ("purchase", "platform"),
    }
    kind = {key: row.inferred for key, row in rows.items()}
    assert kind[("cart_abandoned", "value")] == "number"
    assert kind[("cart_abandoned", "at")] == "date"
    assert kind[("cart_abandoned", "gift")] == "boolean"
    assert kind[("cart_abandoned", "items")] is None
    assert "objects or lists" in rows[("cart_abandoned", "items")].note
    platform = rows[("purchase", "platform")]
    assert (platform.events, platform.inferred) == (3, "string")
    assert platform.first_seen == dt.datetime(2026, 10, 1, 10)
    assert platform.last_seen == dt.datetime(2026, 10, 3, 10)
    cart = rows[("cart_abandoned", None)]
    assert (cart.events, cart.last_seen) == (2, dt.datetime(2026, 10, 9, 10))
    assert list(ws.catalog.discovered("purchase")["property"]) == ["platform"]


def test_a_discovered_type_is_registered_in_one_command_and_usable_at_once(kith: Kith) -> None:
    code, _, err = kith("segment", "count", "did cart_abandoned where value > 5")
    assert code == 1
    assert "'cart_abandoned' is in the data but not registered" in err
    assert "kith event-type register cart_abandoned --from-data" in err
    code, out, err = kith("event-type", "register", "cart_abandoned", "--from-data")
    assert code == 0, err
    assert out.startswith("registered cart_abandoned: ") and "skipped: items" in out
    code, out, _ = kith("segment", "count", "did cart_abandoned where value > 5")
    assert (code, out.strip()) == (0, "1")
    code, out, _ = kith("segment", "count", 'did cart_abandoned where at after "2026-09-30"')
    assert (code, out.strip()) == (0, "1")


def test_registering_everything_discovered_in_bulk(kith: Kith, db: Path) -> None:
    code, out, err = kith("event-type", "register", "--from-data", "--json")
    assert code == 0, err
    done = {row["event_type"]: row for row in json.loads(out)}
    assert done["purchase"]["action"] == "extended"
    assert done["purchase"]["added"] == {"platform": "string"}
    assert done["cart_abandoned"]["action"] == "registered"
    with Workspace.open(db) as ws:
        left = ws.catalog.discovered()
        assert list(left["property"]) == ["items"]  # only what cannot be a property stays
    code, _, err = kith("event-type", "register", "signup", "--from-data")
    assert code == 1 and "'signup' has nothing unregistered in the data" in err
    code, _, err = kith("event-type", "register", "refund", "--from-data")
    assert code == 1 and "'refund' is not in the data" in err


def test_the_error_names_data_only_when_the_data_holds_the_name(ws: Workspace) -> None:
    with pytest.raises(DslNameError) as err:
        ws.segments.check('did purchase where platform = "web"')
    assert "`kith event-type extend purchase --property platform:string`" in str(err.value)
    with pytest.raises(DslNameError) as err:
        ws.segments.check("did purchase where colour = 1")
    assert "in the data" not in str(err.value)
    with pytest.raises(DslNameError) as err:
        ws.segments.check("did refund")
    assert str(err.value).splitlines()[0] == "line 1, column 5: unknown event type 'refund'"


def test_a_funnel_step_the_data_holds_says_how_to_register_it(kith: Kith) -> None:
    code, _, err = kith("funnel", "purchase", "cart_abandoned")
    assert code == 1
    assert "unknown event type 'cart_abandoned': 'cart_abandoned' is in the data" in err
