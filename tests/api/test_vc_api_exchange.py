"""The VC-API exchange of a claim, end to end, as the Learner Credential Wallet does it: the deep
link → the interaction URL → a DIDAuthentication request → a DID-authenticated presentation →
the award bound to that DID. The real app under uvicorn; our wallet with a real Ed25519 did:key."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from badge_issuer.clock import FixedClock
from tests.api.test_claims import BROWSER, START, award, offer_links
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.api.test_openid4vci import checks, now_of, verify
from tests.badges import Issuer, present
from tests.conftest import LiveServer
from tests.wallet_client import Wallet, claim_with


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer], clock: FixedClock, database_url: str) -> Tenant:
    server = live_server(clock=clock, verify_workers=0, verify_rate_limit="off", database_url=database_url)
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def lcw_request(claim: str) -> dict[str, Any]:
    """The request the claim page's Learner Credential Wallet deep link carries."""
    page = httpx.get(claim, headers=BROWSER).text
    found = re.search(r'id="lcw-link" href="([^"]+)"', page)
    assert found is not None, page
    link = urlsplit(html.unescape(found.group(1)))
    assert (link.scheme, link.netloc, link.path) == ("https", "lcw.app", "/request.html")
    return dict(json.loads(parse_qs(link.query)["request"][0]))


def did_auth(wallet: Issuer, request: dict[str, Any]) -> dict[str, Any]:
    """What the wallet answers a DIDAuthentication request with: a proof of its DID, no credential."""
    vp = present(wallet, [], challenge=request["challenge"], domain=request["domain"])
    vp.pop("verifiableCredential")
    return vp


def test_the_learner_credential_wallet_exchange(tenant: Tenant, clock: FixedClock) -> None:
    issued = award(tenant).json()
    request = lcw_request(issued["links"]["claim"])
    assert request["credentialRequestOrigin"] == tenant.server.url
    exchange = request["protocols"]["vcapi"]
    assert exchange.startswith(f"{tenant.server.url}/issuers/uni/exchanges/")
    assert httpx.get(exchange).json() == {"protocols": {"vcapi": exchange}}

    started = httpx.post(exchange, json={})
    assert started.status_code == 200, started.text
    vpr = started.json()["verifiablePresentationRequest"]
    assert vpr["query"][0]["type"] == "DIDAuthentication"
    assert {"method": "key"} in vpr["query"][0]["acceptedMethods"]
    assert vpr["domain"] == tenant.server.url and len(vpr["challenge"]) >= 32

    wallet = Wallet(clock=now_of(clock))
    answered = httpx.post(exchange, json={"verifiablePresentation": did_auth(wallet, vpr)}, timeout=30)
    assert answered.status_code == 200, answered.text
    [credential] = answered.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["id"] == issued["credentialId"]
    assert verify(tenant, credential)["verified"] is True

    vp = present(wallet, [credential], challenge="c-1", domain="hr.example")
    report = verify(tenant, vp, challenge="c-1", domain="hr.example", subject="holder")
    assert report["verified"] is True and checks(report)["holder"] == "passed", report

    # an exchange completes once
    again = httpx.post(exchange, json={"verifiablePresentation": did_auth(wallet, vpr)}, timeout=30)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    # the same wallet through OpenID4VCI gets the very same credential (one delivery per DID)
    page = httpx.get(issued["links"]["claim"], headers=BROWSER).text
    assert claim_with(wallet, offer_links(page)[0]) == credential


def test_did_authentication_must_answer_this_exchanges_challenge(tenant: Tenant, clock: FixedClock) -> None:
    issued = award(tenant).json()
    exchange = lcw_request(issued["links"]["claim"])["protocols"]["vcapi"]
    vpr = httpx.post(exchange, json={}).json()["verifiablePresentationRequest"]
    wallet = Wallet()

    wrong = did_auth(wallet, {**vpr, "challenge": "another-challenge"})
    refused = httpx.post(exchange, json={"verifiablePresentation": wrong}, timeout=30)
    assert refused.status_code == 400, refused.text
    assert "challenge" in refused.json()["detail"]
    wrong_domain = did_auth(wallet, {**vpr, "domain": "https://evil.example"})
    refused = httpx.post(exchange, json={"verifiablePresentation": wrong_domain}, timeout=30)
    assert refused.status_code == 400 and "domain" in refused.json()["detail"]
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    refused = httpx.post(exchange, json={"verifiablePresentation": unsigned}, timeout=30)
    assert refused.status_code == 400 and "presentation_proof" in refused.json()["detail"]
    # the wallet's proof over a presentation that names another holder
    impostor = present(
        wallet, [], holder_id=Issuer("someone else").did, challenge=vpr["challenge"], domain=vpr["domain"]
    )
    impostor.pop("verifiableCredential")
    refused = httpx.post(exchange, json={"verifiablePresentation": impostor}, timeout=30)
    assert refused.status_code == 400 and "holder:" in refused.json()["detail"], refused.text
    assert httpx.post(exchange, json=["not", "an", "object"]).status_code == 400
    assert httpx.post(exchange, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415

    # failed attempts do not use the exchange up; it still expires
    clock.at = START + timedelta(minutes=11)
    late = httpx.post(exchange, json={"verifiablePresentation": did_auth(wallet, vpr)}, timeout=30)
    assert late.status_code == 404
    assert httpx.post(f"{tenant.server.url}/issuers/uni/exchanges/nope", json={}).status_code == 404


def test_a_revoked_award_is_not_exchanged(tenant: Tenant) -> None:
    issued = award(tenant).json()
    exchange = lcw_request(issued["links"]["claim"])["protocols"]["vcapi"]
    revoked = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "test"}, headers=tenant.admin
    )
    assert revoked.status_code == 200
    assert httpx.post(exchange, json={}).status_code == 409


def test_an_award_already_naming_its_subject_goes_only_to_that_did(tenant: Tenant) -> None:
    bob = Wallet("Bob's wallet")
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"id": bob.did}},
        headers=tenant.admin,
        timeout=30,
    ).json()
    exchange = lcw_request(issued["links"]["claim"])["protocols"]["vcapi"]
    vpr = httpx.post(exchange, json={}).json()["verifiablePresentationRequest"]
    other = httpx.post(exchange, json={"verifiablePresentation": did_auth(Wallet(), vpr)}, timeout=30)
    assert other.status_code == 409
    answered = httpx.post(exchange, json={"verifiablePresentation": did_auth(bob, vpr)}, timeout=30)
    assert answered.status_code == 200, answered.text  # the refusal did not use the exchange up
    [credential] = answered.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == bob.did
