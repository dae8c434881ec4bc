"""The verification spine: each input form, each suite, and the forgeries a verifier must catch."""

from __future__ import annotations

import copy
import json
import struct
import zlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badge_issuer import verification
from badge_issuer.checks import CHECKS, VerifyOptions
from badge_issuer.crypto.did import did_key_verification_method
from badge_issuer.crypto.keys import raw_public_key
from badge_issuer.errors import PayloadTooLarge
from badge_issuer.formats.png import PNG_SIGNATURE, bake_png, make_chunk
from badge_issuer.formats.sniff import unwrap
from badge_issuer.formats.svg import bake_svg
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.jsonld.loader import VC_V1
from badge_issuer.verification import VerificationReport, verify_badge
from tests.badges import (
    NOW,
    STATUS_URL,
    Documents,
    Issuer,
    badge,
    context,
    present,
    status_entry,
    status_list,
)

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]


def statuses(report: VerificationReport) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


def message(report: VerificationReport, check_id: str) -> str:
    return next(check.message for check in report.checks if check.id == check_id)


def tiny_png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        PNG_SIGNATURE + make_chunk(b"IHDR", header) + make_chunk(b"IDAT", pixels) + make_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def documents(issuer: Issuer) -> Documents:
    return Documents({STATUS_URL: status_list(issuer, set_bits=(9,))})


@pytest.mark.parametrize("suite", SUITES)
def test_own_badge_passes_every_check(issuer: Issuer, documents: Documents, suite: str) -> None:
    signed = issuer.sign(badge(issuer, credentialStatus=status_entry(3)), suite)
    report = verify_badge(signed, ctx=context(documents=documents))
    assert report.verified, report.to_json()
    assert [check.id for check in report.checks] == [check.id for check in CHECKS]
    assert statuses(report) == {
        "format": "passed",
        "context": "passed",
        "schema": "passed",
        "proof": "passed",
        "issuer_key": "passed",
        "validity": "passed",
        "status": "passed",
        "endorsements": "skipped",
        "clr": "skipped",
    }
    assert report.summary["issuer"] == {"id": issuer.did, "name": "Example University"}
    assert report.summary["achievement"] == "Data Analysis with Python"
    assert report.summary["recipient"] == "emailAddress (hashed; the value is not shown)"
    assert "@" not in report.summary["recipient"]


