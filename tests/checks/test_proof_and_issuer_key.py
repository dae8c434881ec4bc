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
from badge_issuer.verification import verify_badge
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
def test_1edtech_vectors_warn_on_proof_and_issuer_key_reports_the_unreachable_key(folder: str) -> None:
    """Regression (#8): a key read from the key id's fragment is not a bare "passed"."""
    signed = _json(VECTORS / folder / "vector.json")["signed_credential"]
    proof, issuer_key = run(signed)
    assert proof.status == "warning", proof.message
    assert "key read from the key id" in proof.message
    assert "not established that https://example.edu/issuers/565049 lists this key for assertionMethod" in (
        proof.message
    )
    assert proof.detail["proofs"][0]["keyConfirmed"] is False
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


def _second_proof(signed: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    return {**signed, "proof": [signed["proof"], proof]}


def _garbage(issuer: Issuer, signed: dict[str, Any]) -> dict[str, Any]:
    return dict(signed["proof"], proofValue="z" + "1" * 80)


def _signed_by_another_key(issuer: Issuer, signed: dict[str, Any]) -> dict[str, Any]:
    """A second proof naming the issuer's key, made by someone else's key."""
    other = Issuer()
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    return dict(signed["proof"], proofValue=other.sign(unsigned, "eddsa-jcs-2022")["proof"]["proofValue"])


def _by_a_stranger(issuer: Issuer, signed: dict[str, Any]) -> dict[str, Any]:
    """A valid second proof by a key that is not the issuer's."""
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    proof: dict[str, Any] = Issuer("Stranger").sign(unsigned)["proof"]
    return proof


def _wrong_purpose(issuer: Issuer, signed: dict[str, Any]) -> dict[str, Any]:
    return dict(signed["proof"], proofPurpose="authentication")


@pytest.mark.parametrize("second", [_garbage, _signed_by_another_key, _wrong_purpose])
def test_a_proof_set_verifies_only_when_every_proof_does(second: Any) -> None:
    """Regression (#8): "1 of 2 proofs verify" was reported as passed (verified: true)."""
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    presented = _second_proof(signed, second(issuer, signed))
    proof, _ = run(presented)
    assert proof.status == "failed", proof.message
    assert proof.message.startswith("1 of 2 proofs verify, and every proof must")
    assert [p["valid"] for p in proof.detail["proofs"]] == [True, False]
    assert [p["proof"] for p in proof.detail["proofs"]] == ["/proof/0", "/proof/1"]
    assert verify_badge(presented, ctx=context()).verified is False


def test_a_valid_second_proof_by_a_stranger_is_reported_and_fails_issuer_key() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    proof, issuer_key = run(_second_proof(signed, _by_a_stranger(issuer, signed)))
    assert proof.status == "passed", proof.message
    assert proof.message.startswith("2 of 2 proofs verify")
    assert issuer_key.status == "failed"
    assert "does not belong to the issuer" in issuer_key.message
    assert [k["belongsToIssuer"] for k in issuer_key.detail["keys"]] == [True, False]


def test_two_valid_proofs_by_the_issuer_pass() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    twice = issuer.sign(signed, "eddsa-jcs-2022")
    proof, issuer_key = run(twice)
    assert proof.status == "passed", proof.message
    assert issuer_key.status == "passed", issuer_key.message


def test_a_proof_chain_breaks_at_a_link_that_does_not_verify() -> None:
    """Regression (#8): each link of a previousProof chain must verify, and the report says where."""
    from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
    from badge_issuer.crypto.keys import Ed25519Signer, public_key_multibase, raw_public_key
    from badge_issuer.crypto.suites import suite_by_name
    from tests.badges import CANON, SIGNED_AT

    issuer = Issuer()
    # link 1: a valid signature by a key its controller lists only for authentication
    notary = "did:web:notary.example"
    key = Issuer().key
    method_id = f"{notary}#{public_key_multibase(raw_public_key(key.public_key()))}"
    notary_doc = {
        "id": notary,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": notary,
                "publicKeyMultibase": method_id.partition("#")[2],
            }
        ],
        "authentication": [method_id],
    }
    first = add_proof(
        badge(issuer),
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=Ed25519Signer(key, method_id),
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT, proof_id="urn:uuid:link-1"),
    )
    # link 2: the issuer's valid signature over the document and link 1
    chained = add_proof(
        first,
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=issuer.signer,
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT, previous_proof="urn:uuid:link-1"),
    )
    subject = Subject(chained, Envelope("json"))
    proof = proof_check(subject, context(controllers={notary: notary_doc}))
    assert proof.status == "failed"
    assert [p["valid"] for p in proof.detail["proofs"]] == [False, False]
    assert "not listed under assertionMethod" in proof.detail["proofs"][0]["message"]
    assert (
        "its previousProof 'urn:uuid:link-1' does not verify, so the chain is broken"
        in (proof.detail["proofs"][1]["message"])
    )


