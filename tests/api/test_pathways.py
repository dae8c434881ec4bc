"""Pathways end to end through the real server (uvicorn, SQLite and PostgreSQL): a three-step
pathway with one external badge (signed by an independent did:key issuer) completes and awards
its target exactly once under 8 concurrent completions; revoking a step is reported."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer.clock import FixedClock
from badge_issuer.credential.identity import identity_hash
from badge_issuer.db.tables import Credential, PathwayAward
from tests.api.test_concurrency import in_parallel
from tests.api.test_issuing import Tenant, bootstrap
from tests.badges import Issuer, badge
from tests.conftest import LiveServer

ADA = "ada@example.org"
EXTERNAL_ACHIEVEMENT = "https://mooc.example/achievements/sql"


def achievement(slug: str, credits: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "description": f"The {slug} course.",
        "criteria": {"narrative": "Passed."},
    }
    if credits is not None:
        body["creditsAvailable"] = credits
    return body


PATHWAY: dict[str, Any] = {
    "slug": "data-certificate",
    "name": "Certificate in Data Analysis",
    "target": "certificate",
    "policy": "flag",
    "requirements": {
        "type": "allOf",
        "requirements": [
            {"type": "achievement", "achievement": "step-one"},
            {"type": "achievement", "achievement": "step-two", "minResult": 70},
            {"type": "external", "achievementId": EXTERNAL_ACHIEVEMENT},
        ],
    },
}


def external_badge(mooc: Issuer, email: str = ADA) -> dict[str, Any]:
    unsigned = badge(mooc, id="urn:uuid:0b1f7d4e-4c8a-4f7e-9a43-1e2d3c4b5a69")
    subject = unsigned["credentialSubject"]
    subject["identifier"][0]["identityHash"] = identity_hash(email, "pepper-salt")
    subject["identifier"][0]["salt"] = "pepper-salt"
    subject["achievement"]["id"] = EXTERNAL_ACHIEVEMENT
    return mooc.sign(unsigned)


@pytest.fixture
def server(database_url: str, live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(database_url=database_url)


def setup_tenant(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    for slug in ("step-one", "step-two", "certificate"):
        response = httpx.post(tenant.url("/achievements"), json=achievement(slug), headers=tenant.admin)
        assert response.status_code == 201, response.text
    return tenant


def award_step(tenant: Tenant, slug: str, **extra: Any) -> dict[str, Any]:
    response = httpx.post(
        tenant.url(f"/achievements/{slug}/credentials"),
        json={"recipient": {"email": ADA}, **extra},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_three_step_pathway_awards_once_under_concurrent_completions(server: LiveServer) -> None:
    tenant = setup_tenant(server)
    created = httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=tenant.admin)
    assert created.status_code == 201, created.text
    assert created.json()["pathway"]["targetUrl"].endswith("/issuers/uni/achievements/certificate")
    public = httpx.get(f"{server.url}/issuers/uni/pathways/data-certificate")
    assert public.status_code == 200
    assert public.json()["requirements"]["requirements"][0]["achievementUrl"].endswith("/step-one")

    first = award_step(tenant, "step-one")
    low = award_step(tenant, "step-two", result=[{"value": "60"}])  # below minResult: does not count
    reader = tenant.client("read")
    progress = httpx.get(
        tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=reader
    )
    assert progress.status_code == 200, progress.text
    report = progress.json()
    assert report["complete"] is False and report["award"] is None
    met = [node["met"] for node in report["requirements"]["requirements"]]
    assert met == [True, False, False]
    assert report["requirements"]["requirements"][0]["countedBy"] == [first["credential"]["id"]]
    assert low["credential"]["id"] not in str(report)

    second = award_step(tenant, "step-two", result=[{"value": "85"}])
    mooc = Issuer("Open MOOC")
    external = external_badge(mooc)
    issuing = tenant.client("issue", "read")

    def complete(worker: int) -> list[httpx.Response]:
        if worker % 2:  # half submit the last step, half ask for the award: all complete it
            return [
                httpx.post(
                    tenant.url("/external-badges"),
                    json={"recipient": ADA, "credential": external},
                    headers=issuing,
                    timeout=60,
                )
            ]
        return [
            httpx.post(
                tenant.url("/pathways/data-certificate/awards"),
                json={"recipient": ADA},
                headers=issuing,
                timeout=60,
            )
        ]

    answers = [response for batch in in_parallel(8, complete) for response in batch]
    assert all(response.status_code == 200 for response in answers), [r.text for r in answers]
    records = {
        award["recordId"]
        for response in answers
        for award in (response.json().get("awards") or [response.json().get("award")])
        if award is not None
    }
    engine = create_engine(server.settings.database_url)
    try:
        with engine.connect() as connection:
            target_awards = connection.scalar(
                select(func.count()).select_from(Credential).where(Credential.achievement_id.is_not(None))
            )
            claims = connection.scalar(select(func.count()).select_from(PathwayAward))
    finally:
        engine.dispose()
    assert claims == 1
    assert target_awards == 4  # step-one, two step-two awards, and the certificate once
    assert len(records) == 1
    [record_id] = records

    done = httpx.get(
        tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=reader
    ).json()
    assert done["complete"] is True
    assert done["award"]["recordId"] == record_id
    assert set(done["counted"]) == {first["credential"]["id"], second["credential"]["id"], external["id"]}
    awarded = httpx.get(f"{server.url}/credentials/{record_id}").json()
    assert awarded["credentialSubject"]["achievement"]["id"].endswith("/achievements/certificate/versions/1")
    assert {item["id"] for item in awarded["evidence"]} == set(done["counted"])
    verdict = httpx.post(f"{server.url}/api/v1/verify", json=awarded, timeout=30).json()
    assert verdict["verified"] is True, verdict

    # a step is revoked later: reported to the issuer (policy "flag"), the award itself stays
    revoked = httpx.post(
        tenant.url(f"/credentials/{first['id']}/revoke"), json={"reason": "plagiarism"}, headers=tenant.admin
    )
    assert revoked.status_code == 200, revoked.text
    audit = httpx.get(tenant.url("/pathways/data-certificate/awards"), headers=reader).json()
    assert audit["policy"] == "flag"
    [entry] = audit["awards"]
    assert entry["recordId"] == record_id and entry["status"] == "active"
    assert entry["stepsNoLongerActive"] == [{"credential": first["credential"]["id"], "status": "revoked"}]
    assert entry["attention"] is True
    after = httpx.get(
        tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=reader
    ).json()
    assert after["complete"] is False and after["award"]["recordId"] == record_id


def test_an_external_badge_counts_only_while_it_verifies_as_the_learners(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    server = live_server(clock, database_url=database_url)
    tenant = setup_tenant(server)
    one_step = {
        **PATHWAY,
        "requirements": {"type": "allOf", "requirements": [PATHWAY["requirements"]["requirements"][2]]},
    }
    assert httpx.post(tenant.url("/pathways"), json=one_step, headers=tenant.admin).status_code == 201
    headers = tenant.client("issue", "read")
    mooc = Issuer("Open MOOC")

    def submit(credential: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            tenant.url("/external-badges"), json={"recipient": ADA, "credential": credential}, headers=headers
        )

    refused = submit(external_badge(mooc, email="grace@example.org"))
    assert refused.status_code == 422, refused.text
    assert "recipient" in refused.json()["detail"]
    tampered = copy.deepcopy(external_badge(mooc))
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    refused = submit(tampered)
    assert refused.status_code == 422, refused.text
    assert "proof" in refused.json()["detail"]
    # verified when submitted; once it has expired it stops counting, and the report says why
    expiring = badge(
        mooc, id="urn:uuid:5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f", validUntil="2026-04-01T00:00:00Z"
    )
    expiring["credentialSubject"]["identifier"][0]["identityHash"] = identity_hash(ADA, "s")
    expiring["credentialSubject"]["identifier"][0]["salt"] = "s"
    expiring["credentialSubject"]["achievement"]["id"] = "https://mooc.example/achievements/other"
    accepted = submit(mooc.sign(expiring))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"awards": []}  # it is not the achievement the pathway asks for

    def progress() -> dict[str, Any]:
        answer = httpx.get(
            tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert progress()["notCounting"] == []
    clock.at = datetime(2026, 4, 2, tzinfo=UTC)
    [set_aside] = progress()["notCounting"]
    assert set_aside["credential"] == expiring["id"] and "validity" in set_aside["reason"]
    assert progress()["complete"] is False


def test_pathway_definitions_are_checked_and_versioned(server: LiveServer) -> None:
    tenant = setup_tenant(server)
    reader = tenant.client("read")
    assert httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=reader).status_code == 403

    def refused(body: dict[str, Any]) -> str:
        response = httpx.post(tenant.url("/pathways"), json=body, headers=tenant.admin)
        assert response.status_code == 422, response.text
        return str(response.json())

    unknown = copy.deepcopy(PATHWAY)
    unknown["requirements"]["requirements"][0]["achievement"] = "no-such-course"
    assert "no-such-course" in refused(unknown)
    too_many = copy.deepcopy(PATHWAY)
    too_many["requirements"] = {
        "type": "anyOf",
        "count": 3,
        "requirements": PATHWAY["requirements"]["requirements"][:2],
    }
    assert "count" in refused(too_many)
    deep: dict[str, Any] = {"type": "achievement", "achievement": "step-one"}
    for _ in range(10):
        deep = {"type": "allOf", "requirements": [deep]}
    assert "deep" in refused({**PATHWAY, "requirements": deep})
    assert "external requirement" in refused(
        {
            **PATHWAY,
            "requirements": {"type": "allOf", "requirements": [{"type": "external", "issuer": "did:x:y"}]},
        }
    )

    assert httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=tenant.admin).status_code == 201
    # the certificate requires step-one; a pathway to step-one requiring the certificate is a cycle
    cycle = {
        "slug": "backwards",
        "name": "Backwards",
        "target": "step-one",
        "requirements": {
            "type": "allOf",
            "requirements": [{"type": "achievement", "achievement": "certificate"}],
        },
    }
    assert "cycle" in refused(cycle)
    credits = {
        "slug": "credits",
        "name": "Credits",
        "target": "certificate",
        "requirements": {
            "type": "credits",
            "credits": 10,
            "requirements": [{"type": "achievement", "achievement": "step-one"}],
        },
    }
    updated = httpx.put(
        tenant.url("/pathways/data-certificate"), json={**credits, "slug": None}, headers=tenant.admin
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2 and updated.json()["pathway"]["requirements"]["type"] == "credits"
    first = httpx.get(f"{server.url}/issuers/uni/pathways/data-certificate/versions/1").json()
    assert first["requirements"]["type"] == "allOf" and first["version"] == 1
    listed = httpx.get(tenant.url("/pathways"), headers=reader).json()
    assert [item["currentVersion"] for item in listed] == [2]
    assert httpx.get(f"{server.url}/issuers/uni/pathways/nothing").status_code == 404
    # the same URLs are pages for people: the pathway with its steps
    browser = {"Accept": "text/html"}
    page = httpx.get(f"{server.url}/issuers/uni/pathways/data-certificate/versions/1", headers=browser)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "Accept" in page.headers["vary"]
    html = page.text
    assert '<h1 id="pathway-title">Certificate in Data Analysis</h1>' in html
    assert f'<a href="{server.url}/issuers/uni/achievements/step-one">Step One</a>' in html
    assert "with a result of at least 70" in html and f"<code>{EXTERNAL_ACHIEVEMENT}</code>" in html
    assert "All of:" in html and "(the current version is 2)" in html
    current = httpx.get(f"{server.url}/issuers/uni/pathways/data-certificate", headers=browser).text
    assert "At least 10 credits from:" in current
    missing = httpx.get(f"{server.url}/issuers/uni/pathways/nothing", headers=browser)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    nobody = httpx.get(
        tenant.url("/pathways/data-certificate/progress"), params={"recipient": "nobody"}, headers=reader
    )
    assert nobody.status_code == 400 and nobody.json()["pointer"] == "recipient"


def test_issuing_the_last_step_awards_stacked_pathways_once(server: LiveServer) -> None:
    tenant = setup_tenant(server)
    diploma = httpx.post(tenant.url("/achievements"), json=achievement("diploma"), headers=tenant.admin)
    assert diploma.status_code == 201
    certificate = {
        "slug": "certificate",
        "name": "Certificate",
        "target": "certificate",
        "requirements": {
            "type": "anyOf",
            "count": 2,
            "requirements": [
                {"type": "achievement", "achievement": "step-one"},
                {"type": "achievement", "achievement": "step-two"},
                {"type": "external", "achievementId": EXTERNAL_ACHIEVEMENT},
            ],
        },
    }
    stacked = {
        "slug": "diploma",
        "name": "Diploma",
        "target": "diploma",
        "requirements": {
            "type": "allOf",
            "requirements": [{"type": "achievement", "achievement": "certificate"}],
        },
    }
    for body in (certificate, stacked):
        assert httpx.post(tenant.url("/pathways"), json=body, headers=tenant.admin).status_code == 201
    award_step(tenant, "step-one")
    issuing = tenant.client("issue")

    def last_step(worker: int) -> list[httpx.Response]:  # 8 completions at once, each its own award
        return [
            httpx.post(
                tenant.url("/achievements/step-two/credentials"),
                json={"recipient": {"email": ADA}},
                headers={**issuing, "Idempotency-Key": f"step-two-{worker}"},
                timeout=60,
            )
        ]

    answers = [response for batch in in_parallel(8, last_step) for response in batch]
    assert [response.status_code for response in answers] == [201] * 8, [r.text for r in answers]
    reader = tenant.client("read")
    for pathway, target in (("certificate", "certificate"), ("diploma", "diploma")):
        audit = httpx.get(tenant.url(f"/pathways/{pathway}/awards"), headers=reader).json()
        [entry] = audit["awards"]
        awarded = httpx.get(f"{server.url}/credentials/{entry['recordId']}").json()
        assert f"/achievements/{target}/versions/1" in awarded["credentialSubject"]["achievement"]["id"]
    records = httpx.get(tenant.url("/credentials"), params={"limit": "100"}, headers=reader).json()["items"]
    made = sorted(item["achievement"]["slug"] for item in records)
    assert made == ["certificate", "diploma", "step-one", *["step-two"] * 8]


@pytest.mark.parametrize("policy", ["keep", "revoke"])
def test_revoking_a_step_follows_the_pathways_policy(server: LiveServer, policy: str) -> None:
    tenant = setup_tenant(server)
    pathway = {
        "slug": "cert",
        "name": "Certificate",
        "target": "certificate",
        "policy": policy,
        "requirements": {
            "type": "allOf",
            "requirements": [{"type": "achievement", "achievement": "step-one"}],
        },
    }
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    step = award_step(tenant, "step-one")
    audit = httpx.get(tenant.url("/pathways/cert/awards"), headers=tenant.admin).json()
    [entry] = audit["awards"]
    assert entry["status"] == "active" and entry["evidence"] == [step["credential"]["id"]]
    # revoked through the VC-API status route: the policy applies there too
    changed = httpx.post(
        f"{server.url}/credentials/status",
        json={
            "credentialId": step["credential"]["id"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
        headers=tenant.admin,
    )
    assert changed.status_code == 200, changed.text
    [after] = httpx.get(tenant.url("/pathways/cert/awards"), headers=tenant.admin).json()["awards"]
    assert after["stepsNoLongerActive"] == [{"credential": step["credential"]["id"], "status": "revoked"}]
    assert after["status"] == ("revoked" if policy == "revoke" else "active")
    assert after["attention"] is (policy != "keep")
    record = httpx.get(tenant.url(f"/credentials/{after['recordId']}"), headers=tenant.admin).json()
    assert record["status"] == after["status"]
    verdict = httpx.post(f"{server.url}/api/v1/verify", json=record["credential"], timeout=30).json()
    assert verdict["verified"] is (policy == "keep")
