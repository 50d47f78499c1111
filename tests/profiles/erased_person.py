"""A person with distinctive values, the messages that bring them in (with another person's
event quoting them), and the search for any trace of them in raw bytes: every value in every
format the identity normaliser accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PERSON: dict[str, Any] = {
    "userId": "user-zq-991",
    "anonymousId": "anon-zq-5521",
    "traits": {
        "email": "Zelda.Quimby@Example.org",
        "phone": "+44 7700 900123",
        "name": "Zelda Quimby",
        "city": "Quimbyton",
        "whatsapp": "+44 7700 900124",
    },
}
IP = "203.0.113.77"
# what must not be found anywhere afterwards: each value in every accepted format
FORMS = [
    "user-zq-991",
    "anon-zq-5521",
    "zelda.quimby@example.org",
    "+447700900123",
    "447700900123",
    "+44 7700 900123",
    "+447700900124",
    "447700900124",
    "+44 7700 900124",
    "Zelda Quimby",
    "Quimbyton",
    IP,
]


def messages() -> list[dict[str, Any]]:
    """The person's identify and events, and another person's referral quoting them."""
    own = [
        {"type": "identify", **PERSON, "context": {"ip": IP}},
        *(
            {"type": "track", "event": "viewed", "userId": PERSON["userId"], "context": {"ip": IP}}
            for _ in range(3)
        ),
    ]
    referral = {
        "type": "track",
        "event": "referred",
        "userId": "someone-else-1",
        "properties": {"friend": "Zelda Quimby", "friend_phone": "+44 7700 900123"},
    }
    return [*own, referral]


def found_in(data: bytes) -> list[str]:
    """The forms found in `data`, any case (UTF-8 text, or the raw bytes of a file)."""
    text = data.decode("utf-8", "replace").lower()
    return [form for form in FORMS if form.lower() in text]


def found_in_files(*paths: Path) -> dict[str, list[str]]:
    """File name -> the forms its raw bytes hold, for every file found at or under `paths`."""
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*")))]
    hits = {str(f): found_in(f.read_bytes()) for f in files if f.is_file()}
    return {name: forms for name, forms in hits.items() if forms}