def test_proof_ids_must_be_unique() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    twin = dict(signed["proof"], id="urn:uuid:same")
    proof, _ = run({**signed, "proof": [twin, twin]})
    assert proof.status == "failed"
    assert "two proofs share an id" in proof.message


def test_more_proofs_than_the_bound_fail_instead_of_being_partly_checked() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    proof, _ = run({**signed, "proof": [signed["proof"]] * 11})
    assert proof.status == "failed"
    assert "at most 10 are verified" in proof.message


# -- VC-JWT ------------------------------------------------------------------------------------------


def _envelope(issuer: Issuer, credential: dict[str, Any], **header: Any) -> str:
    """A VC-JWT around ``credential`` whose header and signature are chosen by the test."""
    from badge_issuer.formats.jwk import b64url_encode

    token = encode_vc_jwt(credential, private_key=issuer.key, kid=issuer.signer.verification_method)
    head, payload, signature = token.split(".")
    if header:
        fields = {"alg": "EdDSA", "typ": "JWT", "kid": issuer.signer.verification_method, **header}
        head = b64url_encode(json.dumps(fields).encode())
        signature = b64url_encode(issuer.key.sign(f"{head}.{payload}".encode()))
    return f"{head}.{payload}.{signature}"


def _bad_signature(issuer: Issuer, credential: dict[str, Any]) -> str:
    head, payload, _ = _envelope(issuer, credential).split(".")
    return f"{head}.{payload}.{_envelope(Issuer(), credential).split('.')[2]}"


def _expired(issuer: Issuer, credential: dict[str, Any]) -> str:
    from badge_issuer.formats.jwk import b64url_encode

    token = _envelope(issuer, credential)
    head = token.split(".")[0]
    claims = dict(decode_vc_jwt(token).payload)
    claims["exp"] = 1_700_000_000  # 2023-11-14, before the test clock's 2026-03-01
    payload = b64url_encode(json.dumps(claims).encode())
    return f"{head}.{payload}.{b64url_encode(issuer.key.sign(f'{head}.{payload}'.encode()))}"


ENVELOPES = {
    "alg-none": lambda issuer, credential: _envelope(issuer, credential, alg="none"),
    "HS256": lambda issuer, credential: _envelope(issuer, credential, alg="HS256"),
    "bad-signature": _bad_signature,
    "expired": _expired,
}


@pytest.mark.parametrize("make", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_a_failing_jwt_envelope_fails_even_around_a_validly_signed_badge(make: Any) -> None:
    """Regression (#8): the envelope and the embedded proof are both securing mechanisms."""
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    token = make(issuer, signed)
    proof, _ = run(None, jwt=token)
    assert proof.status == "failed", proof.message
    assert verify_badge(token, content_type="text/plain", ctx=context()).verified is False
    assert proof.message.startswith("1 of 2 proofs verify, and every proof must")
    assert [p["proof"] for p in proof.detail["proofs"]] == ["VC-JWT", "/proof"]
    assert [p["valid"] for p in proof.detail["proofs"]] == [False, True]


def test_a_valid_jwt_envelope_around_a_validly_signed_badge_passes() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    proof, issuer_key = run(None, jwt=_envelope(issuer, signed))
    assert proof.status == "passed", proof.message
    assert proof.message.startswith("2 of 2 proofs verify")
    assert issuer_key.status == "passed", issuer_key.message


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
