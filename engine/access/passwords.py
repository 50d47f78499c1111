"""Password hashing with scrypt (memory-hard, in the standard library). A stored hash names its
parameters, so they can be raised later without invalidating older hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from kith_errors import ValidationError

# 2**14 x 8 x 128 bytes = 16 MiB of memory per hash, ~50 ms on a laptop core
N, R, P = 2**14, 8, 1
MIN_LENGTH = 10
MAX_LENGTH = 1024


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` for a password that passed `check_strength`."""
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`, in constant time for a given hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(digest))


def check_strength(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationError(
            f"a password needs {MIN_LENGTH} to {MAX_LENGTH} characters",
            details={"length": len(password)},
        )


def generated() -> str:
    """A random password to hand to a person once (16 url-safe characters)."""
    return secrets.token_urlsafe(12)


# a hash of a random password, checked when a login names an unknown user so that the answer
# takes as long as for a known user
DECOY = hash_password(generated())
