"""Random bearer values (codes, tokens, secrets) and the hashes stored in their place.

Every value is at least 256 bits from the CSPRNG, so one SHA-256 (no salt, no stretching) is
enough to keep a database reader from using what it reads.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """A fresh random value, URL-safe base64 (``nbytes`` random bytes)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """What is stored for ``value``: the SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same_digest(value: str, stored: str) -> bool:
    """Whether ``value`` hashes to ``stored`` (constant time in the compared hex)."""
    return hmac.compare_digest(digest(value), stored)
