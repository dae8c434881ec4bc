"""The VC-API verifier through a real server: ``POST /credentials/verify`` and ``/presentations/verify``.

Generic VCDM 2.0 and 1.1 credentials, signed by our own Data Integrity code with each cryptosuite,
verify (200); each verification negative is a credential a careless verifier would accept (the
signature itself is valid, or the change is one the signature does not cover), and must get a 400
with ``verified: false``, as the VC-API verifier and Data Integrity test suites expect.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from badge_issuer.crypto.multibase import multibase_decode, multibase_encode
from tests.badges import Issuer, present
from tests.conftest import LiveServer
from tests.generic_vcs import SUITES, crafted, generic, module_server, proof_fields, sign


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with module_server(tmp_path_factory.mktemp("vc-api-verify")) as running:
        yield running


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def post(server: LiveServer, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=30, **kwargs)


def verify(server: LiveServer, credential: Any, checks: list[str] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if checks is not None:
        body["options"] = {"checks": checks}
    return post(server, "/credentials/verify", body)


def refused(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    """A non-verified answer: ``status``, problem+json, and the VC-API members with verified false."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["verified"] is False
    assert isinstance(body["checks"], list) and isinstance(body["warnings"], list) and body["errors"]
    return body


# -- positives: generic VCs of both data models, each cryptosuite ------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_a_generic_vc_signed_by_us_verifies(
    server: LiveServer, issuer: Issuer, version: str, suite: str
) -> None:
    signed = sign(issuer, generic(issuer, version), suite)
    response = verify(server, signed, ["proof"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["checks"] == ["proof"] and body["errors"] == []
    assert body["report"]["verified"] is True
    report_checks = {check["id"]: check for check in body["report"]["checks"]}
    assert report_checks["schema"]["detail"]["dataModel"] == f"VCDM {version}"
    assert report_checks["proof"]["status"] == report_checks["issuer_key"]["status"] == "passed"


def test_without_options_every_vc_api_check_that_ran_is_named(server: LiveServer, issuer: Issuer) -> None:
    credential = generic(issuer)
    credential["validUntil"] = "2099-01-01T00:00:00Z"
    body = verify(server, sign(issuer, credential, "eddsa-rdfc-2022")).json()
    assert body["verified"] is True
    assert body["checks"] == ["proof", "credentialSchema", "validFrom", "validUntil"]
    asked = verify(server, sign(issuer, credential, "eddsa-rdfc-2022"), ["proof", "credentialStatus"]).json()
    assert asked["checks"] == ["proof"]
    assert asked["warnings"] == ["credentialStatus: requested, but the credential has nothing it applies to"]


def test_an_issued_badge_and_its_status_through_the_vc_api(server: LiveServer) -> None:
    """Our own OB 3.0 badge (did:web issuer, status list entry): verified with its status checked;
    once revoked, a 400 naming the status; asking for the proof alone does not look the status up."""
    from tests.api.test_issuing import ACHIEVEMENT, bootstrap

    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org"}},
        headers=tenant.admin,
        timeout=30,
    ).json()
    credential = issued["credential"]
    answer = verify(server, credential, ["proof", "credentialStatus"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == ["proof", "credentialStatus"]
    revoke = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "misconduct"}, headers=tenant.admin
    )
    assert revoke.status_code == 200, revoke.text
    body = refused(verify(server, credential))
    assert any(error.startswith("status: revoked on ") for error in body["errors"]), body["errors"]
    proof_only = verify(server, credential, ["proof"]).json()
    assert proof_only["verified"] is True and proof_only["checks"] == ["proof"]
    status = next(check for check in proof_only["report"]["checks"] if check["id"] == "status")
    assert status["status"] == "skipped" and status["detail"]["mode"] == "offline"


def test_an_open_badge_verifies_through_the_vc_api(server: LiveServer, issuer: Issuer) -> None:
    from tests.badges import badge

    response = verify(server, sign(issuer, badge(issuer), "eddsa-rdfc-2022"), ["proof"])
    assert response.status_code == 200, response.text
    assert response.json()["report"]["summary"]["achievement"] == "Data Analysis with Python"


def test_an_enveloped_vc_jwt(server: LiveServer, issuer: Issuer) -> None:
    from badge_issuer.formats.vcjwt import encode_vc_jwt

    token = encode_vc_jwt(generic(issuer), private_key=issuer.key, kid=issuer.signer.verification_method)
    data_url = f"data:application/vc+jwt,{token}"
    envelope: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": data_url,
    }
    response = verify(server, envelope)
    assert response.status_code == 200, response.text
    assert response.json()["report"]["checks"][0]["detail"]["envelope"] == "jwt"
    assert response.json()["checks"] == ["proof", "credentialSchema", "validFrom"]  # read from the payload
    forged = {
        **envelope,
        "id": envelope["id"][:-4] + ("AAAA" if not envelope["id"].endswith("AAAA") else "BBBB"),
    }
    refused(verify(server, forged, ["proof"]))
    other = {**envelope, "id": "data:application/vc+sd-jwt,abc"}
    assert refused(verify(server, other))["pointer"] == "/verifiableCredential/id"


