"""SignedBadge verification (OB 2.0 §"SignedBadge Verification"): a JWS whose payload is the Assertion.

The key is a CryptographicKey document (``id``, ``owner``, ``publicKeyPem``). The Assertion's
``verification.creator`` names it; without a creator, the keys the issuer Profile lists in
``publicKey`` are tried. A key is trusted only when its ``owner`` is the issuer and the issuer
Profile lists it (the two-way link); the signature itself is checked with ``verify_jws`` (RS256 as
the specification recommends; ES256 and EdDSA keys also verify, ``none`` and HMAC never).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from badge_issuer.checks.base import DocumentSource, short
from badge_issuer.errors import BadgeIssuerError, InvalidKey, SignatureInvalid
from badge_issuer.formats.jwk import PublicKey
from badge_issuer.formats.vcjwt import JwtParts, verify_jws
from badge_issuer.ob2.chain import Chain, ChainError, embedded_key, fetch_node, public_key_ids
from badge_issuer.ob2.documents import http_url, node_id, verification_of

MAX_PEM_CHARS = 16 * 1024
KEY_TYPES = frozenset({"CryptographicKey", "Key"})


@dataclass(frozen=True)
class SignedBy:
    """A key whose signature over the JWS verified."""

    key_id: str
    owner: str | None
    alg: str


def creator_of(assertion: Mapping[str, Any]) -> str | None:
    verification = verification_of(assertion)
    return node_id(verification.get("creator")) if verification is not None else None


def load_key(documents: DocumentSource, key_id: str, issuer: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The CryptographicKey ``key_id``: embedded in the fetched issuer Profile, else fetched."""
    if issuer is not None and (found := embedded_key(issuer, key_id)) is not None:
        return found
    if http_url(key_id) is None:
        raise ChainError(f"the key {short(key_id)} is not an HTTP(S) URL and the issuer does not embed it")
    return fetch_node(documents, key_id, KEY_TYPES, "CryptographicKey")


def public_key(key: Mapping[str, Any]) -> PublicKey:
    """The public key in ``publicKeyPem``; InvalidKey if absent, malformed or of an unfit kind."""
    pem = key.get("publicKeyPem")
    if not isinstance(pem, str) or not pem.strip() or len(pem) > MAX_PEM_CHARS:
        raise InvalidKey(f"the key {short(key.get('id'))} has no usable publicKeyPem")
    try:
        loaded = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise InvalidKey(f"the publicKeyPem of {short(key.get('id'))} is not a public key: {exc}") from None
    if not isinstance(loaded, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise InvalidKey(f"the key {short(key.get('id'))} is of an unsupported kind")
    return loaded


def verify_signed(
    parts: JwtParts, candidates: list[str], documents: DocumentSource, chain: Chain | None
) -> SignedBy:
    """The first candidate key the JWS verifies with; SignatureInvalid / ChainError otherwise."""
    if not candidates:
        raise ChainError("no key to verify with: no verification.creator and no issuer publicKey")
    failures: list[str] = []
    for key_id in candidates:
        try:
            key = load_key(documents, key_id, chain.issuer if chain else None)
            verify_jws(parts, public_key(key))
        except SignatureInvalid:
            failures.append(f"{short(key_id)}: the signature does not verify with this key")
            continue
        except BadgeIssuerError as exc:
            failures.append(f"{short(key_id)}: {exc.message}")
            continue
        owner = node_id(key.get("owner"))
        return SignedBy(key_id, owner, str(parts.header.get("alg")))
    if all("does not verify" in failure for failure in failures):
        raise SignatureInvalid("the JWS signature does not verify: " + "; ".join(failures))
    raise ChainError("the JWS could not be verified: " + "; ".join(failures))


def candidate_keys(assertion: Mapping[str, Any], chain: Chain | None) -> list[str]:
    """``verification.creator`` if given, else the issuer's declared keys."""
    creator = creator_of(assertion)
    if creator is not None:
        return [creator]
    return public_key_ids(chain.issuer) if chain is not None else []


def key_link_problem(signed: SignedBy, chain: Chain) -> str | None:
    """Why the key that signed is not the issuer's (owner and publicKey both name each other)."""
    if signed.owner != chain.issuer_id:
        return (
            f"the key {short(signed.key_id)} is owned by {short(signed.owner)}, "
            f"not the issuer {short(chain.issuer_id)}"
        )
    if signed.key_id not in public_key_ids(chain.issuer, limit=50):
        return f"the issuer Profile does not list the key {short(signed.key_id)} in its publicKey"
    return None
