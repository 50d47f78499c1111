"""The workspace's choices for events of an unregistered type and for properties an enforced
type's schema does not list (`accept`, `warn`, `block`), on real workspace files: the same
answer, in the same words, through every door (bulk messages, a JSONL file, a flat table, the
tracking API's admission); `warn` stores and flags; the choices are checked and audited, and
set through the CLI as well."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.cli import main
from engine import Workspace
from kith_errors import ValidationError

AT = dt.datetime(2026, 11, 20, 9, 0)
UNREGISTERED = (
    "event type 'mystery' is not registered (unregistered event types: block); register it "
    "with `kith event-type register mystery --property NAME:TYPE`"
)
EXTRA = (
    "purchase event has properties its registered schema does not list: 'platform' (extra "
    "properties: block); add them with `kith event-type extend purchase --property "
    "platform:TYPE`"
)


def _event(n: int, event: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": f"u{n}",
        "timestamp": f"2026-11-20T08:0{n}:00Z",
        "properties": props,
    }


BATCH = [
    _event(1, "purchase", amount=5),
    _event(2, "mystery", level=3),
    _event(3, "purchase", amount=6, platform="ios"),
    _event(4, "signup", method="email"),
]


def _bulk(ws: Workspace, _: Path) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in ws.ingest.messages(BATCH).rejected]


def _jsonl(ws: Workspace, folder: Path) -> list[tuple[int, str]]:
    path = folder / "events.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in BATCH) + "\n")
    return [(r.line, r.reason) for r in ws.ingest.file(path).rejected]


def _table(ws: Workspace, _: Path) -> list[tuple[int, str]]:
    table = pd.DataFrame(
        {
            "type": [m["event"] for m in BATCH],
            "timestamp": [m["timestamp"] for m in BATCH],
            "user_id": [m["userId"] for m in BATCH],
            "properties": [json.dumps(m["properties"]) for m in BATCH],
        }
    )
    return [(r.line, r.reason) for r in ws.ingest.table(table).rejected]


def _admission(ws: Workspace, _: Path) -> list[tuple[int, str]]:
    return [(r.index + 1, r.reason) for r in ws.intake.admit(BATCH, AT).refused]


DOORS: dict[str, Callable[[Workspace, Path], list[tuple[int, str]]]] = {
    "bulk": _bulk,
    "jsonl": _jsonl,
    "table": _table,
    "admission": _admission,
}


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    with Workspace.open(tmp_path / "kith.duckdb") as opened:
        yield opened


def _stored_types(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.db.rows("SELECT type FROM events ORDER BY ts")]


def _flags(ws: Workspace) -> list[tuple[str, str]]:
    frame = ws.catalog.flagged_events()
    return sorted(zip(frame["type"], frame["problem"], strict=True))


@pytest.mark.parametrize("door", sorted(DOORS))
def test_accept_is_the_default_on_every_door(ws: Workspace, tmp_path: Path, door: str) -> None:
    assert ws.catalog.undeclared() == {"unregistered_types": "accept", "extra_properties": "accept"}
    assert DOORS[door](ws, tmp_path) == []
    assert _flags(ws) == []


@pytest.mark.parametrize("door", sorted(DOORS))
def test_block_refuses_with_the_same_reason_on_every_door(
    ws: Workspace, tmp_path: Path, door: str
) -> None:
    ws.catalog.set_undeclared("unregistered_types", "block")
    ws.catalog.set_undeclared("extra_properties", "block")
    assert DOORS[door](ws, tmp_path) == [(2, UNREGISTERED), (3, EXTRA)]
    if door != "admission":  # admission writes nothing; the others stored the rest
        assert _stored_types(ws) == ["purchase", "signup"]


@pytest.mark.parametrize("door", ["bulk", "jsonl", "table"])
def test_warn_stores_and_flags(ws: Workspace, tmp_path: Path, door: str) -> None:
    ws.catalog.set_undeclared("unregistered_types", "warn")
    ws.catalog.set_undeclared("extra_properties", "warn")
    assert DOORS[door](ws, tmp_path) == []
    assert _stored_types(ws) == ["purchase", "mystery", "purchase", "signup"]
    assert _flags(ws) == [
        ("mystery", "event type not registered"),
        ("purchase", "not in the schema: platform"),
    ]
    counts = ws.catalog.event_types().set_index("name")["flagged"]
    assert counts["purchase"] == 1


def test_extra_properties_follow_the_types_policy_and_registration(ws: Workspace) -> None:
    ws.catalog.set_undeclared("extra_properties", "block")
    ws.catalog.set_enforcement("signup", "off")  # not enforced: its extra properties pass
    report = ws.ingest.messages([_event(1, "signup", method="email", coupon="X1")])
    assert (report.accepted, report.rejected) == (1, [])
    ws.catalog.extend_event_type("purchase", {"platform": "string"})  # registered: it passes
    assert ws.ingest.messages([_event(2, "purchase", amount=3, platform="ios")]).accepted == 1
    ws.catalog.set_enforcement("purchase", "block")  # a wrong type and an extra property
    bad = ws.ingest.messages([_event(3, "purchase", amount="lots", gift=True)]).rejected
    assert [r.reason for r in bad] == [
        "purchase event does not follow its registered schema (enforcement block): amount "
        'must be a number, got "lots"; purchase event has properties its registered schema '
        "does not list: 'gift' (extra properties: block); add them with `kith event-type "
        "extend purchase --property gift:TYPE`"
    ]


def test_choices_are_checked_and_audited(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="'strict' is not one of accept, warn, block"):
        ws.catalog.set_undeclared("unregistered_types", "strict")
    with pytest.raises(ValidationError, match="'types' is not one of unregistered_types"):
        ws.catalog.set_undeclared("types", "block")
    ws.catalog.set_undeclared("unregistered_types", "accept")  # no change, no entry
    ws.catalog.set_undeclared("unregistered_types", "warn")
    rows = ws.db.rows(
        "SELECT entity_id, action, before, after FROM audit_log WHERE entity = 'event_schema'"
    )
    assert [(e, a, json.loads(b), json.loads(v)) for e, a, b, v in rows] == [
        ("unregistered_types", "policy", "accept", "warn")
    ]


def test_the_cli_shows_and_sets_the_choices(tmp_path: Path) -> None:
    db = str(tmp_path / "kith.duckdb")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["event-type", "undeclared", "--db", db, "--extra-properties", "block", "--json"]
        )
    assert code == 0
    assert json.loads(out.getvalue()) == {
        "unregistered_types": "accept",
        "extra_properties": "block",
    }
    with Workspace.open(db) as ws:
        refused = ws.ingest.messages([_event(1, "purchase", amount=1, platform="web")]).rejected
        assert [r.reason for r in refused] == [EXTRA]
