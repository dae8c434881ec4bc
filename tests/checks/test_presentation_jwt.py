"""VP-JWT presentations: the holder's JWS must verify, be bound to a DID, and carry the expected
nonce (challenge) and audience (domain); the credentials inside get their own reports."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from badge_issuer.checks import VerifyOptions
from badge_issuer.errors import ParseError
from badge_issuer.formats.png import bake_png
from badge_issuer.formats.sniff import unwrap
from badge_issuer.formats.vcjwt import REGISTRY, encode_vc_jwt, public_key_to_jwk
from badge_issuer.jsonld.loader import VC_V2
from badge_issuer.verification import VerificationReport, verify_badge
from tests.badges import NOW, Issuer, badge, context
from tests.checks.test_presentation import ada_badge
from tests.test_verification import tiny_png


def vp_jwt(
    signer: Issuer,
    credentials: list[Any],
    *,
    header: dict[str, Any] | None = None,
    vcdm2: bool = False,
    **claims: Any,
) -> str:
    """A VP-JWT signed by ``signer`` (kid: its did:key URL unless ``header`` says otherwise)."""
    presentation = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": signer.did,
        "verifiableCredential": credentials,
    }
    payload: dict[str, Any] = {"iss": signer.did, "iat": int(NOW.timestamp())}
    payload.update(presentation if vcdm2 else {"vp": presentation})
    payload.update(claims)
    protected = header or {"alg": "EdDSA", "typ": "JWT", "kid": signer.signer.verification_method}
    key = OKPKey.import_key(signer.key)
    return jws.serialize_compact(protected, json.dumps(payload).encode(), key, registry=REGISTRY)


def verify(token: str, **options: Any) -> VerificationReport:
    return verify_badge(token, ctx=replace(context(), options=VerifyOptions(**options)))


def checks(report: VerificationReport) -> dict[str, Any]:
    return {check.id: check for check in report.checks}


@pytest.mark.parametrize("vcdm2", [False, True])
def test_a_vp_jwt_authenticates_its_holder(university: Issuer, ada: Issuer, vcdm2: bool) -> None:
    token = vp_jwt(ada, [ada_badge(university, ada)], vcdm2=vcdm2, nonce="n-1", aud="hr.example")

    report = verify(token, challenge="n-1", domain="hr.example", subject_is_holder=True)

    assert report.verified, report.to_json()
    assert checks(report)["format"].message.startswith("a VP-JWT holding 1 credential(s)")
    proof = checks(report)["presentation_proof"]
    assert proof.status == "passed" and proof.detail["proofs"][0]["proof"] == "VP-JWT"
    assert checks(report)["holder"].status == "passed"
    assert report.credentials[0].verified


def test_credentials_inside_may_be_vc_jwts(university: Issuer, ada: Issuer) -> None:
    unsigned = badge(university)
    unsigned["credentialSubject"] = {**unsigned["credentialSubject"], "id": ada.did}
    inner = encode_vc_jwt(unsigned, private_key=university.key, kid=university.signer.verification_method)
    report = verify(vp_jwt(ada, [inner], nonce="n-1"), challenge="n-1")
    assert report.verified, report.to_json()
    assert report.credentials[0].checks[0].status == "passed"
    assert report.credentials[0].checks[0].message.endswith("(VC 2.0, jwt)")


@pytest.mark.parametrize(
    ("claims", "options", "text"),
    [
        ({"nonce": "n-1"}, {"challenge": "n-2"}, "nonce"),
        ({}, {"challenge": "n-1"}, "nonce"),
        ({"nonce": "n-1", "aud": "other.example"}, {"challenge": "n-1", "domain": "hr.example"}, "aud"),
        ({"nonce": "n-1", "exp": int(NOW.timestamp()) - 3600}, {"challenge": "n-1"}, "expired"),
        ({"nonce": "n-1", "iss": "did:example:someone-else"}, {"challenge": "n-1"}, "iss"),
    ],
)
def test_a_vp_jwt_for_another_verifier_or_time_fails(
    university: Issuer, ada: Issuer, claims: dict[str, Any], options: dict[str, Any], text: str
) -> None:
    report = verify(vp_jwt(ada, [ada_badge(university, ada)], **claims), **options)
    proof = checks(report)["presentation_proof"]
    assert not report.verified
    assert proof.status == "failed" and text in proof.message, proof.message


def test_a_forged_vp_jwt_fails(university: Issuer, ada: Issuer) -> None:
    token = vp_jwt(ada, [ada_badge(university, ada)], nonce="n-1")
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    report = verify(forged, challenge="n-1")
    assert not report.verified and checks(report)["presentation_proof"].status == "failed"
    # signed by someone else, under Ada's name
    mallory = Issuer("Mallory")
    impostor = vp_jwt(
        mallory,
        [ada_badge(university, ada)],
        header={"alg": "EdDSA", "kid": ada.signer.verification_method},
        nonce="n-1",
        iss=ada.did,
    )
    report = verify(impostor, challenge="n-1")
    assert not report.verified and "signature" in checks(report)["presentation_proof"].message


def test_a_key_not_bound_to_a_did_authenticates_nobody(university: Issuer, ada: Issuer) -> None:
    jwk = public_key_to_jwk(ada.key.public_key())
    bare = vp_jwt(ada, [ada_badge(university, ada)], header={"alg": "EdDSA", "jwk": jwk}, iss=None)
    report = verify(bare)
    proof = checks(report)["presentation_proof"]
    assert not report.verified and proof.status == "failed" and "not bound to a DID" in proof.message
    # the same jwk, for the did:key iss it is the key of: bound
    bound = vp_jwt(ada, [ada_badge(university, ada)], header={"alg": "EdDSA", "jwk": jwk}, nonce="n-1")
    assert verify(bound, challenge="n-1").verified


def test_a_holder_other_than_the_signer_fails(university: Issuer, ada: Issuer) -> None:
    mallory = Issuer("Mallory")
    token = vp_jwt(mallory, [ada_badge(university, ada)], nonce="n-1")
    report = verify(token, challenge="n-1", subject_is_holder=True)
    assert not report.verified
    assert checks(report)["presentation_proof"].status == "passed"
    assert checks(report)["holder"].status == "failed"


def test_a_vp_jwt_is_not_accepted_inside_a_baked_image(university: Issuer, ada: Issuer) -> None:
    token = vp_jwt(ada, [ada_badge(university, ada)])
    with pytest.raises(ParseError, match="presentation"):
        unwrap(bake_png(tiny_png(), token))
