"""The public key a self-certifying DID *is*, as a public JWK: ``did:key`` and ``did:jwk``.

Such a DID needs no resolution: its identifier encodes the key. A VC-JWT signed by that key (named
by a ``jwk`` header or a ``kid`` DID URL) is therefore bound to that issuer without any JWK set.

- ``did:key`` (W3C CCG did:key): base58btc multibase of a multicodec-prefixed key: Ed25519
  (``0xed``, ``z6Mk…``), P-256 (``0x1200``, compressed SEC1 point, ``zDn…``) or RSA (``0x1205``,
  DER PKCS#1 ``RSAPublicKey``, ``z4MX…``).
- ``did:jwk``: the base64url of the JWK's JSON; its one verification method is ``#0``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from badge_issuer.crypto.multibase import b64url_decode, multibase_decode
from badge_issuer.errors import InvalidKey, ParseError
from badge_issuer.formats.jwk import jwk_to_public_key, public_key_to_jwk

SELF_CERTIFYING_PREFIXES = ("did:key:", "did:jwk:")
#: multicodec varint prefixes of the public key types a did:key may carry here
_ED25519 = b"\xed\x01"
_P256 = b"\x80\x24"
_RSA = b"\x85\x24"
MAX_DID_CHARS = 4096


def is_self_certifying(did: str) -> bool:
    """Whether ``did`` (without fragment) is a did:key or did:jwk."""
    return did.startswith(SELF_CERTIFYING_PREFIXES)


def did_public_jwk(did: str) -> dict[str, str]:
    """The public JWK that ``did`` (a did:key or did:jwk, no fragment) consists of.

    ParseError if ``did`` is neither; InvalidKey if its key is malformed or of a type not handled.
    """
    if len(did) > MAX_DID_CHARS:
        raise ParseError("the DID is too long")
    if did.startswith("did:key:"):
        return public_key_to_jwk(_did_key_public_key(did.removeprefix("did:key:")))
    if did.startswith("did:jwk:"):
        return _did_jwk(did.removeprefix("did:jwk:"))
    raise ParseError(f"{did[:60]!r} is not a did:key or did:jwk")


def method_fragment_matches(did: str, fragment: str) -> bool:
    """Whether ``fragment`` names the one verification method of the self-certifying ``did``."""
    if did.startswith("did:jwk:"):
        return fragment == "0"
    return fragment == did.removeprefix("did:key:")


def _did_key_public_key(
    multibase: str,
) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    if not multibase.startswith("z"):
        raise InvalidKey("a did:key must be base58btc multibase (z…)")
    try:
        decoded = multibase_decode(multibase)
    except ParseError as exc:
        raise InvalidKey(f"the did:key is not valid multibase: {exc.message}") from None
    prefix, data = decoded[:2], decoded[2:]
    try:
        if prefix == _ED25519 and len(data) == 32:
            return ed25519.Ed25519PublicKey.from_public_bytes(data)
        if prefix == _P256 and len(data) == 33:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
        if prefix == _RSA:
            key = serialization.load_der_public_key(data)
            if isinstance(key, rsa.RSAPublicKey):
                return key
    except ValueError as exc:
        raise InvalidKey(f"the did:key holds an unusable key: {exc}") from None
    raise InvalidKey("the did:key is not an Ed25519, P-256 or RSA public key")


def _did_jwk(encoded: str) -> dict[str, str]:
    try:
        value: Any = json.loads(b64url_decode(encoded))
    except (ParseError, ValueError) as exc:
        raise InvalidKey(f"the did:jwk is not base64url JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise InvalidKey("the did:jwk does not encode a JSON object")
    return public_key_to_jwk(jwk_to_public_key(value))
