"""OpenID4VCI 1.0 end to end: claim link → pre-authorized code flow → a credential bound to the
wallet's did:key that verifies, and a presentation by that DID that verifies with holder binding.
The real app under uvicorn; our own wallet client (tests/wallet_client.py) with real Ed25519 keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from badge_issuer.clock import FixedClock
from tests.api.test_claims import BROWSER, START, award, offer_links
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.badges import Issuer, present
from tests.conftest import LiveServer
from tests.wallet_client import Offer, Session, Wallet, claim_with, well_known


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def start(live_server: Callable[..., LiveServer], clock: FixedClock, **settings: Any) -> Tenant:
    server = live_server(clock=clock, verify_workers=0, verify_rate_limit="off", **settings)
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer], clock: FixedClock, database_url: str) -> Tenant:
    """On SQLite, and on PostgreSQL too when BADGE_TEST_POSTGRES_URL is set (single use is decided
    by conditional writes, whose row counts both must report)."""
    return start(live_server, clock, database_url=database_url)


def now_of(clock: FixedClock) -> Callable[[], float]:
    return lambda: clock.at.timestamp()


def fresh_offer(tenant: Tenant, claim: str) -> tuple[str, str]:
    page = httpx.get(claim, headers=BROWSER)
    assert page.status_code == 200, page.text
    return offer_links(page.text)


def verify(tenant: Tenant, document: dict[str, Any], **params: str) -> dict[str, Any]:
    response = httpx.post(f"{tenant.server.url}/api/v1/verify", json=document, params=params, timeout=30)
    return dict(response.json())


def checks(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def test_metadata_per_issuer_at_the_well_known_paths(tenant: Tenant) -> None:
    identifier = f"{tenant.server.url}/issuers/uni"
    metadata = httpx.get(well_known(identifier, "openid-credential-issuer"))
    assert metadata.status_code == 200, metadata.text
    body = metadata.json()
    assert body["credential_issuer"] == identifier
    configuration = body["credential_configurations_supported"]["python-data"]
    assert configuration["format"] == "ldp_vc"
    assert configuration["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert configuration["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "ES256",
    ]
    assert configuration["credential_metadata"]["display"][0]["name"] == "Data Analysis with Python"
    assert body["nonce_endpoint"].startswith(identifier) and body["credential_endpoint"].startswith(
        identifier
    )
    server = httpx.get(well_known(identifier, "oauth-authorization-server")).json()
    assert (
        server["issuer"] == identifier and server["pre-authorized_grant_anonymous_access_supported"] is True
    )
    assert (
        httpx.get(well_known(f"{tenant.server.url}/issuers/nobody", "openid-credential-issuer")).status_code
        == 404
    )


@pytest.mark.parametrize("by", ["value", "reference"])
def test_a_wallet_claims_its_badge_bound_to_its_did_and_presents_it(
    tenant: Tenant, by: str, clock: FixedClock
) -> None:
    issued = award(tenant).json()
    by_value, by_reference = fresh_offer(tenant, issued["links"]["claim"])
    wallet = Wallet(clock=now_of(clock))
    credential = claim_with(wallet, by_value if by == "value" else by_reference)

    assert credential["credentialSubject"]["id"] == wallet.did
    award_doc = issued["credential"]
    assert credential["id"] == award_doc["id"]
    assert credential["credentialStatus"] == award_doc["credentialStatus"]
    assert credential["credentialSubject"]["achievement"] == award_doc["credentialSubject"]["achievement"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    report = verify(tenant, credential)
    assert report["verified"] is True, report

    asked = {"challenge": "job-7", "domain": "hr.example", "subject": "holder"}
    vp = present(wallet, [credential], challenge="job-7", domain="hr.example")
    report = verify(tenant, vp, **asked)
    assert report["verified"] is True, report
    assert checks(report) == {"format": "passed", "presentation_proof": "passed", "holder": "passed"}
    # the same badge presented by someone else's key is not theirs
    mallory = present(Issuer("Mallory"), [credential], challenge="job-7", domain="hr.example")
    assert verify(tenant, mallory, **asked)["verified"] is False

    # claiming again with the same wallet gives the same credential; another wallet gets its own
    again = claim_with(wallet, fresh_offer(tenant, issued["links"]["claim"])[0])
    assert again == credential
    other = Wallet("another wallet", clock=now_of(clock))
    theirs = claim_with(other, fresh_offer(tenant, issued["links"]["claim"])[0])
    assert theirs["credentialSubject"]["id"] == other.did


def test_a_jwk_key_proof_binds_the_credential_to_its_did_jwk(tenant: Tenant, clock: FixedClock) -> None:
    issued = award(tenant).json()
    offer = Offer.from_uri(fresh_offer(tenant, issued["links"]["claim"])[0])
    session = Session.discover(offer)
    assert session.token(offer.code).status_code == 200
    wallet = Wallet(clock=now_of(clock))
    token = wallet.key_proof(
        audience=offer.issuer, nonce=session.nonce(), header={"kid": None, "jwk": wallet.public_jwk}
    )
    response = session.credential(offer.configuration_id, token)
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"].startswith("did:jwk:")
    assert verify(tenant, credential)["verified"] is True


def test_the_pre_authorized_code_is_single_use_and_expires(tenant: Tenant, clock: FixedClock) -> None:
    issued = award(tenant).json()
    offer = Offer.from_uri(fresh_offer(tenant, issued["links"]["claim"])[1])
    session = Session.discover(offer)
    assert session.token(offer.code).status_code == 200
    reused = session.token(offer.code)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert reused.headers["cache-control"] == "no-store"

    late = Offer.from_uri(fresh_offer(tenant, issued["links"]["claim"])[0])
    clock.at = START + timedelta(minutes=11)
    expired = session.token(late.code)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    unknown = session.token("not-a-code")
    assert unknown.json()["error"] == "invalid_grant"
    wrong_grant = httpx.post(session.token_endpoint, data={"grant_type": "client_credentials"})
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    # the authorization code grant is for registered wallets (client_secret_basic)
    anonymous_code = httpx.post(
        session.token_endpoint, data={"grant_type": "authorization_code", "code": "x"}
    )
    assert anonymous_code.status_code == 401 and anonymous_code.json()["error"] == "invalid_client"
    as_json = httpx.post(session.token_endpoint, json={"grant_type": "x"})
    assert as_json.json()["error"] == "invalid_request"


def test_a_tx_code_is_asked_for_and_checked(
    live_server: Callable[..., LiveServer], clock: FixedClock
) -> None:
    tenant = start(live_server, clock, wallet_tx_code=True)
    issued = award(tenant).json()
    page = httpx.get(issued["links"]["claim"], headers=BROWSER).text
    tx_code = page.split('id="tx-code">')[1].split("<")[0]
    assert len(tx_code) == 6 and tx_code.isdigit()
    offer = Offer.from_uri(offer_links(page)[0])
    assert offer.document["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "The 6-digit code shown on your claim page",
    }
    session = Session.discover(offer)
    missing = session.token(offer.code)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = session.token(offer.code, "000000" if tx_code != "000000" else "111111")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert session.token(offer.code, tx_code).status_code == 200  # a typo does not void the offer at once
    wallet = Wallet(clock=now_of(clock))
    proof = wallet.key_proof(audience=offer.issuer, nonce=session.nonce())
    assert session.credential(offer.configuration_id, proof).status_code == 200

    # five wrong codes void an offer, even for the right one afterwards
    offer = Offer.from_uri(offer_links(httpx.get(issued["links"]["claim"], headers=BROWSER).text)[0])
    for _ in range(5):
        assert session.token(offer.code, "abc").json()["error"] == "invalid_grant"
    # (the page shows a new code for each offer, so the last one shown is not this offer's: any code fails)
    assert session.token(offer.code, "123456").json()["error"] == "invalid_grant"


def test_key_proofs_are_checked_as_the_spec_says(tenant: Tenant, clock: FixedClock) -> None:
    issued = award(tenant).json()
    offer = Offer.from_uri(fresh_offer(tenant, issued["links"]["claim"])[0])
    session = Session.discover(offer)
    assert session.token(offer.code).status_code == 200
    wallet = Wallet(clock=now_of(clock))
    aud = offer.issuer
    config = offer.configuration_id

    def refused(proof: str, error: str = "invalid_proof", configuration: str = config) -> None:
        response = session.credential(configuration, proof)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == error, response.text

    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), signer=Issuer("someone else")))
    refused(wallet.key_proof(audience="https://elsewhere.example", nonce=session.nonce()))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), iat=clock.at.timestamp() - 3600))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), iat=clock.at.timestamp() + 3600))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), header={"typ": "JWT"}))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), header={"jwk": wallet.public_jwk}))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), header={"kid": "https://x.example/k#1"}))
    refused(wallet.key_proof(audience=aud, nonce=session.nonce(), claims={"iss": "wallet-client"}))
    refused(wallet.key_proof(audience=aud, nonce=None), "invalid_nonce")
    refused(wallet.key_proof(audience=aud, nonce="made-up"), "invalid_nonce")
    refused("not a jwt")
    refused(
        wallet.key_proof(audience=aud, nonce=session.nonce()), "unknown_credential_configuration", "other"
    )
    response = session.credential(config, "x", credential_response_encryption={"jwk": {}})
    assert response.json()["error"] == "invalid_encryption_parameters"
    nonce = session.nonce()
    assert session.credential(config, wallet.key_proof(audience=aud, nonce=nonce)).status_code == 200
    # the nonce was spent: the same proof (or another with that nonce) is a replay
    refused(wallet.key_proof(audience=aud, nonce=nonce), "invalid_nonce")

    anonymous = httpx.post(session.metadata["credential_endpoint"], json={})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_token"
    assert anonymous.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    session.access_token = "forged"
    assert (
        session.credential(config, wallet.key_proof(audience=aud, nonce=session.nonce())).status_code == 401
    )


def test_an_award_already_naming_its_subject_is_not_rebound(tenant: Tenant, clock: FixedClock) -> None:
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"id": "did:example:bob"}},
        headers=tenant.admin,
        timeout=30,
    ).json()
    offer = Offer.from_uri(fresh_offer(tenant, issued["links"]["claim"])[0])
    session = Session.discover(offer)
    assert session.token(offer.code).status_code == 200
    wallet = Wallet(clock=now_of(clock))
    response = session.credential(
        offer.configuration_id, wallet.key_proof(audience=offer.issuer, nonce=session.nonce())
    )
    assert response.status_code == 400 and response.json()["error"] == "credential_request_denied"


def test_browser_wallets_may_call_the_endpoints_from_any_origin(tenant: Tenant) -> None:
    """Nothing here is ambient (the access token is the wallet's own), so any origin may ask."""
    base = f"{tenant.server.url}/issuers/uni/openid4vci"
    asks = {"Origin": "https://wallet.example", "Access-Control-Request-Method": "POST"}
    # the access token (credential, notification) or the wallet's client secret (token) go along
    for endpoint in ("credential", "notification", "token", "par"):
        credential = httpx.options(
            f"{base}/{endpoint}", headers={**asks, "Access-Control-Request-Headers": "authorization"}
        )
        assert credential.status_code == 200, credential.text
        assert credential.headers["access-control-allow-origin"] == "*"
        assert "authorization" in credential.headers["access-control-allow-headers"].lower()
    for endpoint in ("token", "nonce"):
        preflight = httpx.options(
            f"{base}/{endpoint}", headers={**asks, "Access-Control-Request-Headers": "content-type"}
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    metadata = httpx.get(
        f"{tenant.server.url}/.well-known/openid-credential-issuer/issuers/uni",
        headers={"Origin": "https://w.example"},
    )
    assert metadata.headers["access-control-allow-origin"] == "*"
