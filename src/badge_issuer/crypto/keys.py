"""Ed25519 keys as Multikey values, and the ``Signer`` interface a KMS or HSM can implement.

A Multikey public key is ``z`` + base58btc(``0xed 0x01`` ‖ 32-byte key), so it starts ``z6Mk``. A
secret key is ``z`` + base58btc(``0x80 0x26`` ‖ 32-byte seed); the OB implementation guide's vector
puts the 64-byte seed ‖ public key after the prefix, which we accept on import.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from badge_issuer.crypto.multibase import multibase_decode, multibase_encode
from badge_issuer.errors import InvalidKey, ParseError, SignatureInvalid

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


@runtime_checkable
class Signer(Protocol):
    """Signs bytes with a key it never reveals. ``verification_method`` is the key's URL."""

    @property
    def verification_method(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """A ``Signer`` over an in-process Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey, verification_method: str) -> None:
        self._key = private_key
        self._verification_method = verification_method

    @property
    def verification_method(self) -> str:
        return self._verification_method

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"Ed25519Signer({self._verification_method!r})"


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_multibase(public_key: bytes) -> str:
    """The Multikey ``publicKeyMultibase`` (``z6Mk…``) of a raw 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise InvalidKey(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
    return multibase_encode(ED25519_PUB_PREFIX + public_key, "base58btc")


def public_key_from_multibase(value: str) -> bytes:
    """The raw public key of a ``z6Mk…`` Multikey value; InvalidKey for any other key type."""
    try:
        decoded = multibase_decode(value)
    except ParseError as exc:
        raise InvalidKey(f"publicKeyMultibase is not valid multibase: {exc.message}") from None
    if not value.startswith("z") or decoded[:2] != ED25519_PUB_PREFIX or len(decoded) != 34:
        raise InvalidKey("publicKeyMultibase is not an Ed25519 Multikey (z6Mk…, 0xed01 prefix)")
    return decoded[2:]


def secret_key_multibase(private_key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase``: ``z`` + base58btc(0x8026 ‖ 32-byte seed)."""
    seed = private_key.private_bytes_raw()
    return multibase_encode(ED25519_PRIV_PREFIX + seed, "base58btc")


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    """Import a ``secretKeyMultibase`` (32-byte seed, or 64-byte seed ‖ public key)."""
    try:
        decoded = multibase_decode(value)
    except ParseError as exc:
        raise InvalidKey(f"secretKeyMultibase is not valid multibase: {exc.message}") from None
    body = decoded[2:]
    if decoded[:2] != ED25519_PRIV_PREFIX or len(body) not in (32, 64):
        raise InvalidKey("secretKeyMultibase is not an Ed25519 secret key (0x8026 prefix)")
    key = Ed25519PrivateKey.from_private_bytes(body[:32])
    if len(body) == 64 and raw_public_key(key.public_key()) != body[32:]:
        raise InvalidKey("secretKeyMultibase: the public half does not match the seed")
    return key


def verify_ed25519(public_key: bytes, signature: bytes, data: bytes) -> None:
    """Raise SignatureInvalid unless ``signature`` is a valid Ed25519 signature of ``data``."""
    if len(public_key) != 32:
        raise InvalidKey(f"an Ed25519 public key has 32 bytes, not {len(public_key)}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except InvalidSignature:
        raise SignatureInvalid("the signature does not verify with the verification method's key") from None
