"""`kith ingest-failures` on a real workspace file with a message refused at load time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from engine.ingest.intake import Part

AT = dt.datetime(2026, 11, 20, 9, 0)


def test_lists_what_was_accepted_but_refused_when_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    message = {"type": "track", "event": "tick", "userId": "front-desk", "messageId": "fd-1"}
    with Workspace.open(db) as ws:
        admitted = ws.intake.admit([message], AT)
        ws.settings.set_blocked_values([*ws.settings.blocked_values, "front-desk"])
        ws.intake.load([Part(AT, admitted.messages, admitted.canon)], last_seq=1)
    assert main(["ingest-failures", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 message(s) accepted but not stored")
    assert "received 2026-11-20 09:00:00: no usable identity" in out and '"fd-1"' in out
    assert main(["ingest-failures", "--json", "--db", str(db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 1 and json.loads(listed["failures"][0]["message"]) == message
