"""OpenID4VCI 1.0 ``jwt`` key proofs (Appendix F.1): which DID the wallet proved it holds.

Checked in this order, the cheap structural rules before any cryptography: the size, the ``typ``
(``openid4vci-proof+jwt``, so no other kind of JWT can stand in for one), the ``alg`` allow-list
(EdDSA, ES256), no ``crit``, exactly one key parameter — ``kid`` (a did:key / did:jwk URL naming
its DID's one key, or a did:web URL its DID document lists, fetched through the guarded fetcher:
Ed25519 keys only) or ``jwk`` (a public key, bound as the did:jwk it makes) —, then the signature
(joserfc, through ``formats.vcjwt``), ``aud`` (exactly the Credential Issuer Identifier), ``iss``
absent after anonymous pre-authorized access and otherwise the wallet's client_id, ``iat``
within the allowed age either way, and a ``nonce`` that the caller then spends (single use). Any
failure is ``invalid_proof``, except an unknown or spent nonce, which is ``invalid_nonce`` (the
wallet fetches a new one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer.crypto.did_jwk import did_public_jwk, is_self_certifying, method_fragment_matches
from badge_issuer.crypto.resolver import KeyResolver
from badge_issuer.errors import BadgeIssuerError, WalletProtocolError
from badge_issuer.formats.jwk import b64url_encode, import_public_jwk, jwk_to_public_key, public_key_to_jwk
from badge_issuer.formats.vcjwt import decode_vc_jwt, verify_jws

PROOF_TYP = "openid4vci-proof+jwt"
ALGS = frozenset({"EdDSA", "ES256"})
KEY_PARAMETERS = ("kid", "jwk", "x5c", "trust_chain", "key_attestation")
MAX_PROOF_CHARS = 8192
MAX_KID_CHARS = 2048


@dataclass(frozen=True)
class ProvenKey:
    """A verified key proof: the wallet's DID and the nonce it carried (not yet spent)."""

    holder_did: str
    nonce: str


def verify_key_proof(
    token: object,
    *,
    audience: str,
    now: datetime,
    max_age_seconds: int,
    client_id: str | None = None,
    resolver: KeyResolver | None = None,
) -> ProvenKey:
    """``client_id``: the wallet's, when its token came from the authorization code grant (the proof
    may name it in ``iss``); None after anonymous pre-authorized access (no ``iss`` at all).
    ``resolver``: how a did:web ``kid`` is resolved (None: did:web holders are refused)."""
    if not isinstance(token, str):
        raise _invalid("a jwt key proof must be a string")
    try:
        parts = decode_vc_jwt(token, max_chars=MAX_PROOF_CHARS)
    except BadgeIssuerError as exc:
        raise _invalid(f"the key proof is not a compact JWS: {exc.message}") from None
    header, payload = parts.header, parts.payload
    if header.get("typ") != PROOF_TYP:
        raise _invalid(f"the key proof's typ must be {PROOF_TYP!r}")
    if header.get("alg") not in ALGS:
        raise _invalid(f"the key proof's alg must be one of {', '.join(sorted(ALGS))}")
    if "crit" in header:
        raise _invalid("crit header parameters are not supported")
    named = [name for name in KEY_PARAMETERS if name in header]
    if len(named) != 1 or named[0] not in ("kid", "jwk"):
        raise _invalid("the key proof must name its key with exactly one of kid (a DID URL) or jwk")
    try:
        holder, jwk = _holder_key(header, resolver)
        verify_jws(parts, jwk)
    except WalletProtocolError:
        raise
    except BadgeIssuerError as exc:
        raise _invalid(f"the key proof does not verify: {exc.message}") from None
    if payload.get("aud") != audience:
        raise _invalid(f"the key proof's aud must be the Credential Issuer Identifier {audience}")
    if "iss" in payload and client_id is None:
        raise _invalid("the key proof must not carry iss (anonymous pre-authorized access)")
    if "iss" in payload and payload["iss"] != client_id:
        raise _invalid("the key proof's iss must be the wallet's client_id")
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise _invalid("the key proof needs iat (a NumericDate)")
    if abs(now.timestamp() - iat) > max_age_seconds:
        raise _invalid(f"the key proof's iat is more than {max_age_seconds} s from now")
    for claim in ("exp", "nbf"):
        value = payload.get(claim)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise _invalid(f"the key proof's {claim} is not a NumericDate")
    if isinstance(payload.get("exp"), int | float) and payload["exp"] <= now.timestamp():
        raise _invalid("the key proof has expired")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not 0 < len(nonce) <= 128:
        raise WalletProtocolError("invalid_nonce", "the key proof carries no c_nonce from the nonce endpoint")
    return ProvenKey(holder_did=holder, nonce=nonce)


def did_jwk_of(jwk: Mapping[str, Any]) -> str:
    """The did:jwk of a public key (its members in sorted order, compact JSON)."""
    canonical = public_key_to_jwk(jwk_to_public_key(jwk))
    return "did:jwk:" + b64url_encode(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode())


def _holder_key(header: Mapping[str, Any], resolver: KeyResolver | None) -> tuple[str, Mapping[str, Any]]:
    if "jwk" in header:
        jwk = header["jwk"]
        if not isinstance(jwk, Mapping):
            raise _invalid("the key proof's jwk must be a JSON object")
        import_public_jwk(jwk)  # refuses private members and unsupported keys
        return did_jwk_of(jwk), jwk
    kid = header["kid"]
    if not isinstance(kid, str) or "#" not in kid or len(kid) > MAX_KID_CHARS:
        raise _invalid("the key proof's kid must be a DID URL naming the key (did:key, did:jwk, did:web)")
    did, _, fragment = kid.partition("#")
    if did.startswith("did:web:") and fragment:
        return did, _web_key(kid, did, resolver)
    if not is_self_certifying(did) or not method_fragment_matches(did, fragment):
        raise _invalid("the key proof's kid must be a did:key or did:jwk URL naming that DID's key")
    return did, did_public_jwk(did)


def _web_key(kid: str, did: str, resolver: KeyResolver | None) -> Mapping[str, Any]:
    """The public key of a did:web verification method: its DID document must list ``kid`` with
    that DID as controller. Unreachable, malformed or silent documents fail closed."""
    if resolver is None:
        raise _invalid("did:web holders are not accepted here")
    try:
        method = resolver.resolve(kid)
    except BadgeIssuerError as exc:
        raise _invalid(f"the key {kid} could not be resolved: {exc.message}") from None
    if method.controller != did:
        raise _invalid(f"the key {kid} is not a verification method of {did}")
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(method.public_key)}


def _invalid(message: str) -> WalletProtocolError:
    return WalletProtocolError("invalid_proof", message)
