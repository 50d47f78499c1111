"""Segment-spec messages for tests that go through the real ingestion engine."""

from __future__ import annotations

from typing import Any


def track(user: str, event: str, props: dict[str, Any] | None = None, **extra: Any) -> dict:
    """A track message from `user` at 2026-03-01 10:00 UTC unless `timestamp` is given."""
    message = {
        "type": "track",
        "userId": user,
        "event": event,
        "properties": props or {},
        "timestamp": "2026-03-01T10:00:00Z",
    }
    return {**message, **extra}


def identify(user: str, **traits: Any) -> dict:
    return {
        "type": "identify",
        "userId": user,
        "traits": traits,
        "timestamp": "2026-03-01T09:00:00Z",
    }
