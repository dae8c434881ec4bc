"""CLR 2.0 end to end through the real server: a learner's 50 badges nested in one signed
ClrCredential that the CLR 2.0 schema accepts and our verifier verifies, nested reports included."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from badge_issuer.credential.identity import matches
from badge_issuer.credential.schema import SchemaValidator, default_schema, default_schemas_dir
from badge_issuer.credential.vocab import CLR_CREDENTIAL_SCHEMA
from tests.api.test_issuing import Tenant, bootstrap
from tests.api.test_pathways import ADA, achievement, external_badge
from tests.badges import Issuer
from tests.conftest import LiveServer


@pytest.fixture
def server(database_url: str, live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(database_url=database_url)


def setup(server: LiveServer, courses: int) -> Tenant:
    tenant = bootstrap(server, "uni")
    for body in (achievement("course", credits=2), achievement("certificate")):
        assert httpx.post(tenant.url("/achievements"), json=body, headers=tenant.admin).status_code == 201
    pathway = {
        "slug": "cert",
        "name": "Certificate",
        "target": "certificate",
        "requirements": {
            "type": "credits",
            "credits": 2,
            "requirements": [{"type": "achievement", "achievement": "course"}],
        },
    }
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    items = [{"recipient": {"email": ADA}, "creditsEarned": 2} for _ in range(courses)]
    batch = httpx.post(
        tenant.url("/achievements/course/credentials:batch"),
        json={"items": items},
        headers=tenant.admin,
        timeout=120,
    )
    assert batch.status_code == 200, batch.text
    awarded = httpx.post(
        tenant.url("/pathways/cert/awards"), json={"recipient": ADA}, headers=tenant.admin, timeout=60
    )
    assert awarded.status_code == 200 and awarded.json()["award"]["recordId"], awarded.text
    return tenant


def test_a_clr_of_50_nested_badges_validates_and_verifies(server: LiveServer) -> None:
    tenant = setup(server, 49)  # and the certificate the pathway awarded: 50
    started = time.perf_counter()
    made = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=tenant.admin, timeout=120)
    signing = time.perf_counter() - started
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    clr = body["credential"]
    assert body["totals"] == {"credentials": 50, "credits": 98.0}
    subject = clr["credentialSubject"]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert len(subject["verifiableCredential"]) == 50
    assert all(
        "proof" in nested and "credentialStatus" in nested for nested in subject["verifiableCredential"]
    )
    assert matches(subject["identifier"][0], ADA, "emailAddress")
    kinds = {item["associationType"] for item in subject["association"]}
    assert kinds == {"isParentOf", "isPartOf"}
    parent = next(item for item in subject["association"] if item["associationType"] == "isParentOf")
    assert parent["sourceId"].endswith("/achievements/certificate/versions/1")
    assert parent["targetId"].endswith("/achievements/course/versions/1")
    assert clr["credentialStatus"]["statusPurpose"] == "revocation"
    schemas = SchemaValidator(default_schemas_dir())
    assert default_schema(clr) == CLR_CREDENTIAL_SCHEMA
    schemas.validate_credential(clr)  # raises when the CLR 2.0 schema refuses it
    assert httpx.get(made.headers["location"]).json() == clr

    started = time.perf_counter()
    verdict = httpx.post(f"{server.url}/api/v1/verify", json=clr, timeout=120)
    verifying = time.perf_counter() - started
    report = verdict.json()
    assert report["verified"] is True, [c for c in report["checks"] if c["status"] != "passed"]
    assert {c["id"]: c["status"] for c in report["checks"]}["clr"] == "passed"
    assert len(report["credentials"]) == 50 and all(r["verified"] for r in report["credentials"])
    print(
        f"CLR of 50: signed in {signing:.2f} s, verified in {verifying:.2f} s "
        f"(HTTP, {len(made.content)} bytes)"
    )

    # a nested badge revoked later fails the CLR that carries it; a new CLR leaves it out
    first = subject["verifiableCredential"][0]["id"].rsplit("/", 1)[1]
    revoked = httpx.post(
        tenant.url(f"/credentials/{first}/revoke"), json={"reason": "error"}, headers=tenant.admin
    )
    assert revoked.status_code == 200
    again = httpx.post(f"{server.url}/api/v1/verify", json=clr, timeout=120).json()
    assert again["verified"] is False
    assert "verifiableCredential/0" in next(c for c in again["checks"] if c["id"] == "clr")["message"]
    fresh = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=tenant.admin, timeout=120).json()
    assert fresh["totals"]["credentials"] == 49


def test_a_clr_needs_a_learner_with_badges_and_the_issue_scope(server: LiveServer) -> None:
    tenant = setup(server, 1)
    reader = tenant.client("read")
    assert httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=reader).status_code == 403
    nobody = httpx.post(tenant.url("/clr"), json={"recipient": "grace@example.org"}, headers=tenant.admin)
    assert nobody.status_code == 422 and "no active badge" in nobody.json()["detail"]
    key = {**tenant.admin, "Idempotency-Key": "clr-1"}
    first = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=key, timeout=60)
    replay = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=key, timeout=60)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()


def test_a_clr_carries_submitted_external_badges_on_request(server: LiveServer) -> None:
    tenant = setup(server, 2)  # two courses and the certificate
    external = external_badge(Issuer("Open MOOC"))
    submitted = httpx.post(
        tenant.url("/external-badges"), json={"recipient": ADA, "credential": external}, headers=tenant.admin
    )
    assert submitted.status_code == 200, submitted.text
    own = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=tenant.admin, timeout=60).json()
    assert own["totals"]["credentials"] == 3
    made = httpx.post(
        tenant.url("/clr"), json={"recipient": ADA, "includeExternal": True}, headers=tenant.admin, timeout=60
    )
    assert made.status_code == 201, made.text
    clr = made.json()["credential"]
    nested = clr["credentialSubject"]["verifiableCredential"]
    assert len(nested) == 4 and nested[-1] == external
    report = httpx.post(f"{server.url}/api/v1/verify", json=clr, timeout=60).json()
    assert report["verified"] is True, [c for c in report["checks"] if c["status"] != "passed"]
    assert report["credentials"][-1]["summary"]["issuer"]["id"] == external["issuer"]["id"]


def test_a_pathway_whose_steps_are_ordered_says_which_precedes_which(server: LiveServer) -> None:
    tenant = bootstrap(server, "uni")
    for slug in ("intro", "middle", "advanced", "track"):
        assert (
            httpx.post(tenant.url("/achievements"), json=achievement(slug), headers=tenant.admin).status_code
            == 201
        )
    steps = [{"type": "achievement", "achievement": slug} for slug in ("intro", "middle", "advanced")]
    pathway = {
        "slug": "track",
        "name": "Track",
        "target": "track",
        "requirements": {"type": "allOf", "ordered": True, "requirements": steps},
    }
    unordered = {
        **pathway,
        "requirements": {"type": "anyOf", "count": 1, "ordered": True, "requirements": steps},
    }
    refused = httpx.post(tenant.url("/pathways"), json=unordered, headers=tenant.admin)
    assert refused.status_code == 422 and "ordered" in refused.text
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    for slug in ("intro", "advanced"):  # the learner skipped the middle step so far
        issued = httpx.post(
            tenant.url(f"/achievements/{slug}/credentials"),
            json={"recipient": {"email": ADA}},
            headers=tenant.admin,
        )
        assert issued.status_code == 201, issued.text

    def precedes() -> set[tuple[str, str]]:
        made = httpx.post(tenant.url("/clr"), json={"recipient": ADA}, headers=tenant.admin, timeout=60)
        assert made.status_code == 201, made.text
        return {
            (item["sourceId"].split("/")[-3], item["targetId"].split("/")[-3])
            for item in made.json()["credential"]["credentialSubject"].get("association", [])
            if item["associationType"] == "precedes"
        }

    assert precedes() == set()  # intro and advanced are not consecutive steps
    issued = httpx.post(
        tenant.url("/achievements/middle/credentials"),
        json={"recipient": {"email": ADA}},
        headers=tenant.admin,
    )
    assert issued.status_code == 201, issued.text
    assert precedes() == {("intro", "middle"), ("middle", "advanced")}
