"""The VC-API issuer routes end to end (issue #10): ``POST /credentials/issue`` signs generic VCDM
1.1 and 2.0 credentials (and Open Badges) as the API key's issuer with each cryptosuite, and
``POST /credentials/status`` flips what our verifier then sees — on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from badge_issuer.api import schemas
from badge_issuer.credential.vc_api_requests import VcIssueRequest, VcStatusRequest
from tests.api.test_issuing import Tenant, bootstrap
from tests.conftest import LiveServer

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
SUBJECT_V2 = {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Ada Lovelace"}
SUBJECT_V1 = {
    "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
    "degree": {"type": "BachelorDegree", "name": "Bachelor of Science and Arts"},
}


def vc_v2(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_V2],
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": copy.deepcopy(SUBJECT_V2),
        **extra,
    }


def vc_v1(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1", EXAMPLES_V2],
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": copy.deepcopy(SUBJECT_V1),
        **extra,
    }


@pytest.fixture
def server(database_url: str, live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(database_url=database_url)


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    return bootstrap(server, "uni", "--suspension")


def issuer_did(tenant: Tenant) -> str:
    did: str = httpx.get(tenant.url(""), headers=tenant.admin).json()["id"]
    return did


def issue(tenant: Tenant, headers: dict[str, str], body: Any, **extra: str) -> httpx.Response:
    return httpx.post(
        f"{tenant.server.url}/credentials/issue", json=body, headers={**headers, **extra}, timeout=60
    )


def set_status(tenant: Tenant, headers: dict[str, str], body: Any) -> httpx.Response:
    return httpx.post(f"{tenant.server.url}/credentials/status", json=body, headers=headers, timeout=60)


def report(tenant: Tenant, credential: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{tenant.server.url}/api/v1/verify", json=credential, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def failed(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks that failed, whole (the report itself is cut short in an assertion's message)."""
    return [check for check in found["checks"] if check["status"] == "failed"]


def checks(found: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in found["checks"]}


def assert_verifies(found: dict[str, Any], *, status: str) -> None:
    """What our verifier (/api/v1/verify) establishes about a credential we signed: it is verified,
    its format, contexts, data model (a generic VC's VCDM rules), proof, issuer key and validity
    pass, and its status is ``status``."""
    seen = checks(found)
    for name in ("format", "context", "schema", "proof", "issuer_key", "validity"):
        assert seen[name] == "passed", found
    assert seen["status"] == status, found
    assert found["verified"] is True, failed(found)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_generic_credentials_are_signed_as_the_keys_issuer_and_verify(
    tenant: Tenant, version: str, suite: str
) -> None:
    lms = tenant.client("issue", "read")
    did = issuer_did(tenant)
    make = vc_v2 if version == "2.0" else vc_v1
    # without a status entry, the issuer left out (filled in)
    plain = issue(tenant, lms, {"credential": make(), "options": {"cryptosuite": suite}})
    assert plain.status_code == 201, plain.text
    signed = plain.json()["verifiableCredential"]
    assert signed["issuer"] == did
    assert signed["credentialSubject"] == make()["credentialSubject"]
    assert "credentialStatus" not in signed
    [proof] = signed["proof"] if isinstance(signed["proof"], list) else [signed["proof"]]
    assert proof.get("cryptosuite", proof["type"]) == suite
    assert proof["verificationMethod"].startswith(did)
    if version == "1.1":
        assert signed["issuanceDate"] == "2026-01-01T00:00:00Z"
        assert "validFrom" not in signed
        assert signed["@context"][0] == "https://www.w3.org/2018/credentials/v1"
    else:
        assert signed["validFrom"] == "2026-01-01T00:00:00Z"
    assert_verifies(report(tenant, signed), status="skipped")  # no status entry: nothing to check
    # stored like any other record, and public at the Location
    assert httpx.get(plain.headers["location"]).json() == signed
    # with a status entry and the issuer given as an object
    body = {
        "credential": make(issuer={"id": did, "name": "uni University"}),
        "options": {"cryptosuite": suite, "credentialStatus": {"type": "BitstringStatusListEntry"}},
    }
    with_status = issue(tenant, lms, body)
    assert with_status.status_code == 201, with_status.text
    signed = with_status.json()["verifiableCredential"]
    entry = signed["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"].isdigit()
    assert signed["credentialSubject"] == make()["credentialSubject"]
    assert_verifies(report(tenant, signed), status="passed")