# -- verification negatives ----------------------------------------------------------------------------


def test_a_value_changed_after_signing(server: LiveServer, issuer: Issuer) -> None:
    for suite in SUITES:
        signed = sign(issuer, generic(issuer), suite)
        signed["credentialSubject"]["alumniOf"]["name"] = "Another University"
        body = refused(verify(server, signed, ["proof"]))
        assert any(error.startswith("proof: ") for error in body["errors"]), (suite, body["errors"])


def test_a_wrong_proof_purpose(server: LiveServer, issuer: Issuer) -> None:
    """A valid signature made for authentication cannot stand for the issuer's assertion."""
    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022", proof_purpose="authentication")
    body = refused(verify(server, signed, ["proof"]))
    assert "purpose" in " ".join(body["errors"])


def test_an_expected_proof_purpose_other_than_assertion_method(server: LiveServer, issuer: Issuer) -> None:
    """The Data Integrity suites: a valid assertionMethod proof, but the caller expects authentication."""
    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    body = {
        "verifiableCredential": signed,
        "options": {"checks": ["proof"], "expectedProofPurpose": "authentication"},
    }
    errors = refused(post(server, "/credentials/verify", body))["errors"]
    assert "proof: options.expectedProofPurpose is 'authentication'" in errors[-1]
    body["options"]["expectedProofPurpose"] = "assertionMethod"
    assert post(server, "/credentials/verify", body).status_code == 200


def test_an_unknown_cryptosuite(server: LiveServer, issuer: Issuer) -> None:
    """Signed with eddsa-rdfc-2022's steps, but naming a suite we do not know: not a guess, a refusal."""
    proof = {**proof_fields("eddsa-rdfc-2022"), "cryptosuite": "eddsa-unknown-2022"}
    signed = crafted(issuer, generic(issuer), proof, like="eddsa-rdfc-2022")
    body = refused(verify(server, signed, ["proof"]))
    assert "unsupported DataIntegrityProof cryptosuite 'eddsa-unknown-2022'" in " ".join(body["errors"])


def test_a_proof_value_of_the_wrong_length(server: LiveServer, issuer: Issuer) -> None:
    signed = sign(issuer, generic(issuer), "Ed25519Signature2020")
    signature = multibase_decode(signed["proof"]["proofValue"])
    signed["proof"]["proofValue"] = multibase_encode(signature + bytes(range(32)), "base58btc")
    body = refused(verify(server, signed, ["proof"]))
    assert "decodes to 96 bytes, not a 64-byte Ed25519 signature" in " ".join(body["errors"])


