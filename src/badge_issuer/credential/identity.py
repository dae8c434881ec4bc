"""Recipient identifiers: salted identity hashes and matching (OB 3.0 IdentityObject).

Hash format (OB IdentityHash): ``<alg>$<hex>`` with alg ``sha256`` or ``md5``. The hash is taken
over ``UTF8(identifier + salt)``, with the salt appended. Hex may be upper or lower case.

Email addresses: the service trims and lower-cases them before hashing at issue time. Matching
compares them case-insensitively after trimming. For hashes made by other issuers, the trimmed
candidate is tried both as given and lower-cased.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Literal

from badge_issuer.credential.vocab import EXT_VALUE, IDENTIFIER_TYPES
from badge_issuer.errors import Issue, ValidationFailed

EMAIL_ADDRESS = "emailAddress"
#: default and minimum salt size, in random bytes
SALT_BYTES = 16
HashAlgorithm = Literal["sha256", "md5"]

_IDENTITY_HASH = re.compile(r"(sha256|md5)\$([0-9A-Fa-f]+)")
_HEX_DIGITS = {"sha256": 64, "md5": 32}


def normalize_identifier(identifier: str, identity_type: str) -> str:
    """The form hashed at issue time: emails trimmed and lower-cased, other types unchanged."""
    if identity_type == EMAIL_ADDRESS:
        return identifier.strip().lower()
    return identifier


def _hex_digest(algorithm: str, text: str) -> str:
    data = text.encode("utf-8")
    if algorithm == "md5":
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    return hashlib.sha256(data).hexdigest()


def identity_hash(identifier: str, salt: str | None, *, algorithm: HashAlgorithm = "sha256") -> str:
    """``<alg>$`` + hex digest of ``UTF8(identifier + salt)``; no salt means the empty string."""
    return f"{algorithm}${_hex_digest(algorithm, identifier + (salt or ''))}"


def parse_identity_hash(value: str) -> tuple[str, str] | None:
    """``(algorithm, lower-case hex)`` of an IdentityHash, or None if malformed."""
    match = _IDENTITY_HASH.fullmatch(value)
    if match is None:
        return None
    algorithm, digest = match.group(1), match.group(2)
    if len(digest) != _HEX_DIGITS[algorithm]:
        return None
    return algorithm, digest.lower()


def new_salt(nbytes: int = SALT_BYTES, *, token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh random salt: ``nbytes`` (at least 16) random bytes as unpadded base64url text."""
    if nbytes < SALT_BYTES:
        raise ValueError(f"a salt needs at least {SALT_BYTES} random bytes")
    raw = token_bytes(nbytes)
    if len(raw) < nbytes:
        raise ValueError("the random source returned too few bytes")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def identity_object(
    identifier: str, identity_type: str = EMAIL_ADDRESS, *, salt: str | None
) -> dict[str, Any]:
    """A hashed IdentityObject (JSON) for ``identifier``; emails are normalised first."""
    issues: list[Issue] = []
    if identity_type not in IDENTIFIER_TYPES and EXT_VALUE.fullmatch(identity_type) is None:
        issues.append(Issue("/identityType", f"unknown identity type {identity_type!r}"))
    normalized = normalize_identifier(identifier, identity_type)
    if not normalized.strip():
        issues.append(Issue("/identityHash", "the identifier is empty"))
    if issues:
        raise ValidationFailed("cannot build an IdentityObject", issues)
    obj: dict[str, Any] = {
        "type": "IdentityObject",
        "identityHash": identity_hash(normalized, salt),
        "identityType": identity_type,
        "hashed": True,
    }
    if salt is not None:
        obj["salt"] = salt
    return obj


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def matches(identity_object: Mapping[str, Any], candidate: str, identity_type: str | None) -> bool:
    """Whether ``candidate`` is the identifier in ``identity_object`` (OB verify-identifier).

    An object whose ``identityType`` differs from ``identity_type`` (when given) does not match.
    Malformed objects, and unknown hash algorithms, never match.
    """
    stored_type = identity_object.get("identityType")
    stored = identity_object.get("identityHash")
    hashed = identity_object.get("hashed")
    if not isinstance(stored_type, str) or not isinstance(stored, str):
        return False
    if not isinstance(hashed, bool) or (identity_type is not None and stored_type != identity_type):
        return False
    is_email = stored_type == EMAIL_ADDRESS
    if not hashed:
        if is_email:
            return _same(stored.strip().lower(), candidate.strip().lower())
        return _same(stored, candidate)
    parsed = parse_identity_hash(stored)
    salt = identity_object.get("salt")
    if salt is None:  # "if this value is not provided, ... the hash was not salted"
        salt = ""
    if parsed is None or not isinstance(salt, str):
        return False
    algorithm, digest = parsed
    variants = [candidate]
    if is_email:
        variants = list(dict.fromkeys([candidate.strip(), candidate.strip().lower()]))
    found = False
    for variant in variants:  # no early exit: same work whichever variant matches
        found |= _same(_hex_digest(algorithm, variant + salt), digest)
    return found