def test_an_open_badge_gets_our_profile_and_is_held_to_the_ob_schema(tenant: Tenant) -> None:
    lms = tenant.client("issue")
    badge = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0b4a7c1e-8a43-4c61-9d0e-5a0d3f9a2b11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analysis with Python",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://lms.example.edu/achievements/python-data",
                "type": ["Achievement"],
                "name": "Data Analysis with Python",
                "description": "Cleans, explores and models tabular data with pandas.",
                "criteria": {"narrative": "Passed the final project."},
            },
        },
    }
    response = issue(tenant, lms, {"credential": badge})
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"]["id"] == issuer_did(tenant)
    assert signed["issuer"]["type"] == ["Profile"]
    assert signed["validFrom"].endswith("Z")
    assert signed["credentialSubject"] == badge["credentialSubject"]
    found = report(tenant, signed)
    assert found["verified"] is True, failed(found)
    # the OB schema applies to an Open Badge: an achievement without criteria is refused
    del badge["credentialSubject"]["achievement"]["criteria"]  # type: ignore[index]
    badge["id"] = "urn:uuid:0b4a7c1e-8a43-4c61-9d0e-5a0d3f9a2b12"
    refused = issue(tenant, lms, {"credential": badge})
    assert refused.status_code == 422, refused.text
    assert refused.json()["pointer"].startswith("/credential/credentialSubject/achievement")


def test_issued_credentials_are_records_and_idempotent(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    body = {"credential": vc_v2(), "options": {"credentialId": "urn:example:alumni-7"}}
    first = issue(tenant, lms, body, **{"Idempotency-Key": "alumni-7"})
    again = issue(tenant, lms, body, **{"Idempotency-Key": "alumni-7"})
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    schemas.VcIssued.model_validate(first.json())  # as documented in openapi.yaml
    other = {"credential": vc_v2(name="x"), "options": {"credentialId": "urn:example:alumni-8"}}
    assert issue(tenant, lms, other, **{"Idempotency-Key": "alumni-7"}).status_code == 409
    # the same credentialId twice (no idempotency key) is a conflict, not a second credential
    duplicate = issue(tenant, lms, body)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["pointer"] == "/options/credentialId"
    # a fraction of a second finer than Python's microseconds is still a date-time
    with_id = vc_v2(
        id="urn:uuid:5f7c1f2e-6d1b-4f6e-9d51-1b8e0c5d7a31", validFrom="2026-01-01T00:00:00.123456789+02:00"
    )
    assert issue(tenant, lms, {"credential": with_id}).status_code == 201
    again_id = issue(tenant, lms, {"credential": with_id})
    assert again_id.status_code == 409
    assert again_id.json()["pointer"] == "/credential/id"
    page = httpx.get(tenant.url("/credentials"), headers=lms).json()
    schemas.RecordPage.model_validate(page)
    listed = page["items"]
    assert len(listed) == 2
    record = next(item for item in listed if item["credentialId"] is None)
    assert record["achievement"] is None
    assert record["id"] == first.headers["location"].rsplit("/", 1)[1]
    assert record["credential"] == first.json()["verifiableCredential"]
    assert record["recipient"]["id"] == SUBJECT_V2["id"]
    by_subject = httpx.get(tenant.url("/credentials"), params={"recipient": SUBJECT_V2["id"]}, headers=lms)
    assert len(by_subject.json()["items"]) == 2


def test_status_updates_flip_what_the_verifier_sees(tenant: Tenant) -> None:
    lms = tenant.client("issue", "revoke")
    revocable = issue(
        tenant,
        lms,
        {
            "credential": vc_v1(id="urn:uuid:7d9ad2b4-0c5e-4a7a-8d57-0b9b8f1d6c01"),
            "options": {
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
            },
        },
    ).json()["verifiableCredential"]
    suspendable_response = issue(
        tenant,
        lms,
        {
            "credential": vc_v2(),
            "options": {
                "cryptosuite": "eddsa-jcs-2022",
                "credentialId": "urn:example:suspendable",
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
            },
        },
    )
    suspendable = suspendable_response.json()["verifiableCredential"]
    assert checks(report(tenant, revocable))["status"] == "passed"
    # clearing a revocation bit that is not set changes nothing
    clear = {
        "credentialId": revocable["id"],
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "status": False}
        ],
    }
    cleared = set_status(tenant, lms, clear)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["credentialStatus"][0]["status"] is False
    # the published shape: [{type, status}]
    revoked = set_status(
        tenant,
        lms,
        {
            "credentialId": revocable["id"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
    )
    assert revoked.status_code == 200, revoked.text
    schemas.VcStatusUpdated.model_validate(revoked.json())
    assert revoked.json() == {
        "credentialId": revocable["id"],
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "status": True}
        ],
    }
    assert checks(report(tenant, revocable))["status"] == "failed"
    # revocation is permanent
    unrevoke = {
        "credentialId": revocable["id"],
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": False,
    }
    assert set_status(tenant, lms, unrevoke).status_code == 409
    # the other shape: {type, statusPurpose} and a boolean status; found by its options.credentialId
    suspend = {
        "credentialId": "urn:example:suspendable",
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        "status": True,
    }
    assert set_status(tenant, lms, suspend).status_code == 200
    assert checks(report(tenant, suspendable))["status"] == "failed"
    # …and by its URL here, with a reason for the audit history
    unsuspend = {
        "credentialId": suspendable_response.headers["location"],
        "credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "suspension", "status": "0"}
        ],
        "reason": "appeal upheld",
    }
    assert set_status(tenant, lms, unsuspend).json()["credentialStatus"][0]["status"] is False
    assert checks(report(tenant, suspendable))["status"] == "passed"
    record_id = suspendable_response.headers["location"].rsplit("/", 1)[1]
    history = httpx.get(tenant.url(f"/credentials/{record_id}"), headers=tenant.admin)
    assert history.status_code == 200
    events = httpx.post(
        tenant.url(f"/credentials/{record_id}/unsuspend"), json={"reason": "again"}, headers=tenant.admin
    ).json()["history"]
    assert [(e["action"], e["reason"]) for e in events] == [
        ("suspend", "VC-API status update"),
        ("unsuspend", "appeal upheld"),
    ]