def _forge_name(doc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    doc["credentialSubject"]["achievement"]["name"] = "Doctor of Medicine"
    return doc


def _forge_recipient(doc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "ab" * 32
    return doc


def _forge_date(doc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    doc["validFrom"] = "2020-01-15T09:00:00Z"
    return doc


def _forge_extra_field(doc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    doc["credentialSubject"]["grade"] = "A+"
    return doc


def _forge_other_key(doc: dict[str, Any], issuer: Issuer) -> dict[str, Any]:
    """Re-sign with another key but keep claiming the real issuer's verification method."""
    other = Issuer()
    proof_doc = other.sign({k: v for k, v in doc.items() if k != "proof"})
    doc["proof"]["proofValue"] = proof_doc["proof"]["proofValue"]
    return doc


FORGERIES = [
    (_forge_name, "proof"),
    (_forge_recipient, "proof"),
    (_forge_date, "proof"),
    (_forge_extra_field, "context"),
    (_forge_other_key, "proof"),
]


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("forge", "failing"), FORGERIES, ids=[f.__name__ for f, _ in FORGERIES])
def test_forgeries_fail_the_right_check(issuer: Issuer, suite: str, forge: Any, failing: str) -> None:
    signed = issuer.sign(badge(issuer), suite)
    report = verify_badge(forge(copy.deepcopy(signed), issuer), ctx=context())
    assert not report.verified
    failed = [check.id for check in report.checks if check.status == "failed"]
    assert failed[0] == failing, report.to_json()
    later = [
        check for check in report.checks if CHECKS.index(next(c for c in CHECKS if c.id == check.id)) > 3
    ]
    assert all(check.status == "skipped" for check in later)


def test_extra_unsigned_field_is_named_with_its_location(issuer: Issuer) -> None:
    forged = _forge_extra_field(issuer.sign(badge(issuer)), issuer)
    text = message(verify_badge(forged, ctx=context()), "context")
    assert "not covered by the signature: grade" in text
    assert "/credentialSubject/grade" in text


def test_key_of_another_issuer(issuer: Issuer) -> None:
    """Validly signed by a key whose controller is not the credential's issuer."""
    impostor = Issuer("Impostor")
    forged = impostor.sign(badge(issuer))
    report = verify_badge(forged, ctx=context())
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer_key"] == "failed"
    assert "does not belong to the issuer" in message(report, "issuer_key")
    assert not report.verified


def test_expired_badge(issuer: Issuer) -> None:
    signed = issuer.sign(badge(issuer, validUntil="2026-02-01T00:00:00Z"))
    report = verify_badge(signed, ctx=context())
    assert statuses(report)["validity"] == "failed"
    assert message(report, "validity").startswith("expired on 2026-02-01")
    assert not report.verified


def test_revoked_badge(issuer: Issuer, documents: Documents) -> None:
    signed = issuer.sign(badge(issuer, credentialStatus=status_entry(9)))
    report = verify_badge(signed, ctx=context(documents=documents))
    assert statuses(report)["status"] == "failed"
    assert "the status list says revoked" in message(report, "status")
    assert not report.verified


def test_unreachable_status_list_fails_closed_as_indeterminate_not_revoked(issuer: Issuer) -> None:
    """Regression (#8): a revoked badge whose list could not be fetched was verified (warning)."""
    signed = issuer.sign(badge(issuer, credentialStatus=status_entry(9)))
    report = verify_badge(signed, ctx=context(documents=Documents()))
    assert statuses(report)["status"] == "indeterminate"
    assert message(report, "status").startswith("could not check whether it is revoked: ")
    assert "the status list could not be retrieved" in message(report, "status")
    entry = next(c for c in report.checks if c.id == "status").detail["entries"][0]
    assert entry["status"] == "indeterminate" and "unreachable" in entry["reason"]
    assert report.verified is False


def test_offline_mode_skips_status_and_says_so(issuer: Issuer) -> None:
    signed = issuer.sign(badge(issuer, credentialStatus=status_entry(9)))
    documents = Documents()
    ctx = replace(context(documents=documents), options=VerifyOptions(check_status=False))
    report = verify_badge(signed, ctx=ctx)
    assert statuses(report)["status"] == "skipped"
    assert "offline mode" in message(report, "status")
    assert next(c for c in report.checks if c.id == "status").detail["mode"] == "offline"
    assert documents.requested == []
    assert report.verified is True


def test_expired_status_list_is_indeterminate(issuer: Issuer) -> None:
    listing = status_list(issuer)
    unsigned = {k: v for k, v in listing.items() if k != "proof"}
    stale = issuer.sign({**unsigned, "validUntil": "2026-02-01T00:00:00Z"})
    report = verify_badge(
        issuer.sign(badge(issuer, credentialStatus=status_entry(1))),
        ctx=context(documents=Documents({STATUS_URL: stale})),
    )
    assert statuses(report)["status"] == "indeterminate"
    assert "expired on 2026-02-01" in message(report, "status")
    assert report.verified is False


def test_vc_jwt_and_json_ld_reports_look_the_same(issuer: Issuer) -> None:
    unsigned = badge(issuer)
    token = encode_vc_jwt(unsigned, private_key=issuer.key, kid=issuer.signer.verification_method)
    jwt_report = verify_badge(token, content_type="text/plain", ctx=context())
    ld_report = verify_badge(issuer.sign(unsigned), ctx=context())
    assert jwt_report.verified, jwt_report.to_json()
    assert statuses(jwt_report) == statuses(ld_report)
    assert jwt_report.summary == ld_report.summary
    wrapped = verify_badge(json.dumps({"jwt": token}), ctx=context())
    assert wrapped.verified


def test_baked_png_and_svg(issuer: Issuer) -> None:
    signed = json.dumps(issuer.sign(badge(issuer)))
    png = bake_png(tiny_png(), signed)
    assert verify_badge(png, content_type="image/png", ctx=context()).verified
    svg = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', signed)
    assert verify_badge(svg.encode(), content_type="image/svg+xml", ctx=context()).verified


def test_legacy_openbadges_png_keyword(issuer: Issuer) -> None:
    signed = json.dumps(issuer.sign(badge(issuer))).encode()
    png = tiny_png()
    chunk = make_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + signed)
    legacy = png[:33] + chunk + png[33:]  # after the signature (8) and IHDR (25)
    assert verify_badge(legacy, content_type="image/png", ctx=context()).verified


def test_presentation_gives_one_report_per_credential(issuer: Issuer) -> None:
    good = issuer.sign(badge(issuer))
    bad = _forge_name(copy.deepcopy(good), issuer)
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [good, bad],
    }
    report = verify_badge(presentation, ctx=context())
    assert [r.verified for r in report.credentials] == [True, False]
    assert not report.verified
    assert report.to_json()["credentials"][1]["checks"][3]["id"] == "proof"


def test_a_presentation_is_verified_with_its_own_proof_and_holder(issuer: Issuer) -> None:
    """Regression (#8): a VP was accepted whatever its own proof; the report now says who presented."""
    holder = Issuer("Ada")
    credential = issuer.sign(badge(issuer))
    signed = present(holder, [credential], challenge="c-1", domain="hr.example")
    ctx = replace(context(), options=VerifyOptions(challenge="c-1", domain="hr.example"))
    report = verify_badge(signed, ctx=ctx)
    assert report.verified, report.to_json()
    assert [check.id for check in report.checks] == ["format", "presentation_proof", "holder"]
    assert report.summary == {
        "presentation": None,
        "holder": holder.did,
        "credentials": 1,
        "verifiedCredentials": 1,
    }
    garbage = copy.deepcopy(signed)
    garbage["proof"]["proofValue"] = "z" + "1" * 80
    report = verify_badge(garbage, ctx=ctx)
    assert report.credentials[0].verified and not report.verified
    assert statuses(report)["presentation_proof"] == "failed"
    unsigned = present(None, [credential])
    report = verify_badge(unsigned, ctx=ctx)
    assert not report.verified
    assert "no proof on the presentation: the presenter is not authenticated" in message(
        report, "presentation_proof"
    )
    report = verify_badge(unsigned, ctx=context())
    assert report.verified and statuses(report)["presentation_proof"] == "warning"


def test_a_lone_credential_fails_when_the_caller_asked_for_a_presentation(issuer: Issuer) -> None:
    ctx = replace(context(), options=VerifyOptions(challenge="c-1"))
    report = verify_badge(issuer.sign(badge(issuer)), ctx=ctx)
    assert not report.verified
    assert statuses(report)["presentation_proof"] == "failed"
    assert "a credential, not a presentation, was presented" in message(report, "presentation_proof")


def test_an_authentication_only_presentation(issuer: Issuer) -> None:
    holder = Issuer("Ada")
    ctx = replace(context(), options=VerifyOptions(challenge="c-7"))
    report = verify_badge(present(holder, [], challenge="c-7"), ctx=ctx)
    assert report.verified, report.to_json()
    assert report.credentials == () and "credentials" not in report.to_json()
    assert not verify_badge(present(None, []), ctx=context()).verified


def test_url_input_is_fetched_through_the_document_source(issuer: Issuer) -> None:
    signed = issuer.sign(badge(issuer))
    docs = Documents({"https://badges.example.edu/c/1": signed})
    assert verify_badge({"url": "https://badges.example.edu/c/1"}, ctx=context(documents=docs)).verified
    report = verify_badge({"url": "https://badges.example.edu/missing"}, ctx=context(documents=docs))
    assert statuses(report)["format"] == "failed"
    assert "could not be fetched" in message(report, "format")


def test_vc_1_1_badge_is_judged_with_issuance_and_expiration_dates(issuer: Issuer) -> None:
    unsigned = badge(issuer)
    unsigned["@context"] = [VC_V1, *unsigned["@context"][1:], "https://w3id.org/security/data-integrity/v2"]
    del unsigned["validFrom"]
    unsigned["issuanceDate"] = "2026-01-15T09:00:00Z"
    unsigned["expirationDate"] = "2027-01-15T09:00:00Z"
    report = verify_badge(issuer.sign(unsigned, "eddsa-jcs-2022"), ctx=context())
    assert report.verified, report.to_json()
    expired = verify_badge(
        issuer.sign(unsigned, "eddsa-jcs-2022"), ctx=context(now=NOW + timedelta(days=400))
    )
    assert "expirationDate" in message(expired, "validity")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\x10binary",
        b"[" * 5000 + b"]" * 5000,
        b"42",
        b"{}",
        b'"just a string"',
        b"not.a.jwt",
        json.dumps(
            {"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": {"type": "Unknown"}}
        ).encode(),
    ],
)
def test_garbage_gives_a_failed_format_report_or_a_size_refusal(garbage: bytes) -> None:
    try:
        report = verify_badge(garbage, ctx=context())
    except PayloadTooLarge:
        assert garbage.startswith(b"[[[")
        return
    assert not report.verified
    assert statuses(report)["format"] == "failed"


