"""clr: a CLR 2.0 ClrCredential is judged by the CLR schema, and every badge it carries is verified."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from badge_issuer.checks import VerifyContext
from badge_issuer.credential.vocab import CLR_CREDENTIAL_SCHEMA, JSON_SCHEMA_VALIDATOR_2019
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, VC_V2
from badge_issuer.verification import VerificationReport, verify_badge
from tests.badges import Issuer, badge, context

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
VECTOR = Path(__file__).resolve().parents[1] / "vectors" / "di" / "clrv2p0-eddsa-rdfc-2022" / "vector.json"
LEARNER = "did:example:ebfeb1f712ebc6f1c276e12ec21"


def nested_badge(issuer: Issuer, name: str) -> dict[str, Any]:
    unsigned = badge(issuer, id=f"urn:uuid:{uuid.uuid4()}", name=name)
    unsigned["type"] = ["VerifiableCredential", "AchievementCredential"]
    unsigned["credentialSubject"] = {**unsigned["credentialSubject"], "id": LEARNER}
    return issuer.sign(unsigned)


def clr(issuer: Issuer, credentials: list[Any], **extra: Any) -> dict[str, Any]:
    unsigned = {
        "@context": [VC_V2, CLR_CONTEXT, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS],
        "id": "urn:uuid:0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": issuer.name},
        "validFrom": "2026-01-20T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {"id": LEARNER, "type": ["ClrSubject"], "verifiableCredential": credentials},
        **extra,
    }
    return issuer.sign(unsigned)


def statuses(report: VerificationReport) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


def check(report: VerificationReport, check_id: str) -> Any:
    return next(c for c in report.checks if c.id == check_id)


def test_a_clr_of_badges_by_two_issuers_verifies_with_a_report_per_badge() -> None:
    university, college = Issuer("University"), Issuer("College")
    badges = [nested_badge(university, "Statistics"), nested_badge(college, "Databases")]
    for declared in (
        {},
        {"credentialSchema": [{"id": CLR_CREDENTIAL_SCHEMA, "type": JSON_SCHEMA_VALIDATOR_2019}]},
    ):
        report = verify_badge(clr(university, badges, **declared), ctx=context())
        assert report.verified, json.dumps(report.to_json(), indent=1)[:3000]
        assert statuses(report)["clr"] == "passed"
        assert "CLR 2.0" in check(report, "schema").message
        assert "CLR 2.0" in check(report, "format").message
        assert [r.verified for r in report.credentials] == [True, True]
        nested_issuers = [r.summary["issuer"]["id"] for r in report.credentials]
        assert nested_issuers == [university.did, college.did]
        body = report.to_json()
        assert [c["summary"]["name"] for c in body["credentials"]] == ["Statistics", "Databases"]


def test_a_tampered_badge_inside_a_validly_signed_clr_fails_it() -> None:
    university, college = Issuer("University"), Issuer("College")
    tampered = nested_badge(college, "Databases")
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Databases"
    signed = clr(university, [nested_badge(university, "Statistics"), tampered])
    report = verify_badge(signed, ctx=context())
    assert statuses(report)["proof"] == "passed"  # the CLR's own signature is fine
    assert statuses(report)["clr"] == "failed"
    assert not report.verified
    assert [r.verified for r in report.credentials] == [True, False]
    assert "/credentialSubject/verifiableCredential/1" in check(report, "clr").message
    assert {c.id: c.status for c in report.credentials[1].checks}["proof"] == "failed"


def test_a_clr_carrying_something_else_than_badges_fails() -> None:
    university = Issuer("University")
    not_a_badge = university.sign({**nested_badge(university, "x"), "type": ["VerifiableCredential"]})
    report = verify_badge(clr(university, [not_a_badge]), ctx=context())
    assert statuses(report)["clr"] == "failed"
    assert "only AchievementCredentials" in check(report, "clr").message
    assert not report.verified
    assert len(report.credentials) == 1


def test_a_badge_as_a_vc_jwt_inside_a_clr_is_verified_too() -> None:
    university = Issuer("University")
    unsigned = badge(university, name="Statistics")
    unsigned["type"] = ["VerifiableCredential", "AchievementCredential"]
    token = encode_vc_jwt(unsigned, private_key=university.key, kid=university.signer.verification_method)
    report = verify_badge(clr(university, [token]), ctx=context())
    assert statuses(report)["clr"] == "passed", check(report, "clr").message
    assert report.credentials[0].verified


def test_the_clr_implementation_guide_vector_verifies_with_its_nested_badge() -> None:
    vector = json.loads(VECTOR.read_text(encoding="utf-8"))
    key = {k: v for k, v in vector["multikey"].items() if k != "secretKeyMultibase"}
    controller = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": key["controller"],
        "verificationMethod": [{**key, "type": "Multikey"}],
        "assertionMethod": [key["id"]],
    }
    ctx: VerifyContext = context(controllers={key["controller"]: controller})
    signed = vector["signed_credential"]
    report = verify_badge(signed, ctx=ctx)
    assert report.verified, json.dumps(report.to_json(), indent=1)[:3000]
    assert [r.verified for r in report.credentials] == [True]
    assert statuses(report)["schema"] == "passed"
    # without its credentialSchema entry, the CLR schema is still the one that applies
    undeclared = {k: v for k, v in signed.items() if k != "credentialSchema"}
    assert "CLR 2.0" in check(verify_badge(undeclared, ctx=ctx), "schema").message
    nested_tampered = copy.deepcopy(signed)
    nested_tampered["credentialSubject"]["verifiableCredential"][0]["name"] = "Forged Degree"
    assert not verify_badge(nested_tampered, ctx=ctx).verified
