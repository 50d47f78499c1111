"""Activation's store rows (frozen dataclasses) leave through the REST API's `jsonable` and the
CLI's --json as the dicts of their fields, in field order, the shape they had as dicts."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import fields
from pathlib import Path

from app.api.convert import jsonable
from app.cli import main
from engine import Workspace
from store.activation import BroadcastRow, SyncRow
from tests.analytics.messages import identify


def _json_out(*argv: str) -> object:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return json.loads(out.getvalue())


def _names(row_type: type) -> list[str]:
    return [f.name for f in fields(row_type)]


def test_sync_and_broadcast_rows_keep_their_json_shape(tmp_path: Path) -> None:
    db = str(tmp_path / "kith.duckdb")
    with Workspace.open(db) as ws:
        ws.ingest.messages([identify("u1", country="ID", phone="+6281234560001")])
        ws.segments.save("indo", expression='country = "ID"')
        ws.activation.create_destination("crm", "webhook", {"url": "http://127.0.0.1:9/hook"})
        ws.activation.create_destination(
            "text",
            "messaging",
            {"url": "http://127.0.0.1:9/send", "body": '{"text": "{{message}}"}'},
            channel="sms",
        )
        made = ws.activation.attach("crm", "indo")
        served = jsonable(ws.activation.syncs())
    assert isinstance(made, SyncRow)
    assert list(served[0]) == _names(SyncRow)
    assert served[0]["destination"] == "crm" and served[0]["synced_members"] == 0
    listed = _json_out("sync", "list", "--db", db, "--json")
    assert isinstance(listed, list) and list(listed[0]) == _names(SyncRow)
    assert listed[0]["segment"] == "indo" and listed[0]["last_run_at"] is None
    sent = _json_out(
        "broadcast", "send", "hello", "indo", "--via", "text", "--message", "hi", "--db", db,
        "--json",
    )  # fmt: skip
    assert isinstance(sent, dict) and list(sent) == _names(BroadcastRow)
    assert (sent["name"], sent["destination"], sent["status"]) == ("hello", "text", "scheduled")
