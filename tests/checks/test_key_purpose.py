"""Regression (#8): a key its controller does not list under ``assertionMethod`` cannot issue.

A did:web issuer may hold keys it lists for other relationships (``authentication``, ``keyAgreement``)
or not at all. A Data Integrity proof or a VC-JWT by such a key is not the issuer's assertion.
"""

from __future__ import annotations

from typing import Any

import pytest

from badge_issuer.crypto.keys import public_key_multibase, raw_public_key
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.verification import verify_badge
from tests.badges import Issuer, badge, context

DID = "did:web:issuer.example"


def _did_document(method_id: str, key: str, relationships: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": DID,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": DID, "publicKeyMultibase": key}
        ],
        **relationships,
    }


def _setup(relationship: str | None) -> tuple[Issuer, str, dict[str, Any]]:
    """A signer whose key is in the issuer's DID document, listed under ``relationship`` only."""
    signer = Issuer()
    key = public_key_multibase(raw_public_key(signer.key.public_key()))
    method_id = f"{DID}#key-1"
    relationships = {relationship: [method_id]} if relationship else {}
    return signer, method_id, _did_document(method_id, key, relationships)


def _credential() -> dict[str, Any]:
    credential = badge(Issuer())
    credential["issuer"] = {"id": DID, "type": ["Profile"], "name": "Example"}
    return credential


def _statuses(report: Any) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


@pytest.mark.parametrize("relationship", [None, "keyAgreement", "authentication"])
def test_a_data_integrity_proof_by_a_key_not_listed_for_assertion_is_not_verified(
    relationship: str | None,
) -> None:
    from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
    from badge_issuer.crypto.keys import Ed25519Signer
    from badge_issuer.crypto.suites import suite_by_name
    from tests.badges import CANON, SIGNED_AT

    signer, method_id, document = _setup(relationship)
    signed = add_proof(
        _credential(),
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=Ed25519Signer(signer.key, method_id),
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT),
    )
    report = verify_badge(signed, ctx=context(controllers={DID: document}))
    assert not report.verified, report.to_json()
    assert _statuses(report)["proof"] == "failed"
    assert "not listed under assertionMethod" in report.checks[3].message


def test_a_data_integrity_proof_by_a_key_listed_for_assertion_verifies() -> None:
    from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
    from badge_issuer.crypto.keys import Ed25519Signer
    from badge_issuer.crypto.suites import suite_by_name
    from tests.badges import CANON, SIGNED_AT

    signer, method_id, document = _setup("assertionMethod")
    signed = add_proof(
        _credential(),
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=Ed25519Signer(signer.key, method_id),
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT),
    )
    report = verify_badge(signed, ctx=context(controllers={DID: document}))
    assert report.verified, report.to_json()


@pytest.mark.parametrize("relationship", [None, "keyAgreement", "authentication"])
def test_a_vc_jwt_by_a_did_key_not_listed_for_assertion_is_not_verified(relationship: str | None) -> None:
    signer, method_id, document = _setup(relationship)
    token = encode_vc_jwt(_credential(), private_key=signer.key, kid=method_id)
    report = verify_badge(token, ctx=context(controllers={DID: document}))
    assert not report.verified, report.to_json()
    assert _statuses(report)["proof"] == "failed"
    assert "not listed under assertionMethod" in report.checks[3].message


def test_a_vc_jwt_by_a_did_key_listed_for_assertion_verifies() -> None:
    signer, method_id, document = _setup("assertionMethod")
    token = encode_vc_jwt(_credential(), private_key=signer.key, kid=method_id)
    report = verify_badge(token, ctx=context(controllers={DID: document}))
    assert report.verified, report.to_json()
