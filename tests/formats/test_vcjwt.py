"""VC-JWT: signing and verifying with each algorithm, refusals, JWKs and claim consistency."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from badge_issuer.errors import (
    InvalidKey,
    ParseError,
    PayloadTooLarge,
    ProofError,
    SignatureInvalid,
    ValidationFailed,
)
from badge_issuer.formats.jwk import b64url_decode
from badge_issuer.formats.vcjwt import (
    JwtParts,
    PrivateKey,
    check_claims,
    check_header,
    decode_vc_jwt,
    encode_vc_jwt,
    jwk_to_public_key,
    public_key_to_jwk,
    verify_jws,
)

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:a63a60be-f4af-491c-87fc-2c8fd3007a58",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Teamwork Badge",
    "issuer": {"id": "https://example.com/issuers/876543", "type": ["Profile"], "name": "Ex"},
    "validFrom": "2010-01-01T00:00:00Z",
    "validUntil": "2030-01-01T00:00:00+01:00",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {"id": "https://example.com/achievements/21", "name": "Ünïcode ✓"},
    },
}
KID = "https://example.com/issuers/876543#key-1"
# RFC 7515 Appendix A.3: ES256 JWS and its public key (r‖s signature form)
RFC7515_A3 = (
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
    "LmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSAp"
    "mWQxfKTUJqPP3-Kg6NU1Q"
)
RFC7515_A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
# RFC 8037 Appendix A.4: Ed25519 JWS over the text "Example of Ed25519 signing"
RFC8037_A4 = (
    "eyJhbGciOiJFZERTQSJ9",
    "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
)
RFC8037_A4_JWK = {
    "kty": "OKP",
    "crv": "Ed25519",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def segment(data: Mapping[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"sig") -> str:
    return f"{segment(header)}.{segment(payload)}.{segment(signature)}"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_sign_and_verify_each_alg(keys: dict[str, PrivateKey], alg: str) -> None:
    key = keys[alg]
    token = encode_vc_jwt(CREDENTIAL, private_key=key, kid=KID)
    parts = decode_vc_jwt(token)
    assert parts.header == {"alg": alg, "typ": "JWT", "kid": KID}
    assert parts.credential == CREDENTIAL and parts.vc_claim is False
    assert {k: parts.payload[k] for k in ("iss", "jti", "nbf", "sub", "exp")} == {
        "iss": "https://example.com/issuers/876543",
        "jti": "urn:uuid:a63a60be-f4af-491c-87fc-2c8fd3007a58",
        "nbf": 1262304000,
        "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "exp": 1893452400,
    }
    verify_jws(parts, key.public_key())
    verify_jws(parts, public_key_to_jwk(key.public_key()))
    assert check_claims(parts.payload, parts.credential) == []
    assert check_header(parts.header) == []


def test_es256_signature_is_raw_r_and_s(keys: dict[str, PrivateKey]) -> None:
    key = keys["ES256"]
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    parts = decode_vc_jwt(encode_vc_jwt(CREDENTIAL, private_key=key, kid=KID))
    assert len(parts.signature) == 64
    r, s = int.from_bytes(parts.signature[:32], "big"), int.from_bytes(parts.signature[32:], "big")
    der = encode_dss_signature(r, s)
    key.public_key().verify(der, parts.signing_input, ec.ECDSA(hashes.SHA256()))


def test_rfc7515_es256_example_verifies() -> None:
    parts = decode_vc_jwt(RFC7515_A3)
    assert parts.payload["iss"] == "joe"
    verify_jws(parts, RFC7515_A3_JWK)


def test_rfc8037_ed25519_example_verifies() -> None:
    header, payload, signature = RFC8037_A4
    parts = JwtParts(
        ".".join(RFC8037_A4),
        {"alg": "EdDSA"},
        {},
        f"{header}.{payload}".encode(),
        b64url_decode(signature, "signature"),
        {},
        False,
    )
    verify_jws(parts, RFC8037_A4_JWK)
    with pytest.raises(SignatureInvalid):
        verify_jws(parts, public_key_to_jwk(ed25519.Ed25519PrivateKey.generate().public_key()))


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_tampered_payload_fails(keys: dict[str, PrivateKey], alg: str) -> None:
    token = encode_vc_jwt(CREDENTIAL, private_key=keys[alg], kid=KID)
    header, _, signature = token.split(".")
    payload = {**decode_vc_jwt(token).payload, "name": "Forged"}
    public = keys[alg].public_key()
    with pytest.raises(SignatureInvalid):
        verify_jws(decode_vc_jwt(f"{header}.{segment(payload)}.{signature}"), public)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_wrong_key_fails(keys: dict[str, PrivateKey], alg: str) -> None:
    other: dict[str, PrivateKey] = {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    parts = decode_vc_jwt(encode_vc_jwt(CREDENTIAL, private_key=keys[alg], kid=KID))
    with pytest.raises(SignatureInvalid):
        verify_jws(parts, other[alg].public_key())


def test_es256_signature_of_the_wrong_length(keys: dict[str, PrivateKey]) -> None:
    token = forge({"alg": "ES256", "kid": KID}, CREDENTIAL, b"\x01" * 72)
    with pytest.raises(SignatureInvalid, match="64 bytes"):
        verify_jws(decode_vc_jwt(token), keys["ES256"].public_key())


@pytest.mark.parametrize(
    "alg", ["none", "None", "HS256", "RS512", "PS256", "ES384", "", None, 7, ["EdDSA"], {}]
)
def test_refused_algorithms(keys: dict[str, PrivateKey], alg: object) -> None:
    token = forge({"alg": alg, "kid": KID}, CREDENTIAL)
    with pytest.raises(ProofError, match="not accepted"):
        verify_jws(decode_vc_jwt(token), keys["RS256"].public_key())


def test_alg_none_with_an_empty_signature_is_not_even_a_jws() -> None:
    token = f"{segment({'alg': 'none'})}.{segment(CREDENTIAL)}."
    with pytest.raises(ParseError):
        decode_vc_jwt(token)


def test_alg_must_fit_the_key_type(keys: dict[str, PrivateKey]) -> None:
    """An RSA public key must never be used as an HMAC secret or for another algorithm."""
    rsa_token = encode_vc_jwt(CREDENTIAL, private_key=keys["RS256"], kid=KID)
    with pytest.raises(ProofError, match="does not fit"):
        verify_jws(decode_vc_jwt(rsa_token), keys["EdDSA"].public_key())
    with pytest.raises(ProofError, match="is for alg"):
        verify_jws(
            decode_vc_jwt(rsa_token),
            public_key_to_jwk(keys["RS256"].public_key()) | {"alg": "PS256"},
        )
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    es_token = encode_vc_jwt(CREDENTIAL, private_key=keys["ES256"], kid=KID)
    with pytest.raises(ProofError, match="P-256"):
        verify_jws(decode_vc_jwt(es_token), p384)


def test_crit_headers_are_refused(keys: dict[str, PrivateKey]) -> None:
    token = forge({"alg": "EdDSA", "kid": KID, "crit": ["b64"], "b64": False}, CREDENTIAL)
    with pytest.raises(ProofError, match="crit"):
        verify_jws(decode_vc_jwt(token), keys["EdDSA"].public_key())


def test_jwk_header_is_written_and_must_match_the_key(keys: dict[str, PrivateKey]) -> None:
    jwk = public_key_to_jwk(keys["EdDSA"].public_key())
    parts = decode_vc_jwt(encode_vc_jwt(CREDENTIAL, private_key=keys["EdDSA"], jwk=jwk))
    assert parts.header == {"alg": "EdDSA", "typ": "JWT", "jwk": jwk}
    verify_jws(parts, parts.header["jwk"])
    with pytest.raises(InvalidKey, match="not the public key"):
        encode_vc_jwt(CREDENTIAL, private_key=keys["ES256"], jwk=jwk)
    with pytest.raises(InvalidKey, match="private"):
        encode_vc_jwt(CREDENTIAL, private_key=keys["EdDSA"], jwk=jwk | {"d": "AAAA"})
    with pytest.raises(ProofError, match="kid or a jwk"):
        encode_vc_jwt(CREDENTIAL, private_key=keys["EdDSA"])


def test_unsupported_signing_keys() -> None:
    with pytest.raises(InvalidKey):
        encode_vc_jwt(CREDENTIAL, private_key=ec.generate_private_key(ec.SECP384R1()), kid=KID)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidKey):
        encode_vc_jwt(CREDENTIAL, private_key=small, kid=KID)


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"validFrom": None}, "/validFrom"),
        ({"validFrom": "2010-01-01T00:00:00"}, "/validFrom"),
        ({"validFrom": "2010-01-01"}, "/validFrom"),
        ({"validUntil": "soon"}, "/validUntil"),
        ({"id": None}, "/id"),
        ({"issuer": {"type": ["Profile"]}}, "/issuer/id"),
    ],
)
def test_encode_needs_the_claim_sources(
    keys: dict[str, PrivateKey], change: dict[str, Any], pointer: str
) -> None:
    credential = {k: v for k, v in (CREDENTIAL | change).items() if v is not None}
    with pytest.raises(ValidationFailed) as caught:
        encode_vc_jwt(credential, private_key=keys["EdDSA"], kid=KID)
    assert caught.value.pointer == pointer


def test_optional_claims_are_left_out(keys: dict[str, PrivateKey]) -> None:
    credential = {k: v for k, v in CREDENTIAL.items() if k != "validUntil"}
    credential["issuer"] = "https://example.com/issuers/876543"
    credential["credentialSubject"] = {"type": ["AchievementSubject"], "identifier": []}
    payload = decode_vc_jwt(encode_vc_jwt(credential, private_key=keys["EdDSA"], kid=KID)).payload
    assert "sub" not in payload and "exp" not in payload
    assert payload["iss"] == "https://example.com/issuers/876543"


# JWKs


def test_jwk_round_trips(keys: dict[str, PrivateKey]) -> None:
    for key in keys.values():
        jwk = public_key_to_jwk(key.public_key())
        assert "d" not in jwk
        assert public_key_to_jwk(jwk_to_public_key(jwk)) == jwk


@pytest.mark.parametrize("member", ["d", "p", "k"])
def test_jwk_with_private_members_is_refused(keys: dict[str, PrivateKey], member: str) -> None:
    jwk = public_key_to_jwk(keys["RS256"].public_key()) | {member: "AQAB"}
    with pytest.raises(InvalidKey, match="private"):
        jwk_to_public_key(jwk)
    parts = decode_vc_jwt(encode_vc_jwt(CREDENTIAL, private_key=keys["RS256"], kid=KID))
    with pytest.raises(InvalidKey):
        verify_jws(parts, jwk)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "OKP", "crv": "Ed448", "x": "A" * 76},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
        {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
        RFC7515_A3_JWK | {"y": RFC7515_A3_JWK["x"]},  # not on the curve
        RFC7515_A3_JWK | {"use": "enc"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},  # far too small
        {"kty": "RSA", "e": "AQAB"},
        "not a mapping",
    ],
)
def test_unusable_jwks_are_refused(jwk: Any) -> None:
    with pytest.raises(InvalidKey):
        jwk_to_public_key(jwk)


def test_small_rsa_keys_are_refused_for_verification() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    token = forge({"alg": "RS256", "kid": KID}, CREDENTIAL)
    with pytest.raises(InvalidKey):
        verify_jws(decode_vc_jwt(token), small.public_key())


# decoding


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abc", "compact JWS"),
        ("a.b", "compact JWS"),
        ("a.b.c.d", "compact JWS"),
        ("a.b.c.d.e", "JWE"),
        (f"{segment({'alg': 'EdDSA'})}=.{segment(CREDENTIAL)}.{segment(b's')}", "compact JWS"),
        (f"{segment(b'not json')}.{segment(CREDENTIAL)}.{segment(b's')}", "not valid JSON"),
        (f"{segment({'alg': 'EdDSA'})}.{segment(b'[1]')}.{segment(b's')}", "not a JSON object"),
        (f"{segment({'alg': 'EdDSA'})}.{segment({'vc': 'x'})}.{segment(b's')}", "'vc' claim"),
        (f"{segment({'alg': 'EdDSA'})}.{segment(CREDENTIAL)}.A", "base64url"),
        (f"{segment({'alg': 'EdDSA'})}.{segment(CREDENTIAL)}.AB", "canonical"),
        (f"{segment({'a': 1, 'b': 2})[:-2]}.{segment(CREDENTIAL)}.AA", "JSON"),
    ],
)
def test_malformed_tokens(token: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        decode_vc_jwt(token)


def test_duplicate_claims_are_refused() -> None:
    payload = b'{"iss":"https://a.test","iss":"https://b.test"}'
    with pytest.raises(ParseError, match="duplicate"):
        decode_vc_jwt(f"{segment({'alg': 'EdDSA'})}.{segment(payload)}.{segment(b's')}")


def test_bounds() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_vc_jwt("a" * 2000 + ".b.c", max_chars=1000)
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PayloadTooLarge):
        decode_vc_jwt(f"{segment({'alg': 'EdDSA'})}.{segment(deep)}.{segment(b's')}")


def test_white_space_around_the_token_is_ignored(keys: dict[str, PrivateKey]) -> None:
    token = encode_vc_jwt(CREDENTIAL, private_key=keys["EdDSA"], kid=KID)
    assert decode_vc_jwt(f"\n {token}\r\n").token == token


def test_vcdm_1_1_vc_claim(keys: dict[str, PrivateKey]) -> None:
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "http://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu/issuers/565049"},
        "issuanceDate": "2010-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    }
    payload = {
        "vc": credential,
        "iss": "https://example.edu/issuers/565049",
        "nbf": 1262304000,
        "jti": "http://example.edu/credentials/3732",
        "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
    }
    header = {"alg": "RS256", "typ": "JWT"}
    signing_input = f"{segment(header)}.{segment(payload)}"
    key = keys["RS256"]
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    parts = decode_vc_jwt(f"{signing_input}.{segment(signature)}")
    assert parts.vc_claim and parts.credential == credential
    verify_jws(parts, key.public_key())
    assert check_claims(parts.payload, parts.credential) == []
    assert check_header(parts.header) == ["the JOSE header has neither a kid nor a jwk"]


# claim consistency


def test_each_mismatch_is_reported() -> None:
    payload = {
        "iss": "https://evil.test/issuer",
        "jti": "urn:uuid:other",
        "nbf": 1262304001,
        "sub": "did:example:someone-else",
        "exp": 1,
    }
    problems = check_claims(payload, CREDENTIAL)
    assert len(problems) == 5
    for claim, name in [
        ("iss", "issuer.id"),
        ("jti", "id"),
        ("nbf", "validFrom"),
        ("sub", "credentialSubject.id"),
        ("exp", "validUntil"),
    ]:
        assert any(p.startswith(claim) and name in p for p in problems), (claim, problems)


def test_missing_claims_are_reported() -> None:
    problems = check_claims({}, CREDENTIAL)
    assert len(problems) == 5 and all("missing" in p for p in problems)


def test_claims_that_are_not_numeric_dates() -> None:
    good = {"iss": CREDENTIAL["issuer"]["id"], "jti": CREDENTIAL["id"]}
    good |= {"sub": CREDENTIAL["credentialSubject"]["id"], "exp": 1893452400}
    assert check_claims(good | {"nbf": 1262304000.9}, CREDENTIAL) == []
    assert "NumericDate" in check_claims(good | {"nbf": "1262304000"}, CREDENTIAL)[0]
    assert "NumericDate" in check_claims(good | {"nbf": True}, CREDENTIAL)[0]
    undated = CREDENTIAL | {"validFrom": "yesterday"}
    assert "time zone" in check_claims(good | {"nbf": 0}, undated)[0]


def test_exp_without_valid_until_is_not_a_mismatch() -> None:
    credential = {k: v for k, v in CREDENTIAL.items() if k != "validUntil"}
    payload = {
        "iss": "https://example.com/issuers/876543",
        "jti": credential["id"],
        "nbf": 1262304000,
        "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "exp": 1893452400,
    }
    assert check_claims(payload, credential) == []


def test_vc_claim_must_agree_with_the_context_version() -> None:
    payload = {
        "vc": CREDENTIAL,
        "iss": "https://example.com/issuers/876543",
        "jti": CREDENTIAL["id"],
        "nbf": 1262304000,
        "sub": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "exp": 1893452400,
    }
    (problem,) = check_claims(payload, CREDENTIAL)
    assert "VCDM 2.0" in problem


def test_header_problems() -> None:
    problems = check_header({"alg": "EdDSA", "typ": "vc+jwt", "x5c": [], "jwk": {"d": "x"}})
    assert problems == [
        "JOSE header parameters not allowed by OB 3.0: x5c",
        "the JOSE header typ is 'vc+jwt', not 'JWT'",
        "the JOSE header jwk contains private key members",
    ]


def test_lifetime_of_the_envelope_is_checked_against_the_clock() -> None:
    from datetime import UTC, datetime, timedelta

    from badge_issuer.formats.vcjwt import check_lifetime

    now = datetime(2026, 3, 1, tzinfo=UTC)
    skew = timedelta(minutes=5)
    moment = int(now.timestamp())
    assert check_lifetime({"exp": moment + 10, "nbf": moment - 10}, now, skew) == []
    assert check_lifetime({"exp": moment - 200}, now, skew) == []  # within the skew
    assert "expired" in check_lifetime({"exp": moment - 400}, now, skew)[0]
    assert "not valid before" in check_lifetime({"nbf": moment + 400}, now, skew)[0]
    assert "not a NumericDate" in check_lifetime({"exp": "tomorrow"}, now, skew)[0]
    assert "out of range" in check_lifetime({"exp": 1e300}, now, skew)[0]
