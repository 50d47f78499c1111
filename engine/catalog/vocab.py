"""The built-in vocabulary: standard profile properties, channels, identity types, standard
event types with their property schemas, consent statuses."""

from __future__ import annotations

from typing import Final

# Profile columns a user may read and edit; type names are the language's (dsl.schema.PropType).
STANDARD_PROPERTIES: Final[dict[str, str]] = {
    "name": "string",
    "email": "string",
    "phone": "string",
    "company": "string",
    "country": "string",
    "city": "string",
    "language": "string",
    "lifecycle": "string",
    "source": "string",
    "platform": "string",
}
# Maintained by Kith itself; readable in segments, never edited by hand.
SYSTEM_PROPERTIES: Final[dict[str, str]] = {
    "created_at": "date",
    "updated_at": "date",
    "first_seen": "date",
    "last_seen": "date",
}

LIFECYCLE_STAGES: Final = ("subscriber", "lead", "qualified", "customer", "churned")
SOURCES: Final = ("added_by_admin", "ads", "organic", "broadcast", "import", "api")
PLATFORMS: Final = ("web", "mobile")

CHANNELS: Final = (
    "whatsapp",
    "sms",
    "email",
    "web",
    "instagram",
    "telegram",
    "line",
    "facebook",
    "tiktok",
    "widget",
)
# Identity key types in default resolution priority, highest first (analytics.md).
IDENTITY_TYPES: Final = (
    "user_id",
    "email",
    "phone",
    "whatsapp",
    "sms",
    "instagram",
    "telegram",
    "line",
    "facebook",
    "tiktok",
    "widget",
    "anonymous_id",
)
CONSENT_STATUSES: Final = ("granted", "denied", "revoked")

# Standard event types and their property schemas (name -> type): the payloads messaging and
# web platforms send. `channel` and `source` are the event's own columns, never properties.
_MESSAGE: Final[dict[str, str]] = {
    "campaign": "string",
    "template": "string",
    "campaign_id": "string",
    "template_id": "string",
    "message_id": "string",
}
STANDARD_EVENT_TYPES: Final[dict[str, dict[str, str]]] = {
    "page_view": {
        "url": "string",
        "path": "string",
        "title": "string",
        "referrer": "string",
        "duration": "number",  # seconds on the page
    },
    "screen": {"name": "string"},
    "identify": {},
    "alias": {},
    "group": {"group_id": "string"},
    "session_started": {"device": "string", "landing_page": "string"},
    "message_sent": dict(_MESSAGE),
    "message_delivered": {**_MESSAGE, "delivered_at": "date"},
    "message_read": {**_MESSAGE, "delivered_at": "date", "read_at": "date"},
    # an inbound message: what the person wrote on the event's channel, in the conversation
    # (and, for an answer to a campaign, the campaign and the message it answers)
    "message_received": {
        "campaign": "string",
        "campaign_id": "string",
        "message_id": "string",
        "conversation_id": "string",
        "in_reply_to": "string",
        "text": "string",
    },
    "link_clicked": {
        "url": "string",
        "link_label": "string",
        "campaign": "string",
        "campaign_id": "string",
        "message_id": "string",
    },
    "form_submitted": {"form": "string", "form_id": "string", "fields": "string"},
    "signup": {"method": "string"},
    "purchase": {"amount": "number", "currency": "string", "order_id": "string"},
}
