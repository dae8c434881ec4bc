"""API keys for clients (LMS platforms, admin tools): minted once, stored hashed, scoped.

A key reads ``bik_<key id>.<secret>``. The key id finds the client row; only SHA-256 of the secret
is stored, compared in constant time. Each client belongs to one issuer and holds scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from badge_issuer.errors import Forbidden, NotFound, Unauthenticated

SCOPES = ("issue", "revoke", "read", "admin")
PREFIX = "bik_"


@dataclass(frozen=True)
class MintedKey:
    key_id: str
    secret_hash: str
    token: str  # shown once, never stored


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a client of one issuer with some scopes."""

    client_id: int
    issuer_id: int
    issuer_slug: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes and "admin" not in self.scopes:
            raise Forbidden(f"this API key lacks the {scope!r} scope")

    def act_for(self, issuer_slug: str, scope: str) -> None:
        """Allow acting for ``issuer_slug`` with ``scope``; callers of another issuer get NotFound
        (other tenants' names are not disclosed), a missing scope is Forbidden. Every surface that
        authenticates API keys asks this one question."""
        if self.issuer_slug != issuer_slug:
            raise NotFound(f"no issuer {issuer_slug!r}")
        self.require(scope)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mint_key() -> MintedKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return MintedKey(key_id=key_id, secret_hash=hash_secret(secret), token=f"{PREFIX}{key_id}.{secret}")


def parse_bearer(header: str | None) -> tuple[str, str]:
    """``(key id, secret)`` from an ``Authorization: Bearer bik_…`` header."""
    if not header:
        raise Unauthenticated("send an API key as 'Authorization: Bearer bik_…'")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or "." not in token:
        raise Unauthenticated("malformed Authorization header; expected 'Bearer bik_<id>.<secret>'")
    key_id, _, secret = token.removeprefix(PREFIX).partition(".")
    if not key_id or not secret or len(token) > 200:
        raise Unauthenticated("malformed API key")
    return key_id, secret


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