def test_an_ed25519signature2020_proof_without_created(server: LiveServer, issuer: Issuer) -> None:
    proof = proof_fields("Ed25519Signature2020")
    del proof["created"]
    signed = crafted(issuer, generic(issuer, "1.1"), proof, like="Ed25519Signature2020")
    body = refused(verify(server, signed, ["proof"]))
    assert "must carry created" in " ".join(body["errors"])


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_an_undefined_term_added_after_signing(server: LiveServer, issuer: Issuer, suite: str) -> None:
    """VC 1.1 defines no @vocab: RDFC drops the added term, so the signature still holds; the
    context check must refuse what the signature does not cover."""
    signed = sign(issuer, generic(issuer, "1.1", examples=False), suite)
    signed["credentialSubject"]["degree"] = "Doctor of Medicine"
    body = refused(verify(server, signed, ["proof"]))
    [error] = [error for error in body["errors"] if error.startswith("context: ")]
    assert "not covered by the signature: degree" in error
    report = {check["id"]: check["status"] for check in body["report"]["checks"]}
    assert report["proof"] == "skipped"  # context is fatal: nothing after it is trusted


@pytest.mark.parametrize(
    "path",
    [
        ("@context",),
        ("type",),
        ("issuer",),
        ("credentialSubject",),
        ("proof",),
        ("proof", "type"),
        ("proof", "verificationMethod"),
        ("proof", "proofPurpose"),
        ("proof", "proofValue"),
    ],
)
def test_a_credential_missing_a_required_member(
    server: LiveServer, issuer: Issuer, path: tuple[str, ...]
) -> None:
    """The VC-API verifier test suite's cases: each is a 400 exactly."""
    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    holder = signed if len(path) == 1 else signed[path[0]]
    del holder[path[-1]]
    refused(verify(server, signed, ["proof"]))


@pytest.mark.parametrize("value", ["string", None, 10, True, []])
def test_a_proof_that_is_not_an_object(server: LiveServer, issuer: Issuer, value: Any) -> None:
    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    signed["proof"] = value
    refused(verify(server, signed, ["proof"]))


def test_an_expired_or_malformed_date(server: LiveServer, issuer: Issuer) -> None:
    expired = generic(issuer)
    expired["validUntil"] = "2026-02-01T00:00:00Z"
    signed = sign(issuer, expired, "eddsa-rdfc-2022")
    assert (
        "validity: expired on 2026-02-01 (validUntil 2026-02-01T00:00:00Z)"
        in refused(verify(server, signed))["errors"]
    )
    assert "expired on 2026-02-01" in " ".join(
        refused(verify(server, signed, ["proof", "validUntil"]))["errors"]
    )
    malformed = generic(issuer)
    malformed["validFrom"] = "2026-01-01"
    body = refused(verify(server, sign(issuer, malformed, "eddsa-jcs-2022")))
    assert any(error.startswith("schema: does not follow the VC Data Model 2.0") for error in body["errors"])