def test_status_updates_refuse_what_they_cannot_do(tenant: Tenant) -> None:
    lms = tenant.client("issue", "revoke")
    mine = issue(tenant, lms, {"credential": vc_v2(id="urn:example:mine")})
    assert mine.status_code == 201
    entry = {"type": "BitstringStatusListEntry", "status": "revoked"}
    # no revocation entry to flip
    assert (
        set_status(tenant, lms, {"credentialId": "urn:example:mine", "credentialStatus": [entry]}).status_code
        == 409
    )
    assert (
        set_status(
            tenant, lms, {"credentialId": "urn:example:nobody", "credentialStatus": [entry]}
        ).status_code
        == 404
    )
    rival = bootstrap(tenant.server, "rival").client("revoke")
    assert (
        set_status(
            tenant, rival, {"credentialId": "urn:example:mine", "credentialStatus": [entry]}
        ).status_code
        == 404
    )
    issuer_only = tenant.client("issue")
    assert (
        set_status(
            tenant, issuer_only, {"credentialId": "urn:example:mine", "credentialStatus": [entry]}
        ).status_code
        == 403
    )
    assert (
        set_status(tenant, {}, {"credentialId": "urn:example:mine", "credentialStatus": [entry]}).status_code
        == 401
    )
    for bad, pointer in (
        ({"credentialStatus": [entry]}, "/credentialId"),
        ({"credentialId": "urn:example:mine"}, "/credentialStatus"),
        ({"credentialId": "urn:example:mine", "credentialStatus": []}, None),
        (
            {"credentialId": "urn:example:mine", "credentialStatus": [{"type": "BitstringStatusListEntry"}]},
            "/credentialStatus/0/status",
        ),
        (
            {
                "credentialId": "urn:example:mine",
                "credentialStatus": [{"type": "StatusList2021Entry", "status": "revoked"}],
            },
            "/credentialStatus/0/type",
        ),
    ):
        response = set_status(tenant, lms, bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if pointer is not None:
            assert response.json()["pointer"] == pointer, response.text


def _without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


V2_ONLY = ["https://www.w3.org/ns/credentials/v2"]
#: (what, request body, status, pointer): each is refused before anything is signed or stored
REFUSED: list[tuple[str, Any, int, str]] = [
    ("missing @context", {"credential": _without(vc_v2(), "@context")}, 422, "/credential/@context"),
    (
        "not a VC context first",
        {"credential": vc_v2(**{"@context": [EXAMPLES_V2]})},
        422,
        "/credential/@context",
    ),
    (
        "an unpinned context",
        {"credential": vc_v2(**{"@context": [*V2_ONLY, "https://example.org/ctx.jsonld"]})},
        422,
        "/credential/@context/1",
    ),
    (
        "an inline context",
        {"credential": vc_v2(**{"@context": [*V2_ONLY, {"colour": "https://example.org/colour"}]})},
        422,
        "/credential/@context/1",
    ),
    (
        "an embedded context",
        {"credential": vc_v2(credentialSubject={"@context": {"x": "urn:x"}, "x": 1})},
        422,
        "/credential/credentialSubject/@context",
    ),
    ("missing type", {"credential": _without(vc_v2(), "type")}, 422, "/credential/type"),
    (
        "a type that is not a string",
        {"credential": vc_v2(type=["VerifiableCredential", 7])},
        422,
        "/credential/type",
    ),
    (
        "not a VerifiableCredential",
        {"credential": vc_v2(type=["ExampleAlumniCredential"])},
        422,
        "/credential/type",
    ),
    (
        "missing credentialSubject",
        {"credential": _without(vc_v2(), "credentialSubject")},
        422,
        "/credential/credentialSubject",
    ),
    (
        "empty credentialSubject",
        {"credential": vc_v2(credentialSubject={})},
        422,
        "/credential/credentialSubject",
    ),
    (
        "someone else's issuer",
        {"credential": vc_v2(issuer="did:web:rival.example")},
        422,
        "/credential/issuer",
    ),
    (
        "someone else's issuer object",
        {"credential": vc_v2(issuer={"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"})},
        422,
        "/credential/issuer/id",
    ),
    (
        "an issuer object without id",
        {"credential": vc_v2(issuer={"name": "Uni"})},
        422,
        "/credential/issuer/id",
    ),
    ("a relative id", {"credential": vc_v2(id="credentials/7")}, 422, "/credential/id"),
    (
        "a relative subject id",
        {"credential": vc_v2(credentialSubject={"id": "learners/7", "name": "Ada"})},
        422,
        "/credential/credentialSubject/id",
    ),
    (
        "an impossible date",
        {"credential": vc_v2(validFrom="2026-13-01T00:00:00Z")},
        422,
        "/credential/validFrom",
    ),
    (
        "a date without a zone",
        {"credential": vc_v2(validFrom="2026-01-01T00:00:00")},
        422,
        "/credential/validFrom",
    ),
    (
        "a date, not a date-time",
        {"credential": vc_v2(validUntil="2027-01-01")},
        422,
        "/credential/validUntil",
    ),
    (
        "validUntil before validFrom",
        {"credential": vc_v2(validUntil="2025-01-01T00:00:00Z")},
        422,
        "/credential/validUntil",
    ),
    (
        "issuanceDate in a 2.0 credential",
        {"credential": vc_v2(issuanceDate="2026-01-01T00:00:00Z")},
        422,
        "/credential/issuanceDate",
    ),
    (
        "validFrom in a 1.1 credential",
        {"credential": vc_v1(validFrom="2026-01-01T00:00:00Z")},
        422,
        "/credential/validFrom",
    ),
    (
        "a bad 1.1 issuanceDate",
        {"credential": vc_v1(issuanceDate="yesterday")},
        422,
        "/credential/issuanceDate",
    ),
    (
        "expirationDate before issuanceDate",
        {"credential": vc_v1(expirationDate="2020-01-01T00:00:00Z")},
        422,
        "/credential/expirationDate",
    ),
    (
        "an undefined term",
        {
            "credential": vc_v2(
                **{
                    "@context": V2_ONLY,
                    "type": ["VerifiableCredential"],
                    "credentialSubject": {"id": "did:example:a", "favouriteColour": "teal"},
                }
            )
        },
        422,
        "/credential/credentialSubject/favouriteColour",
    ),
    (
        "an undefined type",
        {"credential": vc_v2(**{"@context": V2_ONLY, "type": ["VerifiableCredential", "AlumniCredential"]})},
        422,
        "/credential/type",
    ),
    (
        "an undefined term with eddsa-jcs-2022 (never expanded to sign)",
        {
            "credential": vc_v2(
                **{
                    "@context": V2_ONLY,
                    "type": ["VerifiableCredential"],
                    "credentialSubject": {"id": "did:example:a", "colour": "teal"},
                }
            ),
            "options": {"cryptosuite": "eddsa-jcs-2022"},
        },
        422,
        "/credential/credentialSubject/colour",
    ),
    (
        "an id that is not a string",
        {"credential": vc_v2(credentialSubject={"id": 5, "name": "Ada"})},
        422,
        "/credential",
    ),
    (
        "more JSON-LD work than allowed",
        {
            "credential": vc_v2(
                credentialSubject={"id": "did:example:a", "name": [{"n": i} for i in range(6000)]}
            )
        },
        422,
        "/credential",
    ),
    (
        "a proof already",
        {"credential": vc_v2(proof={"type": "DataIntegrityProof"})},
        422,
        "/credential/proof",
    ),
    (
        "a status entry of its own",
        {"credential": vc_v2(credentialStatus={"type": "BitstringStatusListEntry"})},
        422,
        "/credential/credentialStatus",
    ),
    (
        "an unknown cryptosuite",
        {"credential": vc_v2(), "options": {"cryptosuite": "ecdsa-rdfc-2019"}},
        422,
        "/options/cryptosuite",
    ),
    (
        "an unknown option",
        {"credential": vc_v2(), "options": {"proofPurpose": "authentication"}},
        422,
        "/options/proofPurpose",
    ),
    (
        "an unknown status type",
        {"credential": vc_v2(), "options": {"credentialStatus": {"type": "StatusList2021Entry"}}},
        422,
        "/options/credentialStatus/type",
    ),
    ("no credential", {"options": {}}, 422, "/credential"),
    ("a credential that is not an object", {"credential": [vc_v2()]}, 422, "/credential"),
    (
        "a noncharacter",
        {"credential": vc_v2(credentialSubject={"id": "did:example:a", "name": "Ada\ufffe"})},
        422,
        "/credential/credentialSubject/name",
    ),
    (
        "a control character with Ed25519Signature2020",
        {
            "credential": vc_v2(credentialSubject={"id": "did:example:a", "name": "Ada\tLovelace"}),
            "options": {"cryptosuite": "Ed25519Signature2020"},
        },
        422,
        "/credential/credentialSubject/name",
    ),
]


def test_what_is_not_signed_is_a_problem_naming_the_field(live_server: Callable[..., LiveServer]) -> None:
    tenant = bootstrap(live_server(), "uni")
    lms = tenant.client("issue", "read")
    for what, body, status, pointer in REFUSED:
        response = issue(tenant, lms, body)
        assert response.status_code == status, (what, response.text)
        assert response.headers["content-type"] == "application/problem+json", what
        assert response.json()["pointer"] == pointer, (what, response.text)
    assert httpx.get(tenant.url("/credentials"), headers=lms).json()["items"] == []
    # not JSON at all, or not sent as JSON
    broken = httpx.post(
        f"{tenant.server.url}/credentials/issue",
        content=b'{"credential": ',
        headers={**lms, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    as_text = httpx.post(
        f"{tenant.server.url}/credentials/issue", content=b"{}", headers={**lms, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    # suspension only where the issuer has suspension lists
    no_suspension = {
        "credential": vc_v2(),
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}},
    }
    refused = issue(tenant, lms, no_suspension)
    assert refused.status_code == 422
    assert refused.json()["pointer"] == "/options/credentialStatus/statusPurpose"


def test_only_an_issuing_key_of_the_issuer_signs(live_server: Callable[..., LiveServer]) -> None:
    tenant = bootstrap(live_server(), "uni")
    body = {"credential": vc_v2()}
    assert issue(tenant, {}, body).status_code == 401
    assert issue(tenant, {"Authorization": "Bearer bik_nope.nope"}, body).status_code == 401
    reader = issue(tenant, tenant.client("read", "revoke"), body)
    assert reader.status_code == 403
    assert reader.headers["content-type"] == "application/problem+json"
    # an admin key may issue; a wrong scope never reaches validation (403 even for a bad body)
    assert issue(tenant, tenant.admin, body).status_code == 201
    assert issue(tenant, tenant.client("read"), {"credential": {}}).status_code == 403


def documented_examples(model: type[BaseModel]) -> list[Any]:
    """The request examples openapi.yaml shows for ``model``."""
    examples: list[Any] = model.model_json_schema()["examples"]
    assert examples
    return examples


def test_the_documented_examples_work(tenant: Tenant) -> None:
    lms = tenant.client("issue", "revoke")
    for example in documented_examples(VcIssueRequest):
        response = issue(tenant, lms, example)
        assert response.status_code == 201, response.text
    # the second one has a credentialId, but no revocation entry: the status examples are understood
    for example in documented_examples(VcStatusRequest):
        response = set_status(tenant, lms, example)
        assert response.status_code == 409, response.text
        assert "no revocation status entry" in response.json()["detail"]


def test_one_credential_id_is_signed_once_under_concurrent_requests(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    body = {
        "credential": vc_v2(id="urn:uuid:2f1d0c9e-6a4b-4b8e-9c3d-7e5f1a2b3c4d"),
        "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
    }
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(lambda _: issue(tenant, lms, body).status_code, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409], codes
    assert len(httpx.get(tenant.url("/credentials"), headers=lms).json()["items"]) == 1
