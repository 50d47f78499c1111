"""`kith destination|sync|broadcast` on a real workspace file and a local receiver."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path

from app.cli import main
from engine import Workspace
from tests.activation.receivers import receiving
from tests.analytics.messages import identify


def _kith(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_sync_and_a_broadcast_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "kith.duckdb")
    with Workspace.open(db) as ws:
        ws.ingest.messages(
            [identify(f"u{i}", country="ID", phone=f"+62812345600{i}") for i in range(3)]
        )
        pid = ws.profiles.find("user_id", "u0")
        ws.consent.set(pid, "sms", "granted", at=dt.datetime(2026, 1, 1))
        ws.segments.save("indo", expression='country = "ID"')
    secret = tmp_path / "hook.secret"
    secret.write_text("my-signing-secret\n")
    body = tmp_path / "body.json"
    body.write_text('{"to": "{{address}}", "text": "{{message}}"}')
    with receiving() as rx:
        assert _kith(
            "destination", "create", "crm", "--kind", "webhook", "--url", rx.url,
            "--secret-file", str(secret), "--db", db,
        )[0] == 0  # fmt: skip
        assert _kith("sync", "add", "crm", "indo", "--db", db)[0] == 0
        code, out, _ = _kith("sync", "run", "--db", db, "--json")
        assert code == 0 and json.loads(out)["delivered"] == 1
        assert rx.signatures_valid("my-signing-secret")
        assert _kith(
            "destination", "create", "text", "--kind", "messaging", "--channel", "sms",
            "--url", rx.url, "--body-file", str(body), "--db", db,
        )[0] == 0  # fmt: skip
        code, out, _ = _kith("broadcast", "preview", "indo", "--via", "text", "--db", db)
        assert code == 0
        assert out.splitlines() == [
            "1 of 3 will receive it",
            "  skipped: 2 (no consent recorded for sms)",
        ]
        _kith("broadcast", "send", "hello", "indo", "--via", "text", "--message", "hi", "--db", db)
        assert _kith("sync", "run", "--db", db)[0] == 0
    assert rx.accepted()[-1].json == {"to": "+628123456000", "text": "hi"}
    code, out, _ = _kith("destination", "log", "crm", "--db", db, "--json")
    assert [row["status"] for row in json.loads(out)] == ["delivered"]
    assert "my-signing-secret" not in _kith("destination", "show", "crm", "--db", db)[1]
    code, _, err = _kith(
        "destination", "create", "bad", "--kind", "webhook", "--url", "file:///etc/passwd",
        "--db", db,
    )  # fmt: skip
    assert code == 1 and "must start with http:// or https://" in err
