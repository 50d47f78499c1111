"""Destinations: every setting checked with a clear error before anything is stored, secrets
never shown back in full, signatures a receiver can verify, templates that text from people
cannot break, and the test call."""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from engine import Workspace
from engine.activation import config, signing
from kith_errors import Conflict, NotFound, ValidationError
from tests.activation.receivers import receiving

BODY = '{"to": "{{address}}", "text": "{{message}}"}'


@pytest.mark.parametrize(
    ("kind", "options", "extra", "error"),
    [
        ("webhook", {"url": "ftp://example.com/x"}, {}, "must start with http:// or https://"),
        ("webhook", {"url": "javascript:alert(1)"}, {}, "must start with http://"),
        ("webhook", {"url": "http:///path"}, {}, "names no host"),
        ("webhook", {}, {}, "needs a url"),
        ("webhook", {"url": "http://x.io", "retries": 3}, {}, "unknown destination setting"),
        ("webhook", {"url": "http://x.io", "batch_size": 0}, {}, "batch_size must be"),
        ("webhook", {"url": "http://x.io"}, {"channel": "What's App"}, "lowercase name"),
        ("segment", {"url": "http://x.io/v1/batch"}, {}, "needs the endpoint's write key"),
        ("messaging", {"url": "http://x.io", "body": BODY}, {}, "needs the channel"),
        ("messaging", {"url": "http://x.io"}, {"channel": "sms"}, "needs a body template"),
        (
            "messaging",
            {"url": "http://x.io", "body": '{"to": {{address}}}'},
            {"channel": "sms"},
            "not JSON once filled",
        ),
        (
            "messaging",
            {"url": "http://x.io", "body": '{"to": "{{password}}"}'},
            {"channel": "sms"},
            "names {{password}}",
        ),
        (
            "messaging",
            {"url": "http://x.io", "body": BODY, "headers": {"X-A": "a\r\nX-B: b"}},
            {"channel": "sms"},
            "one-line text value",
        ),
        ("file", {"directory": "relative/dir"}, {}, "must be an absolute path"),
        ("file", {"directory": "/tmp", "format": "xlsx"}, {}, "is not one of csv, parquet"),
        ("carrier-pigeon", {}, {}, "unknown destination kind"),
    ],
)
def test_bad_settings_are_refused_with_what_was_wrong(
    ws: Workspace, kind: str, options: dict[str, Any], extra: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace("{", r"\{")):
        ws.activation.create_destination("d", kind, options, **extra)
    assert ws.activation.destinations() == []  # nothing stored


def test_secrets_are_masked_and_names_unique(ws: Workspace, tmp_path: Path) -> None:
    made = ws.activation.create_destination("crm", "webhook", {"url": "https://crm.example/h"})
    assert made.signing_secret is not None and made.signing_secret.startswith("whsec_")
    write_key = "wk_live_0123456789abcdef"
    options = {"url": "https://api.segment.io/v1/batch"}
    ws.activation.create_destination("seg", "segment", options, secret=write_key)
    headers = {"Authorization": "Bearer {{secret}}", "X-Api-Key": "sk_live_abcdefgh123"}
    options = {"url": "https://sms.example/send", "body": BODY, "headers": headers}
    ws.activation.create_destination("sms", "messaging", options, channel="sms", secret="tok-1")
    shown = {d.name: d.secret for d in ws.activation.destinations()}
    assert shown == {"crm": "whse…", "seg": "wk_l…", "sms": "…"}
    assert ws.activation.destination("sms").config["headers"] == {
        "Authorization": "Bearer {{secret}}",
        "X-Api-Key": "sk_l…",
    }
    assert ws.activation.destination("seg").secret == "wk_l…"
    with pytest.raises(Conflict, match="exists already"):
        ws.activation.create_destination("crm", "webhook", {"url": "https://crm.example/h"})
    with pytest.raises(NotFound, match="known: crm, seg, sms"):
        ws.activation.destination("crn")
    db = str(ws.path)
    ws.close()
    show, listing = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(show):
        assert main(["destination", "show", "seg", "--db", db, "--json"]) == 0
    with contextlib.redirect_stdout(listing):
        assert main(["destination", "list", "--db", db]) == 0
    assert json.loads(show.getvalue())["secret"] == "wk_l…"
    printed = show.getvalue() + listing.getvalue()
    assert write_key not in printed and made.signing_secret not in printed
    assert "crm" in listing.getvalue() and "seg" in listing.getvalue()


def test_a_signature_verifies_only_for_its_body_time_and_secret() -> None:
    body, now = b'{"type":"test"}', int(time.time())
    signed = signing.signature("s3cret", now, body)
    assert signing.verify("s3cret", body, str(now), signed, now)
    assert not signing.verify("s3cret", body + b" ", str(now), signed, now)  # tampered
    assert not signing.verify("other", body, str(now), signed, now)
    assert not signing.verify("s3cret", body, str(now), signed, now + 3600)  # replayed later
    assert not signing.verify("s3cret", body, None, signed, now)


def test_text_from_people_cannot_break_out_of_the_body_template() -> None:
    hostile = 'Ann", "to": "+1999", "x": "\n\\'
    filled = config.fill(BODY, {"address": "+6281", "message": hostile})
    assert json.loads(filled) == {"to": "+6281", "text": hostile}


def test_the_test_call_reaches_each_kind(ws: Workspace, tmp_path: Path) -> None:
    with receiving(failures=1) as rx:
        made = ws.activation.create_destination("crm", "webhook", {"url": rx.url})
        refused = ws.activation.test_destination("crm")
        assert refused["ok"] is False and refused["error"].startswith("HTTP 500")
        assert ws.activation.test_destination("crm")["ok"] is True
        assert rx.signatures_valid(str(made.signing_secret))
        ws.activation.create_destination("seg", "segment", {"url": rx.url}, secret="wk_1")
        assert ws.activation.test_destination("seg")["ok"] is True
        assert rx.accepted()[-1].headers["authorization"] == "Basic d2tfMTo="  # wk_1:
    closed = ws.activation.create_destination("gone", "webhook", {"url": "http://127.0.0.1:9/"})
    assert ws.activation.test_destination(closed.name)["ok"] is False
    ws.activation.create_destination("lake", "file", {"directory": str(tmp_path / "lake")})
    assert ws.activation.test_destination("lake") == {"ok": True, "error": None}
    assert list((tmp_path / "lake").iterdir()) == []  # the probe is removed
