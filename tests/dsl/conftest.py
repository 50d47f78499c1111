"""A small hand-made schema, shaped like a real workspace's, for the language tests."""

from __future__ import annotations

import pytest

from dsl import Schema

STRING_PROPS = [
    *("name", "email", "phone", "company", "country", "city", "language", "lifecycle"),
    *("source", "platform", "plan", "last_read_channel"),
]
DATE_PROPS = ["created_at", "updated_at", "first_seen", "last_seen"]
MESSAGE_PROPS = {"campaign": "string", "template": "string"}

SCHEMA = Schema(
    properties={
        **dict.fromkeys(STRING_PROPS, "string"),
        **dict.fromkeys(DATE_PROPS, "date"),
        "lifetime_value": "number",
        "forms_submitted": "number",
        "vip": "boolean",
        "address": "json",
    },
    event_types={
        "page_view": {"url": "string", "title": "string", "referrer": "string", "path": "string"},
        "purchase": {"amount": "number", "currency": "string", "order_id": "string"},
        "link_clicked": {"url": "string", "campaign": "string"},
        "message_sent": dict(MESSAGE_PROPS),
        "message_delivered": dict(MESSAGE_PROPS),
        "message_read": dict(MESSAGE_PROPS),
        "form_submitted": {"form": "string"},
        "signup": {"method": "string"},
        "session_started": {},
        "vip_reached": {"tier": "string", "amount": "number", "extra": "json"},
    },
    segments={
        "active_subscribers": frozenset(),
        "vip": frozenset(),
        "big_spenders": frozenset({"vip"}),
        "loop_a": frozenset({"loop_b"}),
        "loop_b": frozenset({"loop_a"}),
        "uses_new": frozenset({"new_one"}),
    },
    labels=frozenset({"vip", "churning", "high-value"}),
    channels=frozenset({"email", "whatsapp", "sms", "instagram"}),
    consent_channels=frozenset({"email", "whatsapp", "sms"}),
    lists=frozenset({"vip-outreach", "newsletter"}),
)


@pytest.fixture(scope="session")
def schema() -> Schema:
    return SCHEMA
