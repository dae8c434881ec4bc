"""Keys for VC-JWT: which key a token names, and whether the issuer publishes it.

The header names the key by ``kid`` — a DID URL (resolved like a Data Integrity verification
method), a URL that dereferences to a JWK or JWK set, or a bare key id looked up in the issuer's
JWK set — and/or carries it as ``jwk``. Key provenance (OB impl. guide): the key must be in the
JWK set at ``https://{authority of issuer.id}/.well-known/jwks.json`` and a JWK ``iss`` member, if
present, must equal ``issuer.id``; a DID key instead needs the issuer as its controller. A did:key
or did:jwk (issuer or ``kid``) needs no resolution: the DID *is* the key (``crypto/did_jwk.py``). A
DID ``kid`` must be listed under ``assertionMethod`` by its controller, as for a Data Integrity proof.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badge_issuer.checks.base import VerifyContext, as_list, issuer_id, short
from badge_issuer.crypto.did_jwk import did_public_jwk, is_self_certifying, method_fragment_matches
from badge_issuer.crypto.resolver import VerificationMethod
from badge_issuer.errors import BadgeIssuerError, ProofError, ResolutionError
from badge_issuer.formats.vcjwt import JwtParts, public_key_to_jwk

JWKS_ACCEPT = "application/jwk-set+json, application/jwk+json, application/json;q=0.9"
_KEY_MEMBERS = ("kty", "crv", "x", "y", "n", "e")
MAX_JWKS_KEYS = 100


@dataclass(frozen=True)
class JwtKey:
    """The key a VC-JWT is checked with."""

    jwk: Mapping[str, Any]
    key_id: str
    #: the DID verification method, when ``kid`` is a DID URL
    method: VerificationMethod | None = None
    #: set when the key came from the header ``jwk`` because ``kid`` could not be dereferenced
    unresolved: str | None = None


def same_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two public JWKs hold the same key material."""
    return all(a.get(member) == b.get(member) for member in _KEY_MEMBERS)


def jwt_key(parts: JwtParts, credential: Mapping[str, Any], ctx: VerifyContext) -> JwtKey:
    """The key named by the header; ResolutionError when it cannot be had."""
    kid = parts.header.get("kid")
    header_jwk = parts.header.get("jwk")
    try:
        if isinstance(kid, str) and is_self_certifying(kid):
            return JwtKey(_self_certified(kid), kid)
        if isinstance(kid, str) and kid.startswith("did:"):
            method = ctx.resolver.resolve(kid)
            if ctx.proof_purpose not in method.purposes:
                raise ProofError(
                    f"verification method {short(kid)} is not listed under {ctx.proof_purpose} "
                    "by its controller"
                )
            jwk = public_key_to_jwk(Ed25519PublicKey.from_public_bytes(method.public_key))
            return JwtKey(jwk, kid, method)
        if isinstance(kid, str) and "://" in kid:
            return JwtKey(_jwk_at(kid, ctx), kid)
        if isinstance(kid, str):
            return JwtKey(_find(issuer_jwks(credential, ctx), kid, "the issuer's JWK set"), kid)
    except ResolutionError as exc:
        if not isinstance(header_jwk, Mapping):
            raise
        return JwtKey(header_jwk, f"jwk in the JWT header (kid {short(kid)})", unresolved=exc.message)
    if isinstance(header_jwk, Mapping):
        return JwtKey(header_jwk, "jwk in the JWT header")
    raise ResolutionError("the JWT header names no key (no kid, no jwk)")


def _self_certified(kid: str) -> Mapping[str, Any]:
    """The key a did:key / did:jwk DID URL names, decoded locally (the DID is the key)."""
    did, _, fragment = kid.partition("#")
    if fragment and not method_fragment_matches(did, fragment):
        raise ResolutionError(f"{short(kid)} names no verification method of {short(did)}")
    try:
        return did_public_jwk(did)
    except BadgeIssuerError as exc:
        raise ResolutionError(f"{short(did)}: {exc.message}") from None


def self_certified_issuer_key(issuer: str) -> Mapping[str, Any] | None:
    """The JWK a did:key / did:jwk issuer consists of; None for any other issuer."""
    if not is_self_certifying(issuer):
        return None
    try:
        return did_public_jwk(issuer)
    except BadgeIssuerError as exc:
        raise ResolutionError(f"issuer {short(issuer)}: {exc.message}") from None


def jwks_url(issuer: str) -> str:
    """``https://{authority}/.well-known/jwks.json`` for an issuer URL or did:web."""
    if issuer.startswith("did:web:"):
        host = issuer.removeprefix("did:web:").split(":", 1)[0].replace("%3A", ":").replace("%3a", ":")
        return f"https://{host}/.well-known/jwks.json"
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ResolutionError(f"issuer {short(issuer)} is not a URL, so it has no /.well-known/jwks.json")
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def issuer_jwks(credential: Mapping[str, Any], ctx: VerifyContext) -> list[Mapping[str, Any]]:
    issuer = issuer_id(credential)
    if issuer is None:
        raise ResolutionError("the credential names no issuer")
    url = jwks_url(issuer)
    document = ctx.documents.get_json(url, accept=JWKS_ACCEPT)
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list):
        raise ResolutionError(f"{url} is not a JWK set (no 'keys' array)")
    return [key for key in keys[:MAX_JWKS_KEYS] if isinstance(key, Mapping)]


def _find(keys: list[Mapping[str, Any]], kid: str, where: str) -> Mapping[str, Any]:
    fragment = kid.rpartition("#")[2]
    for key in keys:
        if key.get("kid") in (kid, fragment):
            return key
    raise ResolutionError(f"no key with kid {short(kid)} in {where}")


def _jwk_at(kid: str, ctx: VerifyContext) -> Mapping[str, Any]:
    """The JWK a kid URL dereferences to: a JWK, or a JWK set / controller document listing it."""
    url = kid.partition("#")[0]
    document = ctx.documents.get_json(url, accept=JWKS_ACCEPT)
    if not isinstance(document, Mapping):
        raise ResolutionError(f"{url} is not a JSON object")
    if "kty" in document:
        return document
    if isinstance(document.get("keys"), list):
        keys = [key for key in document["keys"][:MAX_JWKS_KEYS] if isinstance(key, Mapping)]
        return _find(keys, kid, url)
    for method in as_list(document.get("verificationMethod")):
        if (
            isinstance(method, Mapping)
            and method.get("id") == kid
            and isinstance(method.get("publicKeyJwk"), Mapping)
        ):
            jwk: Mapping[str, Any] = method["publicKeyJwk"]
            return jwk
    raise ResolutionError(f"{url} holds no JWK for {short(kid)}")
