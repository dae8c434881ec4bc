"""JWKs and base64url for VC-JWT: public JWK ⇄ key for OKP/Ed25519, EC/P-256 and RSA (≥ 2048 bits).

A JWK holding private members (``d`` and the RSA CRT parts, or a symmetric ``k``) is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from badge_issuer.errors import InvalidKey, ParseError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048
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


def jwk_to_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """A public key from an OKP/Ed25519, EC/P-256 or RSA JWK; InvalidKey for anything else."""
    if not isinstance(jwk, Mapping):
        raise InvalidKey("a JWK must be a JSON object")
    private = sorted(PRIVATE_JWK_MEMBERS & set(jwk))
    if private:
        raise InvalidKey(f"the JWK holds private key members ({', '.join(private)}); refused")
    if jwk.get("use") not in (None, "sig"):
        raise InvalidKey(f"the JWK 'use' is {jwk.get('use')!r:.20}, not 'sig'")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x", 32))
        if kty == "EC" and crv == "P-256":
            x, y = (int.from_bytes(_member(jwk, name, 32), "big") for name in ("x", "y"))
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        if kty == "RSA":
            n = int.from_bytes(_member(jwk, "n"), "big")
            e = int.from_bytes(_member(jwk, "e"), "big")
            if n.bit_length() < MIN_RSA_BITS or e < 3 or e % 2 == 0:
                raise InvalidKey(f"RSA keys need n ≥ {MIN_RSA_BITS} bits and an odd e ≥ 3")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:  # not on the curve, bad RSA numbers
        raise InvalidKey(f"unusable JWK: {exc}") from exc
    raise InvalidKey(f"unsupported JWK kty/crv {kty!r:.20}/{crv!r:.20}")


def public_key_to_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519, P-256 or RSA key."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        x, y = (b64url_encode(v.to_bytes(32, "big")) for v in (numbers.x, numbers.y))
        return {"kty": "EC", "crv": "P-256", "x": x, "y": y}
    if isinstance(key, rsa.RSAPublicKey):
        n, e = key.public_numbers().n, key.public_numbers().e
        return {"kty": "RSA", "n": b64url_encode(_uint(n)), "e": b64url_encode(_uint(e))}
    raise InvalidKey("only Ed25519, P-256 and RSA keys have a JWK form here")


def _member(jwk: Mapping[str, Any], name: str, size: int | None = None) -> bytes:
    try:
        data = b64url_decode(jwk.get(name), f"JWK member {name!r}")
    except ParseError as exc:
        raise InvalidKey(exc.message) from exc
    if not data or (size is not None and len(data) != size):
        raise InvalidKey(f"JWK member {name!r} must be {size or 'at least 1'} bytes")
    return data


def _uint(value: int) -> bytes:
    """The minimal big-endian bytes of a non-negative integer (JWA Base64urlUInt)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")
