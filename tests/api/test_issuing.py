"""Issuing end to end: the real app under uvicorn, driven over HTTP like an LMS would."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from badge_issuer.credential.identity import identity_hash
from badge_issuer.crypto.data_integrity import proofs_of, verify_proof
from badge_issuer.crypto.resolver import StaticResolver
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.jsonld.loader import DocumentLoader
from tests.conftest import LiveServer, run_cli

ACHIEVEMENT = {
    "slug": "python-data",
    "name": "Data Analysis with Python",
    "description": "Cleans, explores and models tabular data with pandas.",
    "criteria": {"narrative": "Passed the final project with at least 70%."},
    "achievementType": "Course",
    "tag": ["python", "data"],
    "alignment": [
        {
            "targetName": "Data analysis",
            "targetUrl": "https://esco.ec.europa.eu/en/classification/skill?uri=abc",
            "targetFramework": "ESCO",
        }
    ],
    "creditsAvailable": 5,
}


class Tenant:
    def __init__(self, server: LiveServer, slug: str, admin_key: str) -> None:
        self.server = server
        self.slug = slug
        self.admin = {"Authorization": f"Bearer {admin_key}"}

    def url(self, path: str) -> str:
        return f"{self.server.url}/api/v1/issuers/{self.slug}{path}"

    def client(self, *scopes: str) -> dict[str, str]:
        response = httpx.post(
            self.url("/clients"), json={"name": "LMS", "scopes": list(scopes)}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['apiKey']}"}


def bootstrap(server: LiveServer, slug: str, *extra: str) -> Tenant:
    printed = run_cli(server.settings, "issuers", "create", slug, "--name", f"{slug} University", *extra)
    created = json.loads(printed.strip().splitlines()[-1])
    return Tenant(server, slug, created["adminApiKey"])


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    server = live_server()
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def issue(tenant: Tenant, headers: dict[str, str], body: dict[str, Any], **extra: str) -> httpx.Response:
    return httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json=body,
        headers={**headers, **extra},
        timeout=30,
    )


def resolver_for(tenant: Tenant) -> StaticResolver:
    issuer = httpx.get(f"{tenant.server.url}/api/v1/issuers/{tenant.slug}", headers=tenant.admin).json()
    did_doc = httpx.get(f"{tenant.server.url}/issuers/{tenant.slug}/did.json").json()
    assert did_doc["id"] == issuer["id"]
    return StaticResolver({issuer["id"]: did_doc})


def test_issue_signs_a_valid_ob3_credential_with_a_hashed_email(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    response = issue(tenant, lms, {"recipient": {"email": "Ada@Example.org", "name": "Ada Lovelace"}})
    assert response.status_code == 201, response.text
    body = response.json()
    credential = body["credential"]
    assert response.headers["location"] == credential["id"] == body["credentialId"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["validFrom"].endswith("Z")
    assert "ada@example.org" not in response.text.lower()
    [hashed, name] = credential["credentialSubject"]["identifier"]
    assert hashed["identityHash"] == identity_hash("ada@example.org", hashed["salt"])
    assert name == {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": "Ada Lovelace",
        "identityType": "name",
    }
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert isinstance(status["statusListIndex"], str)
    [proof] = proofs_of(credential)
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    canon = CanonOptions(loader=DocumentLoader.pinned())
    verified = verify_proof(credential, proof, canon=canon, resolver=resolver_for(tenant))
    assert verified.verification_method.controller == credential["issuer"]["id"]

    public = httpx.get(credential["id"])
    assert public.status_code == 200
    assert public.headers["content-type"].startswith("application/vc+ld+json")
    assert public.json() == credential
    achievement = httpx.get(credential["credentialSubject"]["achievement"]["id"])
    assert achievement.headers["content-type"].startswith("application/ld+json")
    assert achievement.json()["name"] == ACHIEVEMENT["name"]
    profile = httpx.get(f"{tenant.server.url}/issuers/uni")
    assert profile.json()["id"] == credential["issuer"]["id"]
    assert "max-age" in profile.headers["cache-control"]


def test_suites_and_proof_sets_on_request(tenant: Tenant) -> None:
    lms = tenant.client("issue")
    resolver = resolver_for(tenant)
    canon = CanonOptions(loader=DocumentLoader.pinned())
    for suites in (["eddsa-jcs-2022"], ["Ed25519Signature2020"], ["eddsa-rdfc-2022", "eddsa-jcs-2022"]):
        response = issue(tenant, lms, {"recipient": {"id": "did:example:learner"}, "proof": suites})
        assert response.status_code == 201, response.text
        credential = response.json()["credential"]
        proofs = proofs_of(credential)
        assert len(proofs) == len(suites)
        for proof in proofs:
            verify_proof(credential, proof, canon=canon, resolver=resolver)


def test_idempotency_replays_the_first_award_and_refuses_a_different_body(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    body = {"recipient": {"email": "grace@example.org"}}
    first = issue(tenant, lms, body, **{"Idempotency-Key": "course-7-grace"})
    again = issue(tenant, lms, body, **{"Idempotency-Key": "course-7-grace"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    conflict = issue(
        tenant, lms, {"recipient": {"email": "alan@example.org"}}, **{"Idempotency-Key": "course-7-grace"}
    )
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    no_key_1 = issue(tenant, lms, body)
    no_key_2 = issue(tenant, lms, body)
    assert no_key_1.json()["id"] != no_key_2.json()["id"]
    records = httpx.get(
        tenant.url("/credentials"), params={"recipient": "grace@example.org"}, headers=lms
    ).json()
    assert len(records["items"]) == 3


def test_batch_reports_each_item_and_bad_rows_do_not_sink_the_others(tenant: Tenant) -> None:
    lms = tenant.client("issue")
    items: list[dict[str, Any]] = [{"recipient": {"email": f"learner{i}@example.org"}} for i in range(5)]
    items.insert(2, {"recipient": {"email": "not-an-email"}})
    items.insert(4, {"recipient": {"id": "did:example:x"}, "validUntil": "2000-01-01T00:00:00Z"})
    items.append({"recipient": {"email": "dup@example.org"}, "idempotencyKey": "k1"})
    url = tenant.url("/achievements/python-data/credentials:batch")
    response = httpx.post(url, json={"items": items}, headers=lms, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"created": 6, "replayed": 0, "rejected": 2}
    statuses = [result["status"] for result in body["results"]]
    assert statuses[2] == statuses[4] == "rejected"
    assert body["results"][2]["problem"]["type"].endswith("validation-failed")
    again = httpx.post(url, json={"items": items[-1:]}, headers=lms, timeout=60).json()
    assert again["results"][0]["status"] == "replayed"
    assert httpx.post(url, json={"items": [{}] * 1001}, headers=lms).status_code == 422


def test_a_client_of_one_issuer_cannot_touch_another(tenant: Tenant) -> None:
    other = bootstrap(tenant.server, "rival")
    rival_lms = other.client("issue", "read", "revoke")
    lms = tenant.client("issue")
    mine = issue(tenant, lms, {"recipient": {"email": "a@example.org"}}).json()
    assert issue(tenant, rival_lms, {"recipient": {"email": "b@example.org"}}).status_code == 404
    assert httpx.get(tenant.url(f"/credentials/{mine['id']}"), headers=rival_lms).status_code == 404
    assert httpx.get(tenant.url("/credentials"), headers=rival_lms).status_code == 404
    assert httpx.get(other.url(f"/credentials/{mine['id']}"), headers=rival_lms).status_code == 404


def test_auth_errors_are_problems(tenant: Tenant) -> None:
    reader = tenant.client("read")
    no_auth = issue(tenant, {}, {"recipient": {"email": "a@example.org"}})
    assert no_auth.status_code == 401
    assert no_auth.headers["content-type"] == "application/problem+json"
    bad = issue(tenant, {"Authorization": "Bearer bik_nope.nope"}, {"recipient": {"email": "a@example.org"}})
    assert bad.status_code == 401
    forbidden = issue(tenant, reader, {"recipient": {"email": "a@example.org"}})
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"recipient": {}},
        {"recipient": {"email": "a@example.org", "id": "did:example:1"}},
        {"recipient": {"email": "a@example.org"}, "surprise": 1},
        {"recipient": {"email": "a@example.org"}, "validFrom": "2026-01-01T00:00:00"},
        {"recipient": {"email": "a@example.org"}, "proof": ["RsaSignature2018"]},
        {"recipient": {"id": "not a uri"}},
        [],
        "text",
    ],
)
def test_bad_issue_requests_are_422_problems_and_write_nothing(tenant: Tenant, body: Any) -> None:
    lms = tenant.client("issue", "read")
    response = issue(tenant, lms, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert httpx.get(tenant.url("/credentials"), headers=lms).json()["items"] == []


def test_updating_an_achievement_makes_a_new_version_and_old_badges_keep_theirs(tenant: Tenant) -> None:
    lms = tenant.client("issue")
    before = issue(tenant, lms, {"recipient": {"id": "did:example:1"}}).json()["credential"]
    changed = {**ACHIEVEMENT, "description": "Now with time series."}
    updated = httpx.put(tenant.url("/achievements/python-data"), json=changed, headers=tenant.admin)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    after = issue(tenant, lms, {"recipient": {"id": "did:example:1"}}).json()["credential"]
    old_id = before["credentialSubject"]["achievement"]["id"]
    new = after["credentialSubject"]["achievement"]
    assert new["id"] != old_id
    assert new["related"][0]["id"] == old_id
    assert httpx.get(old_id).json()["description"] == ACHIEVEMENT["description"]
    assert httpx.get(credential_url := before["id"]).json() == before, credential_url


def test_records_list_filters_and_paginates(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    for i in range(5):
        issue(tenant, lms, {"recipient": {"email": f"p{i}@example.org"}})
    page = httpx.get(tenant.url("/credentials"), params={"limit": 2}, headers=lms)
    first = page.json()
    assert len(first["items"]) == 2 and first["next"]
    assert 'rel="next"' in page.headers["link"]
    seen = [item["id"] for item in first["items"]]
    cursor = first["next"]
    while cursor:
        nxt = httpx.get(tenant.url("/credentials"), params={"limit": 2, "cursor": cursor}, headers=lms).json()
        seen += [item["id"] for item in nxt["items"]]
        cursor = nxt["next"]
    assert len(seen) == len(set(seen)) == 5
    one = httpx.get(tenant.url(f"/credentials/{seen[0]}"), headers=lms).json()
    assert one["status"] == "active"
    assert "email" not in one["recipient"]
    assert one["created"].endswith("+00:00")
    hour_ago_elsewhere = (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=5)))
    since = httpx.get(
        tenant.url("/credentials"), params={"since": hour_ago_elsewhere.isoformat()}, headers=lms
    )
    assert len(since.json()["items"]) == 5
    until = httpx.get(
        tenant.url("/credentials"), params={"until": hour_ago_elsewhere.isoformat()}, headers=lms
    )
    assert until.json()["items"] == []
    odd = httpx.get(
        tenant.url("/credentials"), params={"limit": 2, "x": 'a>; rel="evil",<https://e/'}, headers=lms
    )
    assert odd.headers["link"].count("<") == 1 and 'rel="evil"' not in odd.headers["link"]
    filtered = httpx.get(tenant.url("/credentials"), params={"achievement": "nope"}, headers=lms).json()
    assert filtered["items"] == []
    bad_cursor = httpx.get(tenant.url("/credentials"), params={"cursor": "%%%"}, headers=lms)
    assert bad_cursor.status_code == 400


def test_edge_inputs_found_in_review_are_4xx_not_500(tenant: Tenant) -> None:
    base = tenant.server.url
    huge = "99999999999999999999"
    for url in (
        f"{base}/issuers/uni/status/revocation/{huge}",
        f"{base}/issuers/uni/achievements/python-data/versions/{huge}",
    ):
        response = httpx.get(url)
        assert response.status_code == 422, url
        assert response.headers["content-type"] == "application/problem+json"
    versioned = httpx.get(
        tenant.url("/achievements/python-data"), params={"version": huge}, headers=tenant.admin
    )
    assert versioned.status_code == 422
    for moment in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"):
        far = issue(tenant, tenant.admin, {"recipient": {"email": "a@example.org"}, "validFrom": moment})
        assert far.status_code == 422, far.text
    infinite = httpx.post(
        tenant.url("/achievements"),
        content=json.dumps({**ACHIEVEMENT, "slug": "inf", "creditsAvailable": float("inf")}),
        headers={**tenant.admin, "Content-Type": "application/json"},
    )
    assert infinite.status_code == 422, infinite.text
    for bad in (
        {"achievementType": "Foo"},
        {"resultDescription": [{"name": "Grade", "resultType": "Bogus"}]},
        {"resultDescription": [{"id": "not a uri", "name": "Grade", "resultType": "LetterGrade"}]},
        {"alignment": [{"targetName": "x", "targetUrl": "https://x.example", "targetType": "nope"}]},
    ):
        refused = httpx.post(
            tenant.url("/achievements"), json={**ACHIEVEMENT, "slug": "bad", **bad}, headers=tenant.admin
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{base}/issuers/uni/achievements/bad").status_code == 404


def test_a_revoked_api_key_stops_working_at_once(tenant: Tenant) -> None:
    response = httpx.post(
        tenant.url("/clients"), json={"name": "Old LMS", "scopes": ["issue"]}, headers=tenant.admin
    )
    client = response.json()
    lms = {"Authorization": f"Bearer {client['apiKey']}"}
    assert issue(tenant, lms, {"recipient": {"id": "did:example:1"}}).status_code == 201
    rival = bootstrap(tenant.server, "rival")
    assert httpx.post(rival.url(f"/clients/{client['id']}/revoke"), headers=rival.admin).status_code == 404
    revoked = httpx.post(tenant.url(f"/clients/{client['id']}/revoke"), headers=tenant.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert issue(tenant, lms, {"recipient": {"id": "did:example:1"}}).status_code == 401
    listed = httpx.get(tenant.url("/clients"), headers=tenant.admin).json()
    assert [c["revoked"] for c in listed if c["id"] == client["id"]] == [True]
    assert "apiKey" not in str(listed)
