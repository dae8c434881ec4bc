"""Badges other verifiers would reject are refused at issuance (422 naming the field), over HTTP."""

from __future__ import annotations

import httpx

from tests.api.test_issuing import ACHIEVEMENT, Tenant, issue, tenant

__all__ = ["tenant"]


def _refused(response: httpx.Response, pointer: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["pointer"] == pointer, response.text


def test_a_noncharacter_in_the_request_is_refused_in_every_suite(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"):
        body = {"recipient": {"email": "a@example.org", "name": "Ada\ufffe"}, "proof": [suite]}
        _refused(issue(tenant, lms, body), "/recipient/name")
    evidence = {"recipient": {"id": "did:example:1"}, "evidence": [{"name": "ok"}, {"narrative": "\ufdd0"}]}
    _refused(issue(tenant, lms, evidence), "/evidence/1/narrative")
    assert httpx.get(tenant.url("/credentials"), headers=lms).json()["items"] == []


def test_a_tab_is_refused_for_ed25519signature2020_only(tenant: Tenant) -> None:
    lms = tenant.client("issue")
    body = {"recipient": {"id": "did:example:1"}, "narrative": "col1\tcol2"}
    _refused(issue(tenant, lms, {**body, "proof": ["Ed25519Signature2020"]}), "/narrative")
    _refused(issue(tenant, lms, {**body, "proof": ["eddsa-rdfc-2022", "Ed25519Signature2020"]}), "/narrative")
    signed = issue(tenant, lms, {**body, "proof": ["eddsa-rdfc-2022"]})
    assert signed.status_code == 201, signed.text
    assert signed.json()["credential"]["credentialSubject"]["narrative"] == "col1\tcol2"


def test_an_achievement_with_a_noncharacter_is_refused_at_creation_and_update(tenant: Tenant) -> None:
    bad = {**ACHIEVEMENT, "slug": "bad", "criteria": {"narrative": "pass \uffff"}}
    _refused(httpx.post(tenant.url("/achievements"), json=bad, headers=tenant.admin), "/criteria/narrative")
    assert httpx.get(tenant.url("/achievements/bad"), headers=tenant.admin).status_code == 404
    tagged = {**ACHIEVEMENT, "tag": ["python", "\U0002ffff"]}
    _refused(httpx.put(tenant.url("/achievements/python-data"), json=tagged, headers=tenant.admin), "/tag/1")


def test_text_stored_earlier_is_checked_in_the_built_credential(tenant: Tenant) -> None:
    """A TAB is fine in a profile or badge class, but not in an Ed25519Signature2020 badge."""
    lms = tenant.client("issue")
    profile = httpx.put(tenant.url("/profile"), json={"name": "Uni\tversity"}, headers=tenant.admin)
    assert profile.status_code == 200, profile.text
    body = {"recipient": {"id": "did:example:1"}}
    _refused(issue(tenant, lms, {**body, "proof": ["Ed25519Signature2020"]}), "/issuer/name")
    assert issue(tenant, lms, body).status_code == 201
    bad_profile = httpx.put(tenant.url("/profile"), json={"name": "Uni\ufffe"}, headers=tenant.admin)
    _refused(bad_profile, "/name")
