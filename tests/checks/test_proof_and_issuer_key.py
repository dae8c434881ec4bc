"""proof and issuer_key: our suites, other implementations' vectors, and VC-JWT with each algorithm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from badge_issuer.checks import CheckResult, Envelope, Subject
from badge_issuer.checks.issuer_key import issuer_key_check
from badge_issuer.checks.proof import proof_check
from badge_issuer.formats.vcjwt import decode_vc_jwt, encode_vc_jwt, public_key_to_jwk
from tests.badges import Documents, Issuer, badge, context

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "di"
ISSUER_URL = "https://issuer.example.org/issuers/1"
JWKS_URL = "https://issuer.example.org/.well-known/jwks.json"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def run(
    credential: Any, documents: Documents | None = None, jwt: str | None = None
) -> tuple[CheckResult, CheckResult]:
    envelope = Envelope("json") if jwt is None else Envelope("jwt", decode_vc_jwt(jwt))
    subject = Subject(credential if jwt is None else envelope.jwt.credential, envelope)  # type: ignore[union-attr]
    ctx = context(documents=documents)
    return proof_check(subject, ctx), issuer_key_check(subject, ctx)


@pytest.mark.parametrize(
    "path",
    [
        "w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json",
        "w3c-vc-di-eddsa/eddsa-jcs-2022/signedJCS.json",
        "w3c-vc-di-eddsa/Ed25519Signature2020/signedEdSig.json",
    ],
)
def test_w3c_vectors_pass_proof_and_issuer_key_says_who_controls_the_key(path: str) -> None:
    signed = _json(VECTORS / path)
    proof, issuer_key = run(signed)
    assert proof.status == "passed", proof.message
    assert issuer_key.status == "failed"
    assert "does not belong to the issuer" in issuer_key.message
    assert "https://vc.example/issuers/5678" in issuer_key.message


def test_w3c_proof_set_reports_each_proof() -> None:
    signed = _json(VECTORS / "w3c-vc-di-eddsa/proof-set-chain/signedProofSet2.json")
    proof, _ = run(signed)
    assert proof.status == "passed"
    assert len(proof.detail["proofs"]) == 2
    assert proof.message.startswith("2 of 2 proofs verify")


@pytest.mark.parametrize("folder", ["obv3p0-eddsa-rdfc-2022", "clrv2p0-eddsa-rdfc-2022"])
def test_1edtech_vectors_pass_proof_and_issuer_key_reports_the_unreachable_key(folder: str) -> None:
    signed = _json(VECTORS / folder / "vector.json")["signed_credential"]
    proof, issuer_key = run(signed)
    assert proof.status == "passed", proof.message
    assert "key read from the key id" in proof.message
    assert issuer_key.status == "failed"
    assert "could not confirm who controls https://example.edu/issuers/565049#z6Mk" in issuer_key.message


def test_1edtech_vector_with_its_key_document_available_passes_issuer_key() -> None:
    vector = _json(VECTORS / "obv3p0-eddsa-rdfc-2022" / "vector.json")
    key = vector["multikey"]
    controller = {
        "id": key["controller"],
        "verificationMethod": [
            {
                "id": key["id"],
                "type": "Multikey",
                "controller": key["controller"],
                "publicKeyMultibase": key["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [key["id"]],
    }
    ctx = context(controllers={key["controller"]: controller})
    subject = Subject(vector["signed_credential"], Envelope("json"))
    assert proof_check(subject, ctx).status == "passed"
    assert issuer_key_check(subject, ctx).status == "passed"


def test_unsigned_credential_fails_proof_and_skips_issuer_key() -> None:
    issuer = Issuer()
    proof, issuer_key = run(badge(issuer))
    assert proof.status == "failed"
    assert "not signed" in proof.message
    assert issuer_key.status == "skipped"


def test_a_bad_proof_next_to_a_good_one_is_reported_but_one_suffices() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    broken = dict(signed["proof"], proofValue="z" + "1" * 80)
    signed["proof"] = [broken, signed["proof"]]
    proof, _ = run(signed)
    assert proof.status == "passed"
    assert [p["valid"] for p in proof.detail["proofs"]] == [False, True]


# -- VC-JWT ------------------------------------------------------------------------------------------


def test_vc_jwt_eddsa_with_did_key_kid() -> None:
    issuer = Issuer()
    token = encode_vc_jwt(badge(issuer), private_key=issuer.key, kid=issuer.signer.verification_method)
    proof, issuer_key = run(None, jwt=token)
    assert proof.status == "passed", proof.message
    assert issuer_key.status == "passed", issuer_key.message


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_vc_jwt_with_the_issuers_jwks(alg: str) -> None:
    key: Any = (
        ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else rsa.generate_private_key(65537, 2048)
    )
    jwk = {**public_key_to_jwk(key.public_key()), "kid": "key-1"}
    credential = badge(Issuer())
    credential["issuer"] = {"id": ISSUER_URL, "type": ["Profile"], "name": "Example"}
    token = encode_vc_jwt(credential, private_key=key, kid="key-1")
    proof, issuer_key = run(None, Documents({JWKS_URL: {"keys": [jwk]}}), jwt=token)
    assert proof.status == "passed", proof.message
    assert alg in proof.message
    assert issuer_key.status == "passed", issuer_key.message

    # the same token, but the issuer's JWK set lists only another key
    other = public_key_to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    header_jwk_token = encode_vc_jwt(credential, private_key=key, jwk=public_key_to_jwk(key.public_key()))
    proof, issuer_key = run(None, Documents({JWKS_URL: {"keys": [other]}}), jwt=header_jwk_token)
    assert proof.status == "passed"
    assert issuer_key.status == "failed"
    assert "not in the issuer's JWK set" in issuer_key.message


def test_vc_jwt_claims_must_match_the_credential() -> None:
    issuer = Issuer()
    token = encode_vc_jwt(badge(issuer), private_key=issuer.key, kid=issuer.signer.verification_method)
    parts = decode_vc_jwt(token)
    tampered = dict(parts.credential, id="urn:uuid:00000000-0000-4000-8000-000000000000")
    envelope = Envelope("jwt", parts)
    result = proof_check(Subject(tampered, envelope), context())
    assert result.status == "failed"
    assert "jti" in result.message


def test_vc_jwt_signed_by_another_key_fails() -> None:
    issuer, other = Issuer(), Issuer()
    token = encode_vc_jwt(badge(issuer), private_key=other.key, kid=issuer.signer.verification_method)
    proof, _ = run(None, jwt=token)
    assert proof.status == "failed"
    assert "does not verify" in proof.message
