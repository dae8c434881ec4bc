"""The secrets of claiming, and how they are kept: only a digest is ever stored.

A claim link's secret is derived from the award (HMAC of its record id under the deployment's
pepper), so an idempotent replay of the issue request hands out the same link without the secret
being stored; the database holds its SHA-256. Codes, tokens and nonces are fresh CSPRNG values,
stored as SHA-256 too; a 6-digit transaction code, which a digest would not hide, is kept as an
HMAC under the pepper.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from badge_issuer.formats.jwk import b64url_encode

TOKEN_CHARS = 43  # 32 bytes of base64url
MAX_SECRET_CHARS = 128


def claim_token(pepper: bytes, record_id: str) -> str:
    return b64url_encode(hmac.new(pepper, b"badge-claim\x00" + record_id.encode(), hashlib.sha256).digest())


def offer_code(pepper: bytes, reference: str) -> str:
    """The pre-authorized code of the offer named ``reference`` (so neither is stored in the clear)."""
    return b64url_encode(hmac.new(pepper, b"badge-offer\x00" + reference.encode(), hashlib.sha256).digest())


def issuer_state(pepper: bytes, reference: str) -> str:
    """The ``issuer_state`` of the offer named ``reference`` (authorization code grant)."""
    return b64url_encode(
        hmac.new(pepper, b"badge-issuer-state\x00" + reference.encode(), hashlib.sha256).digest()
    )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_tx_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def keyed_digest(pepper: bytes, secret: str) -> str:
    return hmac.new(pepper, b"badge-tx-code\x00" + secret.encode(), hashlib.sha256).hexdigest()


def plausible(secret: object) -> bool:
    """Whether ``secret`` could be one of ours (a bounded string) before it is hashed and looked up."""
    return isinstance(secret, str) and 0 < len(secret) <= MAX_SECRET_CHARS
