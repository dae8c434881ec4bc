"""VC-JWT keys: a did:key / did:jwk issuer is bound to its own key, as openbadgeslib's tokens need.

openbadgeslib (a Python OB 3.0 library) signs VC-JWTs with EdDSA, ES256 or RS256 and names the key
only by a ``jwk`` header; its issuers are did:key (or did:jwk) DIDs, which have no JWK set.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from badge_issuer.crypto.did_jwk import did_public_jwk
from badge_issuer.crypto.multibase import multibase_encode
from badge_issuer.errors import InvalidKey, ParseError
from badge_issuer.formats.vcjwt import PrivateKey, decode_vc_jwt, encode_vc_jwt, public_key_to_jwk
from badge_issuer.verification import verify_badge
from tests.badges import Issuer, badge, context

ALGS = ("EdDSA", "ES256", "RS256")


def new_key(alg: str) -> PrivateKey:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(65537, 2048)


def did_key_of(key: PrivateKey) -> str:
    """The did:key of a public key, encoded here by hand from the did:key spec's multicodec table."""
    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        prefix, data = (
            b"\xed\x01",
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        )
    elif isinstance(public, ec.EllipticCurvePublicKey):
        point = serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        prefix, data = b"\x80\x24", public.public_bytes(*point)
    else:
        prefix, data = (
            b"\x85\x24",
            public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1),
        )
    return "did:key:" + multibase_encode(prefix + data, "base58btc")


def did_jwk_of(key: PrivateKey) -> str:
    jwk = json.dumps(public_key_to_jwk(key.public_key()), separators=(",", ":")).encode()
    return "did:jwk:" + base64.urlsafe_b64encode(jwk).rstrip(b"=").decode()


def credential_of(did: str) -> dict[str, Any]:
    credential = badge(Issuer())
    credential["issuer"] = {"id": did, "type": ["Profile"], "name": "Example"}
    return credential


def statuses(report: Any) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


@pytest.mark.parametrize("did_of", [did_key_of, did_jwk_of], ids=["did:key", "did:jwk"])
@pytest.mark.parametrize("alg", ALGS)
def test_a_jwk_header_token_of_a_self_certifying_issuer_verifies(alg: str, did_of: Any) -> None:
    key = new_key(alg)
    token = encode_vc_jwt(
        credential_of(did_of(key)), private_key=key, jwk=public_key_to_jwk(key.public_key())
    )
    assert set(decode_vc_jwt(token).header) == {"alg", "typ", "jwk"}
    report = verify_badge(token, ctx=context())
    assert statuses(report)["proof"] == "passed", report.to_json()
    assert statuses(report)["issuer_key"] == "passed", report.to_json()
    assert report.verified, report.to_json()
    assert "itself" in next(c.message for c in report.checks if c.id == "issuer_key")


@pytest.mark.parametrize("did_of", [did_key_of, did_jwk_of], ids=["did:key", "did:jwk"])
@pytest.mark.parametrize("alg", ALGS)
def test_another_key_in_the_jwk_header_is_not_the_issuers(alg: str, did_of: Any) -> None:
    issuer_key, signing_key = new_key(alg), new_key(alg)
    credential = credential_of(did_of(issuer_key))
    token = encode_vc_jwt(
        credential, private_key=signing_key, jwk=public_key_to_jwk(signing_key.public_key())
    )
    report = verify_badge(token, ctx=context())
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer_key"] == "failed"
    assert not report.verified


@pytest.mark.parametrize("alg", ALGS)
def test_a_kid_that_is_a_did_url_of_the_issuer_binds_the_key(alg: str) -> None:
    key = new_key(alg)
    for did, fragment in (
        (did_key_of(key), did_key_of(key).removeprefix("did:key:")),
        (did_jwk_of(key), "0"),
    ):
        token = encode_vc_jwt(credential_of(did), private_key=key, kid=f"{did}#{fragment}")
        report = verify_badge(token, ctx=context())
        assert report.verified, report.to_json()
        wrong = encode_vc_jwt(credential_of(did), private_key=key, kid=f"{did}#other")
        assert statuses(verify_badge(wrong, ctx=context()))["proof"] == "failed"


def test_a_did_url_kid_of_another_did_key_does_not_belong_to_the_issuer() -> None:
    issuer_key, signing_key = new_key("ES256"), new_key("ES256")
    signer_did = did_key_of(signing_key)
    token = encode_vc_jwt(
        credential_of(did_key_of(issuer_key)),
        private_key=signing_key,
        kid=f"{signer_did}#{signer_did.removeprefix('did:key:')}",
    )
    report = verify_badge(token, ctx=context())
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer_key"] == "failed"


def test_a_token_without_sub_is_valid_when_the_subject_has_no_id() -> None:
    """OB 3.0 maps ``sub`` from credentialSubject.id; a subject known by identifier has no sub."""
    key = new_key("EdDSA")
    credential = credential_of(did_key_of(key))
    assert "id" not in credential["credentialSubject"]
    token = encode_vc_jwt(credential, private_key=key, jwk=public_key_to_jwk(key.public_key()))
    assert "sub" not in decode_vc_jwt(token).payload
    assert verify_badge(token, ctx=context()).verified
    credential["credentialSubject"]["id"] = "did:example:learner"
    with_subject = encode_vc_jwt(credential, private_key=key, jwk=public_key_to_jwk(key.public_key()))
    assert decode_vc_jwt(with_subject).payload["sub"] == "did:example:learner"
    assert verify_badge(with_subject, ctx=context()).verified


@pytest.mark.parametrize(
    ("did", "error"),
    [
        ("did:web:example.org", ParseError),
        ("did:key:z6Mk", InvalidKey),
        ("did:key:mABC", InvalidKey),
        ("did:jwk:bm90IGpzb24", InvalidKey),
        (
            "did:jwk:" + base64.urlsafe_b64encode(b'{"kty":"oct","k":"AAAA"}').rstrip(b"=").decode(),
            InvalidKey,
        ),
    ],
)
def test_malformed_self_certifying_dids_are_refused(did: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        did_public_jwk(did)
