"""Tenancy details: key rotation, did:key issuers, sub-issuers, and where recipient emails live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer


def with_achievement(tenant: Tenant) -> Tenant:
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    return tenant


def issue(tenant: Tenant, headers: dict[str, str], recipient: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(
        tenant.url("/achievements/python-data/credentials"), json={"recipient": recipient}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def verified(tenant: Tenant, credential: dict[str, Any]) -> bool:
    report = httpx.post(f"{tenant.server.url}/api/v1/verify", json=credential, timeout=30).json()
    return bool(report["verified"])


def test_key_rotation_keeps_old_badges_valid(live_server: Callable[..., LiveServer]) -> None:
    tenant = with_achievement(bootstrap(live_server(), "uni"))
    old = issue(tenant, tenant.admin, {"id": "did:example:1"})["credential"]
    created = httpx.post(tenant.url("/keys"), headers=tenant.admin)
    assert created.status_code == 201
    assert "PRIVATE" not in created.text and "secretKey" not in created.text
    keys = httpx.get(tenant.url("/keys"), headers=tenant.admin).json()
    assert len(keys) == 2
    did_doc = httpx.get(f"{tenant.server.url}/issuers/uni/did.json").json()
    assert did_doc["assertionMethod"] == [key["id"] for key in keys]
    new = issue(tenant, tenant.admin, {"id": "did:example:1"})["credential"]
    assert new["proof"]["verificationMethod"] == created.json()["id"] != old["proof"]["verificationMethod"]
    assert verified(tenant, old) and verified(tenant, new)


def test_a_did_key_issuer_signs_as_its_key(live_server: Callable[..., LiveServer]) -> None:
    tenant = with_achievement(bootstrap(live_server(), "solo", "--did-method", "key"))
    credential = issue(tenant, tenant.admin, {"email": "a@example.org"})["credential"]
    issuer_id = credential["issuer"]["id"]
    assert issuer_id.startswith("did:key:z6Mk")
    assert credential["proof"]["verificationMethod"].startswith(issuer_id + "#")
    assert verified(tenant, credential)
    assert httpx.post(tenant.url("/keys"), headers=tenant.admin).status_code == 400


def test_sub_issuers_name_their_parent_and_are_separate_tenants(
    live_server: Callable[..., LiveServer],
) -> None:
    university = bootstrap(live_server(), "uni")
    response = httpx.post(
        f"{university.server.url}/api/v1/issuers",
        json={"slug": "physics", "name": "Faculty of Physics", "url": "https://physics.example.edu"},
        headers=university.admin,
    )
    assert response.status_code == 201, response.text
    faculty = Tenant(university.server, "physics", response.json()["adminClient"]["apiKey"])
    profile = httpx.get(f"{university.server.url}/issuers/physics").json()
    assert profile["parentOrg"]["name"] == "uni University"
    with_achievement(faculty)
    credential = issue(faculty, faculty.admin, {"id": "did:example:2"})["credential"]
    assert (
        credential["issuer"]["parentOrg"]["id"]
        == httpx.get(f"{university.server.url}/issuers/uni").json()["id"]
    )
    assert httpx.get(faculty.url("/credentials"), headers=university.admin).status_code == 404
    taken = httpx.post(
        f"{university.server.url}/api/v1/issuers",
        json={"slug": "physics", "name": "Again"},
        headers=university.admin,
    )
    assert taken.status_code == 400


def test_plain_emails_are_kept_only_when_the_deployment_says_so(
    live_server: Callable[..., LiveServer],
) -> None:
    for keep in (False, True):
        tenant = with_achievement(bootstrap(live_server(store_recipient_email=keep), f"uni{int(keep)}"))
        record_id = issue(tenant, tenant.admin, {"email": "Ada@Example.org"})["id"]
        record = httpx.get(tenant.url(f"/credentials/{record_id}"), headers=tenant.admin).json()
        assert ("email" in record["recipient"]) is keep
        if keep:
            assert record["recipient"]["email"] == "ada@example.org"
        assert "ada@example.org" not in str(record["credential"]).lower()
