"""JWKs for VC-JWT, through joserfc: public JWK ⇄ key for OKP/Ed25519, EC/P-256 and RSA (≥ 2048 bits).

joserfc parses and checks the key material (points on the curve, RSA numbers); this module adds our
policy on top: only those three key types, never a JWK holding private members (``d`` and the RSA
CRT parts, or a symmetric ``k``), ``use`` absent or ``sig``, and RSA keys of at least 2048 bits.
base64url here is the strict, unpadded, canonical form the compact JWS segments must use.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from badge_issuer.errors import InvalidKey, ParseError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
JoseKey = OKPKey | ECKey | RSAKey

PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048
#: the members that carry a public key's material, per key type
PUBLIC_MEMBERS = {"OKP": ("kty", "crv", "x"), "EC": ("kty", "crv", "x", "y"), "RSA": ("kty", "n", "e")}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: object, what: str) -> bytes:
    """Strict unpadded base64url (canonical trailing bits); ParseError otherwise."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ParseError(f"{what} is not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"{what} is not unpadded base64url") from exc
    if b64url_encode(data) != text:
        raise ParseError(f"{what} is not canonical base64url")
    return data


def import_public_jwk(jwk: Mapping[str, Any]) -> JoseKey:
    """A joserfc public key from an OKP/Ed25519, EC/P-256 or RSA JWK; InvalidKey for anything else."""
    if not isinstance(jwk, Mapping):
        raise InvalidKey("a JWK must be a JSON object")
    private = sorted(PRIVATE_JWK_MEMBERS & set(jwk))
    if private:
        raise InvalidKey(f"the JWK holds private key members ({', '.join(private)}); refused")
    if jwk.get("use") not in (None, "sig"):
        raise InvalidKey(f"the JWK 'use' is {jwk.get('use')!r:.20}, not 'sig'")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    kinds: dict[tuple[Any, Any], type[JoseKey]] = {
        ("OKP", "Ed25519"): OKPKey,
        ("EC", "P-256"): ECKey,
        ("RSA", crv): RSAKey,
    }
    kind = kinds.get((kty, crv))
    if kind is None:
        raise InvalidKey(f"unsupported JWK kty/crv {kty!r:.20}/{crv!r:.20}")
    members = {name: jwk.get(name) for name in PUBLIC_MEMBERS[str(kty)]}
    for name, value in members.items():
        if name in ("kty", "crv"):
            continue
        try:
            data = b64url_decode(value, f"JWK member {name!r}")
        except ParseError as exc:
            raise InvalidKey(exc.message) from None
        size = 32 if kty in ("OKP", "EC") else None
        if not data or (size is not None and len(data) != size):
            raise InvalidKey(f"JWK member {name!r} must be {size or 'at least 1'} bytes")
    if kty == "RSA":
        modulus, exponent = (int.from_bytes(b64url_decode(members[name], name), "big") for name in ("n", "e"))
        _check_rsa(modulus.bit_length(), exponent)
    try:
        key = kind.import_key(members)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:  # not on the curve, bad RSA numbers, bad length
        raise InvalidKey(f"unusable JWK: {exc}") from None
    return key


def _check_rsa(bits: int, exponent: int) -> None:
    """Before joserfc sees the key: it only warns about short RSA keys; we refuse them."""
    if bits < MIN_RSA_BITS or exponent < 3 or exponent % 2 == 0:
        raise InvalidKey(f"RSA keys need n ≥ {MIN_RSA_BITS} bits and an odd e ≥ 3")


def jwk_to_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The public key (a ``cryptography`` object) of an accepted JWK; InvalidKey otherwise."""
    public = import_public_jwk(jwk).public_key
    if not isinstance(public, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise InvalidKey("unsupported JWK key type")
    return public


def public_key_to_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK (key material only) of an Ed25519, P-256 or RSA key."""
    exported: Mapping[str, Any]
    if isinstance(key, ed25519.Ed25519PublicKey):
        exported = OKPKey.import_key(key).as_dict(private=False)
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        exported = ECKey.import_key(key).as_dict(private=False)
    elif isinstance(key, rsa.RSAPublicKey):
        _check_rsa(key.key_size, key.public_numbers().e)
        exported = RSAKey.import_key(key).as_dict(private=False)
    else:
        raise InvalidKey("only Ed25519, P-256 and RSA keys have a JWK form here")
    return {name: str(exported[name]) for name in PUBLIC_MEMBERS[str(exported["kty"])]}