def test_unknown_proof_type_on_a_real_badge_fails_proof(issuer: Issuer) -> None:
    unsigned = badge(issuer)
    unsigned["proof"] = {"type": "MysteryProof2031", "proofValue": "z1"}
    report = verify_badge(unsigned, ctx=context())
    assert statuses(report)["proof"] == "failed"
    assert "MysteryProof2031" in message(report, "proof")


def test_proof_from_a_random_unrelated_key_id(issuer: Issuer) -> None:
    signed = issuer.sign(badge(issuer))
    stranger = raw_public_key(Ed25519PrivateKey.generate().public_key())
    signed["proof"]["verificationMethod"] = did_key_verification_method(stranger)
    report = verify_badge(signed, ctx=context())
    assert statuses(report)["proof"] == "failed"


def test_a_key_that_only_claims_the_victim_as_controller_cannot_forge_its_badges() -> None:
    """Regression: an attacker's DID document naming the victim as its key's controller."""
    from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
    from badge_issuer.crypto.keys import Ed25519Signer, public_key_multibase
    from badge_issuer.crypto.suites import suite_by_name
    from tests.badges import CANON, SIGNED_AT

    victim, attacker = "did:web:victim.example.edu", "did:web:attacker.example"
    key = Ed25519PrivateKey.generate()
    multikey = public_key_multibase(raw_public_key(key.public_key()))
    method_id = f"{attacker}#{multikey}"
    attacker_doc = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": attacker,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": victim, "publicKeyMultibase": multikey}
        ],
        "assertionMethod": [method_id],
    }
    credential = badge(Issuer())
    credential["issuer"] = {"id": victim, "type": ["Profile"], "name": "Victim University"}
    signed = add_proof(
        credential,
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=Ed25519Signer(key, method_id),
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT),
    )
    report = verify_badge(signed, ctx=context(controllers={attacker: attacker_doc}))
    assert report.verified is False
    assert {c.id: c.status for c in report.checks}["issuer_key"] == "failed"


