"""The demo's event payloads (issue 15, item 17): the built-in types carry the fields messaging
and web platforms send, registered as their properties, so nothing the demo stores is left
undiscovered; the values are consistent with the events they ride on."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from engine import Workspace
from engine.catalog.vocab import STANDARD_EVENT_TYPES

pytestmark = pytest.mark.xdist_group("demo")

PAYLOADS = {
    "message_sent": {"campaign_id", "template_id", "message_id"},
    "message_delivered": {"campaign_id", "template_id", "message_id", "delivered_at"},
    "message_read": {"campaign_id", "template_id", "message_id", "delivered_at", "read_at"},
    "link_clicked": {"url", "link_label", "campaign_id", "message_id"},
    "form_submitted": {"form_id", "fields"},
    "page_view": {"url", "title", "referrer", "duration"},
    "session_started": {"device", "landing_page"},
}


def _payloads(ws: Workspace, kind: str) -> pd.DataFrame:
    rows = ws.db.rows(
        "SELECT ts, channel, source, properties FROM events WHERE type = $t ORDER BY id",
        {"t": kind},
    )
    return pd.DataFrame(
        [{"ts": ts, "channel": c, "source": s, **json.loads(p)} for ts, c, s, p in rows]
    )


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_built_in_types_carry_their_payload(loaded: Any, kind: str) -> None:
    ws, _ = loaded
    assert PAYLOADS[kind] <= set(STANDARD_EVENT_TYPES[kind])  # registered as properties
    found = _payloads(ws, kind)
    present = {c for c in found.columns if found[c].notna().any()}
    assert PAYLOADS[kind] <= present, PAYLOADS[kind] - present


def test_nothing_the_demo_stores_is_unregistered(loaded: Any) -> None:
    ws, _ = loaded
    assert ws.catalog.discovered().empty


def test_message_payloads_follow_the_messages(loaded: Any) -> None:
    ws, _ = loaded
    read = _payloads(ws, "message_read")
    delivered_at = pd.to_datetime(read["delivered_at"]).dt.tz_localize(None)
    assert (pd.to_datetime(read["read_at"]).dt.tz_localize(None) == read["ts"]).all()
    assert (delivered_at < read["ts"]).all()
    sent = _payloads(ws, "message_sent")
    assert sent["message_id"].is_unique
    assert set(read["message_id"]) <= set(sent["message_id"])
    clicks = _payloads(ws, "link_clicked")
    assert set(clicks["message_id"]) <= set(read["message_id"])
    assert set(clicks["link_label"]) <= {"See pricing", "Start your free trial"}


def test_pages_and_sessions(loaded: Any) -> None:
    ws, _ = loaded
    pages = _payloads(ws, "page_view")
    durations = pages["duration"].dropna()
    assert len(durations) > 0 and (durations >= 0).all() and (durations <= 20 * 60).all()
    starts = _payloads(ws, "session_started")
    web = starts[starts["channel"] == "web"]
    assert set(web["device"].dropna()) == {"mobile", "desktop"}
    assert web["landing_page"].dropna().str.startswith("https://").all()
    assert web["landing_page"].notna().sum() > len(web) / 2  # most web sessions open on a page
