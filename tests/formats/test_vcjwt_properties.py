"""VC-JWT properties with real Ed25519 keys: what is signed decodes and verifies; nothing else does."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.errors import ParseError, ProofError, SignatureInvalid
from badge_issuer.formats.vcjwt import (
    REGISTERED_CLAIMS,
    decode_vc_jwt,
    encode_vc_jwt,
    public_key_to_jwk,
    verify_jws,
)
from tests.formats.test_vcjwt import CREDENTIAL, KID

B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

keys = st.binary(min_size=32, max_size=32).map(ed25519.Ed25519PrivateKey.from_private_bytes)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1), timezones=st.just(UTC))


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    credential = dict(CREDENTIAL)
    valid_from = draw(moments)
    credential["validFrom"] = valid_from.isoformat()
    if draw(st.booleans()):
        lasts = draw(st.timedeltas(timedelta(0), timedelta(days=3650)))
        credential["validUntil"] = (valid_from + lasts).isoformat()
    else:
        credential.pop("validUntil")
    credential["id"] = "urn:uuid:" + draw(st.uuids()).hex
    credential["name"] = draw(st.text(min_size=1, max_size=40))
    extra = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda k: k not in REGISTERED_CLAIMS | {"vc"}),
            json_values,
            max_size=4,
        )
    )
    return {**extra, **credential}


@given(credentials(), keys, st.booleans())
def test_what_is_signed_decodes_to_the_credential_and_verifies(
    credential: dict[str, Any], key: ed25519.Ed25519PrivateKey, with_jwk: bool
) -> None:
    public_jwk = public_key_to_jwk(key.public_key())
    token = encode_vc_jwt(credential, private_key=key, kid=KID, jwk=public_jwk if with_jwk else None)
    parts = decode_vc_jwt(token)
    assert parts.credential == credential and not parts.vc_claim
    assert parts.header["alg"] == "EdDSA" and parts.header["kid"] == KID
    assert parts.payload["iss"] == credential["issuer"]["id"]
    assert parts.payload["jti"] == credential["id"]
    assert parts.payload["nbf"] == math.floor(datetime.fromisoformat(credential["validFrom"]).timestamp())
    assert ("exp" in parts.payload) == ("validUntil" in credential)
    verify_jws(parts, key.public_key())
    verify_jws(parts, public_jwk)


@given(credentials(), keys, keys)
def test_another_key_does_not_verify(
    credential: dict[str, Any], key: ed25519.Ed25519PrivateKey, other: ed25519.Ed25519PrivateKey
) -> None:
    parts = decode_vc_jwt(encode_vc_jwt(credential, private_key=key, kid=KID))
    if other.public_key() == key.public_key():
        return
    with pytest.raises(SignatureInvalid):
        verify_jws(parts, other.public_key())


@given(credentials(), keys, st.data())
def test_any_changed_character_is_refused(
    credential: dict[str, Any], key: ed25519.Ed25519PrivateKey, draw: st.DataObject
) -> None:
    """Canonical base64url and the signature leave no character of the token free to change."""
    token = encode_vc_jwt(credential, private_key=key, kid=KID)
    # the last character of a segment may carry spare bits: it is drawn as often as all the others
    ends = [i - 1 for i, char in enumerate(token) if char == "."] + [len(token) - 1]
    anywhere = st.integers(0, len(token) - 1).filter(lambda i: token[i] != ".")
    at = draw.draw(st.sampled_from(ends) | anywhere)
    for other in B64URL_ALPHABET.replace(token[at], ""):
        tampered = token[:at] + other + token[at + 1 :]
        with pytest.raises((ParseError, ProofError, SignatureInvalid)):
            verify_jws(decode_vc_jwt(tampered), key.public_key())
