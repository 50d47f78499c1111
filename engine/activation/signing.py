"""Webhook signatures: `X-Kith-Signature: sha256=<hex>`, the HMAC-SHA256 with the destination's
secret of `<timestamp>.<raw body>`, where `<timestamp>` is the `X-Kith-Timestamp` header (Unix
seconds). Signing the time with the body lets a receiver refuse a captured request replayed
later (docs/activation.md shows the check)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Kith-Signature"
TIMESTAMP_HEADER = "X-Kith-Timestamp"
TOLERANCE_SECONDS = 300  # how old a signed request a receiver should still accept


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signed: str | None,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: the signature matches the body and the timestamp, and the
    timestamp is within `tolerance` seconds of `now` (Unix seconds)."""
    if not timestamp or not signed or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), signed)
