"""The demo's event payloads (issue 15, item 17): the built-in types carry the fields messaging
and web platforms send, registered as their properties, so nothing the demo stores is left
undiscovered and nothing breaks a schema (every registered type is enforced under `warn`); the
values are consistent with the events they ride on; inbound messages answer campaign messages
that were read, and the profile's engagement summary counts them as "messages in"."""

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
    "message_received": {"message_id", "conversation_id", "in_reply_to", "campaign_id", "text"},
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
    assert set(ws.catalog.event_types()["enforcement"]) == {"warn"}
    assert ws.catalog.flagged_events().empty


def test_inbound_messages_answer_what_was_read(loaded: Any) -> None:
    ws, _ = loaded
    read = _payloads(ws, "message_read").set_index("message_id")
    received = _payloads(ws, "message_received")
    assert len(received) > 0
    assert received["message_id"].is_unique
    assert set(received["in_reply_to"]) <= set(read.index)
    answered = read.loc[received["in_reply_to"]]
    assert (received["ts"].to_numpy() > answered["ts"].to_numpy()).all()
    assert (received["channel"].to_numpy() == answered["channel"].to_numpy()).all()
    assert (received["campaign_id"].to_numpy() == answered["campaign_id"].to_numpy()).all()
    assert received["conversation_id"].str.startswith("conv-").all()
    assert received["text"].str.len().gt(0).all()
    assert set(received["channel"]) <= {"email", "whatsapp", "sms"}


def test_the_profile_header_counts_messages_in(loaded: Any) -> None:
    ws, _ = loaded
    counts = ws.db.rows(
        "SELECT profile_id, count(*) FROM events WHERE type = 'message_received' "
        "GROUP BY profile_id ORDER BY count(*) DESC, profile_id LIMIT 3"
    )
    for profile_id, count in counts:
        summary = ws.profiles.engagement(int(profile_id))
        assert summary.messages_in == count > 0


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