def test_asking_for_the_proof_alone_verifies_an_expired_credential_and_says_so(
    server: LiveServer, issuer: Issuer
) -> None:
    """The VC-API verifier suite's 'valid VC' has long expired and is sent with checks ["proof"]."""
    expired = generic(issuer, "1.1")
    expired["expirationDate"] = "2026-02-01T00:00:00Z"
    response = verify(server, sign(issuer, expired, "Ed25519Signature2020"), ["proof"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"] == ["proof"] and body["errors"] == []
    assert (
        "validity: not requested: expired on 2026-02-01 (expirationDate 2026-02-01T00:00:00Z)"
        in body["warnings"]
    )
    assert body["report"]["verified"] is False  # the full report still judges everything


# -- requests that are not verify requests ------------------------------------------------------------


def test_malformed_requests_get_the_same_members(server: LiveServer, issuer: Issuer) -> None:
    not_json = httpx.post(
        f"{server.url}/credentials/verify",
        content=b'{"verifiableCredential": ',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert refused(not_json)["checks"] == []
    assert "verifiableCredential is missing" in refused(post(server, "/credentials/verify", {}))["detail"]
    assert refused(post(server, "/credentials/verify", {"verifiableCredential": "eyJ"}))["pointer"] == (
        "/verifiableCredential"
    )
    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    unknown_check = post(
        server,
        "/credentials/verify",
        {"verifiableCredential": signed, "options": {"checks": ["proof", "magic"]}},
    )
    assert refused(unknown_check, 422)["pointer"] == "/options/checks/1"
    unknown_option = post(
        server, "/credentials/verify", {"verifiableCredential": signed, "options": {"returnEverything": True}}
    )
    assert "does not understand: returnEverything" in refused(unknown_option, 422)["detail"]
    plain = httpx.post(f"{server.url}/credentials/verify", content=json.dumps({}), timeout=30)
    assert plain.status_code == 415
    presentation = present(issuer, [signed])
    wrong_route = post(server, "/credentials/verify", {"verifiableCredential": presentation})
    assert "send it to /presentations/verify" in refused(wrong_route)["detail"]


# -- presentations ---------------------------------------------------------------------------------


def test_a_presentation_with_the_expected_challenge_and_domain(server: LiveServer, issuer: Issuer) -> None:
    holder = Issuer("Holder")
    credential = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    presentation = present(holder, [credential], challenge="n-42", domain="hr.example")
    options = {"challenge": "n-42", "domain": "hr.example"}
    response = post(
        server, "/presentations/verify", {"verifiablePresentation": presentation, "options": options}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True and body["checks"] == ["proof"]
    assert body["report"]["summary"]["verifiedCredentials"] == 1
    proof_check = next(c for c in body["report"]["checks"] if c["id"] == "presentation_proof")
    assert proof_check["detail"]["expectedChallenge"] == "n-42"

    for wrong in (
        {"challenge": "n-43", "domain": "hr.example"},
        {"challenge": "n-42", "domain": "evil.example"},
    ):
        answer = post(
            server, "/presentations/verify", {"verifiablePresentation": presentation, "options": wrong}
        )
        assert any(e.startswith("presentation_proof: ") for e in refused(answer)["errors"])


def test_a_presentation_holding_a_credential_that_does_not_verify(server: LiveServer, issuer: Issuer) -> None:
    holder = Issuer("Holder")
    forged = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    forged["credentialSubject"]["alumniOf"]["name"] = "Forged"
    presentation = present(holder, [forged], challenge="c-1")
    body = refused(
        post(
            server,
            "/presentations/verify",
            {"verifiablePresentation": presentation, "options": {"challenge": "c-1"}},
        )
    )
    assert any(error.startswith("verifiableCredential[0] proof: ") for error in body["errors"])


def test_a_presentation_s_checks_option_applies_to_the_credentials_it_holds(
    server: LiveServer, issuer: Issuer
) -> None:
    expired = generic(issuer)
    expired["validUntil"] = "2026-02-01T00:00:00Z"
    presentation = present(Issuer("Holder"), [sign(issuer, expired, "eddsa-rdfc-2022")], challenge="c-2")
    request: dict[str, Any] = {"verifiablePresentation": presentation, "options": {"challenge": "c-2"}}
    body = refused(post(server, "/presentations/verify", request))
    assert (
        "verifiableCredential[0] validity: expired on 2026-02-01 (validUntil 2026-02-01T00:00:00Z)"
        in body["errors"]
    )
    request["options"]["checks"] = ["proof"]
    answer = post(server, "/presentations/verify", request)
    assert answer.status_code == 200, answer.text
    assert any(
        w.startswith("verifiableCredential[0] validity: not requested: expired")
        for w in answer.json()["warnings"]
    )


def test_a_proofless_presentation_request_and_an_unknown_option(server: LiveServer, issuer: Issuer) -> None:
    credential = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    proofless = present(None, [credential])
    answer = post(server, "/presentations/verify", {"presentation": proofless})
    assert answer.status_code == 200, answer.text
    assert any(w.startswith("presentation_proof: no proof") for w in answer.json()["warnings"])
    with_challenge = post(
        server, "/presentations/verify", {"presentation": proofless, "options": {"challenge": "x"}}
    )
    refused(with_challenge)  # asked for a challenge: an unsigned presentation cannot carry it
    unknown = post(server, "/presentations/verify", {"presentation": proofless, "options": {"nonce": "x"}})
    refused(unknown, 422)
    assert refused(post(server, "/presentations/verify", {"verifiablePresentation": credential}))[
        "pointer"
    ] == ("/verifiablePresentation/type")


def test_an_enveloped_vp_jwt(server: LiveServer, issuer: Issuer) -> None:
    from badge_issuer.formats.vcjwt import encode_vc_jwt
    from tests.checks.test_presentation_jwt import vp_jwt

    holder = Issuer("Holder")
    credential = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    token = vp_jwt(holder, [credential], nonce="n-7", aud="hr.example")
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{token}",
    }
    request = {"verifiablePresentation": envelope, "options": {"challenge": "n-7", "domain": "hr.example"}}
    answer = post(server, "/presentations/verify", request)
    assert answer.status_code == 200, answer.text
    assert answer.json()["report"]["checks"][0]["message"].startswith("a VP-JWT holding 1 credential(s)")
    stale = {**request, "options": {"challenge": "n-8"}}
    assert any(
        e.startswith("presentation_proof: ")
        for e in refused(post(server, "/presentations/verify", stale))["errors"]
    )
    # a VC-JWT in a presentation's envelope, a VP-JWT in a credential's: each is the wrong route
    vc_token = encode_vc_jwt(generic(issuer), private_key=issuer.key, kid=issuer.signer.verification_method)
    as_vp = {**envelope, "id": f"data:application/vp+jwt,{vc_token}"}
    mixed = post(server, "/presentations/verify", {"verifiablePresentation": as_vp})
    assert "holds a credential, not a presentation" in refused(mixed)["detail"]
    as_vc = {**envelope, "type": "EnvelopedVerifiableCredential", "id": f"data:application/vc+jwt,{token}"}
    assert "send it to /presentations/verify" in refused(verify(server, as_vc))["detail"]


def test_the_answers_match_openapi(server: LiveServer, issuer: Issuer) -> None:
    """The 200 body validates against the documented VcApiVerification model."""
    from badge_issuer.api.schemas import Problem, VcApiVerification

    signed = sign(issuer, generic(issuer), "eddsa-rdfc-2022")
    VcApiVerification.model_validate(verify(server, signed).json())
    bad = copy.deepcopy(signed)
    bad["credentialSubject"]["alumniOf"]["name"] = "x"
    body = refused(verify(server, bad))
    Problem.model_validate(body)
    VcApiVerification.model_validate(
        {k: body[k] for k in ("verified", "checks", "warnings", "errors", "report")}
    )


# -- the VC-API verifier test suite's own credential -----------------------------------------------

SUITE_VC = Path(__file__).resolve().parents[1] / "vectors" / "vc-api" / "valid-vc-di.json"


def test_the_vc_api_verifier_suites_credential_and_its_negative_cases(server: LiveServer) -> None:
    valid = json.loads(SUITE_VC.read_text(encoding="utf-8"))
    response = verify(server, valid, ["proof"])
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == ["proof"]
    wrong: list[Any] = ["string", {}, None, 10, True]
    wrong_items: list[Any] = [[], {}, None, 10, True]
    cases: list[tuple[str, Any]] = []
    for member in ("@context", "type"):
        cases += [(member, value) for value in wrong] + [(member, [item]) for item in wrong_items]
    not_issuers: list[Any] = [[], None, 10, True]
    not_subjects: list[Any] = ["string", None, 10, True, []]
    cases += [("issuer", value) for value in not_issuers]
    cases += [("credentialSubject", value) for value in not_subjects]
    for member, value in cases:
        mutated = {**copy.deepcopy(valid), member: value}
        answer = verify(server, mutated, ["proof"])
        assert answer.status_code == 400, (member, value, answer.text)
