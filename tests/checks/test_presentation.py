"""presentation_proof and holder: a presentation's own proof, challenge, domain and holder binding."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from badge_issuer.checks import CheckResult, VerifyOptions
from badge_issuer.checks.presentation import presentation_checks
from tests.badges import Issuer, badge, context, present


def ada_badge(university: Issuer, ada: Issuer) -> dict[str, Any]:
    credential = badge(university)
    credential["credentialSubject"] = {**credential["credentialSubject"], "id": ada.did}
    return university.sign(credential)


def run(presentation: dict[str, Any], **options: Any) -> tuple[CheckResult, CheckResult]:
    ctx = replace(context(), options=VerifyOptions(**options))
    credentials = presentation.get("verifiableCredential", [])
    return presentation_checks(presentation, credentials, ctx)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_holder_authenticates_with_the_expected_challenge_and_domain(
    university: Issuer, ada: Issuer, suite: str
) -> None:
    vp = present(ada, [ada_badge(university, ada)], challenge="c-1", domain="hr.example", suite=suite)
    proof, holder = run(vp, challenge="c-1", domain="hr.example", subject_is_holder=True)
    assert proof.status == "passed", proof.message
    assert "with the expected challenge for domain hr.example" in proof.message
    assert holder.status == "passed", holder.message
    assert f"the holder {ada.did} is authenticated" in holder.message
    assert holder.detail["subjects"][0]["boundToHolder"] is True


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"challenge": "c-2"}, "challenge does not match"),
        ({"domain": "other.example"}, "domain does not match"),
    ],
)
def test_wrong_challenge_or_domain_fails(university: Issuer, ada: Issuer, options: Any, text: str) -> None:
    vp = present(ada, [ada_badge(university, ada)], challenge="c-1", domain="hr.example")
    proof, _ = run(vp, **options)
    assert proof.status == "failed"
    assert text in proof.message


def test_garbage_proof_fails(university: Issuer, ada: Issuer) -> None:
    """Regression (#8): a presentation was accepted whatever its own proof."""
    vp = present(ada, [ada_badge(university, ada)], challenge="c-1")
    vp["proof"]["proofValue"] = "z" + "1" * 80
    proof, holder = run(vp)
    assert proof.status == "failed" and "does not verify" in proof.message
    assert holder.status == "warning" and "no valid proof establishes it" in holder.message


def test_a_proof_for_assertion_is_not_authentication(university: Issuer, ada: Issuer) -> None:
    vp = present(ada, [ada_badge(university, ada)], purpose="assertionMethod")
    proof, _ = run(vp)
    assert proof.status == "failed" and "expected 'authentication'" in proof.message


def test_a_proof_with_no_challenge_expected_warns_of_replay(university: Issuer, ada: Issuer) -> None:
    vp = present(ada, [ada_badge(university, ada)], challenge="c-1")
    proof, holder = run(vp)
    assert proof.status == "warning" and "may be a replay" in proof.message
    assert holder.status == "passed"


def test_no_proof(university: Issuer, ada: Issuer) -> None:
    vp = present(None, [ada_badge(university, ada)], holder_id=ada.did)
    proof, holder = run(vp)
    assert proof.status == "warning"
    assert proof.message.startswith("no proof on the presentation: the presenter is not authenticated")
    assert holder.status == "warning" and "no valid proof establishes it" in holder.message
    proof, _ = run(vp, challenge="c-1")
    assert proof.status == "failed" and "but the caller asked for challenge c-1" in proof.message
    proof, holder = run(vp, subject_is_holder=True)
    assert proof.status == "failed" and holder.status == "failed"
    proof, _ = run(present(None, []))
    assert proof.status == "failed" and "it establishes nothing" in proof.message


def test_holder_must_be_the_keys_controller(university: Issuer, ada: Issuer) -> None:
    """Regression (#8): holder ≠ the key's controller was accepted."""
    mallory = Issuer("Mallory")
    vp = present(mallory, [ada_badge(university, ada)], holder_id=ada.did, challenge="c-1")
    proof, holder = run(vp, challenge="c-1")
    assert proof.status == "passed"
    assert holder.status == "failed"
    assert f"names holder {ada.did}, but it was signed with a key of {mallory.did}" in holder.message


def test_someone_elses_credential_warns_and_fails_when_subject_binding_is_demanded(
    university: Issuer, ada: Issuer
) -> None:
    mallory = Issuer("Mallory")
    vp = present(mallory, [ada_badge(university, ada)], challenge="c-1")
    _, holder = run(vp, challenge="c-1")
    assert holder.status == "warning" and "presents others' credentials" in holder.message
    assert holder.detail["subjects"][0] == {
        "credential": 0,
        "subject": ada.did,
        "boundToHolder": False,
        "message": f"issued to {ada.did}, not to the authenticated holder",
    }
    _, holder = run(vp, challenge="c-1", subject_is_holder=True)
    assert holder.status == "failed"


def test_a_subject_without_a_did_is_reported_and_fails_only_when_binding_is_demanded(
    university: Issuer, ada: Issuer
) -> None:
    vp = present(ada, [university.sign(badge(university))], challenge="c-1")
    _, holder = run(vp, challenge="c-1")
    assert holder.status == "passed" and "1 credential(s) name no DID subject" in holder.message
    assert holder.detail["subjects"][0]["boundToHolder"] is None
    _, holder = run(vp, challenge="c-1", subject_is_holder=True)
    assert holder.status == "failed" and "cannot be bound to the holder" in holder.message


def test_authentication_only_presentation(ada: Issuer) -> None:
    proof, holder = run(present(ada, [], challenge="c-9"), challenge="c-9")
    assert proof.status == "passed" and holder.status == "passed"