@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_a_generic_vc_is_judged_by_the_data_model_not_the_ob_schemas(version: str) -> None:
    """/api/v1/verify's spine: a credential claiming no OB type verifies on its VCDM rules, proof,
    key and status; one that breaks a data model rule does not (and an OB one keeps the OB schema)."""
    from tests.generic_vcs import generic, sign

    issuer = Issuer()
    signed = sign(issuer, generic(issuer, version), "eddsa-rdfc-2022")
    report = verify_badge(signed, ctx=context())
    assert report.verified, [c.to_json() for c in report.checks]
    schema = next(c for c in report.checks if c.id == "schema")
    assert schema.detail["dataModel"] == f"VCDM {version}"
    broken = generic(issuer, version)
    broken["credentialSubject"] = {}
    report = verify_badge(sign(issuer, broken, "eddsa-rdfc-2022"), ctx=context())
    assert not report.verified and statuses(report)["schema"] == "failed"
    assert statuses(report)["proof"] == "passed"  # signed as it is: only the data model is wrong


def test_an_input_already_unwrapped_is_verified_as_given_and_not_parsed_again(
    issuer: Issuer, documents: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``unwrapped`` (the light lane's weighing did the parse) gives the report of the bytes."""
    data = json.dumps(issuer.sign(badge(issuer, credentialStatus=status_entry(3)))).encode()
    expected = verify_badge(data, ctx=context(documents=documents)).to_json()
    presented = unwrap(data, None)

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("parsed a second time")

    monkeypatch.setattr(verification, "unwrap", refused)
    report = verify_badge(data, ctx=context(documents=documents), unwrapped=presented)
    assert report.verified and report.to_json() == expected
