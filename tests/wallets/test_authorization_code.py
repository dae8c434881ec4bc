"""OpenID4VCI 1.0 authorization code flow end to end, through the real server: a registered wallet
asks for a badge (authorization_details or scope, PKCE S256, issuer_state from a claim's offer),
the learner signs in with a code emailed over real SMTP and consents, the wallet redeems the code
and receives only that learner's award, bound to its DID — and what must be refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text

from badge_issuer.clock import FixedClock
from tests.api.test_claims import BROWSER, START, offer_links
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer
from tests.wallet import REDIRECT_URI, Browser, Mailbox
from tests.wallet import Wallet as RegisteredClient
from tests.wallet_client import (
    AUTHORIZATION_CODE,
    CodeFlow,
    Offer,
    Session,
    Wallet,
    authorization_server,
    consent_form,
    credential_by,
    redirected,
    well_known,
)

ADA = "ada@example.org"
BOB = "bob@example.org"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def tenant(
    live_server: Callable[..., LiveServer],
    clock: FixedClock,
    mailbox: Mailbox,
    request: pytest.FixtureRequest,
) -> Tenant:
    """SQLite; PostgreSQL too for a test that asks for ``database_url`` (single use is decided by
    conditional writes, whose row counts both must report)."""
    database: dict[str, object] = {}
    if "database_url" in request.fixturenames:
        database["database_url"] = request.getfixturevalue("database_url")
    server = live_server(
        clock=clock, verify_workers=0, verify_rate_limit="off", **database, **mailbox.settings()
    )
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


@pytest.fixture
def flow(tenant: Tenant) -> CodeFlow:
    client = RegisteredClient(tenant.server.url)
    client.discover()
    assert client.register().status_code == 201
    return CodeFlow(f"{tenant.server.url}/issuers/uni", client.client_id, client.client_secret, REDIRECT_URI)


@pytest.fixture
def browser(tenant: Tenant, mailbox: Mailbox) -> Iterator[Browser]:
    browser = Browser(tenant.server.url, mailbox)
    yield browser
    browser.close()


def award(tenant: Tenant, email: str = ADA, key: str = "ada-1") -> dict[str, object]:
    response = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": email}},
        headers={**tenant.admin, "Idempotency-Key": key},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def consent(browser: Browser, url: str, email: str, decision: str = "approve") -> httpx.Response:
    """The learner's part: sign in (if needed) and answer the consent page."""
    page = browser.client.get(url)
    if "Sign in with your email address" in page.text:
        page = browser.sign_in(page, email)
    if page.status_code != 200:
        return page
    action, fields = consent_form(page)
    return browser.client.post(action, data={**fields, "decision": decision})


def now_of(clock: FixedClock) -> Callable[[], float]:
    return lambda: clock.at.timestamp()


def session_with(flow: CodeFlow, token: httpx.Response) -> Session:
    assert token.status_code == 200, token.text
    metadata = httpx.get(well_known(flow.issuer, "openid-credential-issuer")).json()
    session = Session(metadata, authorization_server(flow.issuer)["token_endpoint"])
    session.access_token = token.json()["access_token"]
    return session


def metadata_and_offers_advertise_the_authorization_code_grant(tenant: Tenant) -> None:
    identifier = f"{tenant.server.url}/issuers/uni"
    server = authorization_server(identifier)
    assert server["authorization_endpoint"] == f"{identifier}/openid4vci/authorize"
    assert server["grant_types_supported"] == [
        AUTHORIZATION_CODE,
        "urn:ietf:params:oauth:grant-type:pre-authorized_code",
    ]
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["authorization_details_types_supported"] == ["openid_credential"]
    assert server["scopes_supported"] == ["openbadge:python-data"]
    assert server["registration_endpoint"] == f"{tenant.server.url}/oauth/register"
    metadata = httpx.get(well_known(identifier, "openid-credential-issuer")).json()
    assert metadata["credential_configurations_supported"]["python-data"]["scope"] == "openbadge:python-data"
    page = httpx.get(str(award(tenant)["links"]["claim"]), headers=BROWSER)  # type: ignore[index]
    offer = Offer.from_uri(offer_links(page.text)[1])
    assert len(offer.document["grants"][AUTHORIZATION_CODE]["issuer_state"]) == 43


def test_a_wallet_gets_the_learners_badge_through_authorization_details(
    tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    issued = award(tenant)
    answer = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), ADA), REDIRECT_URI
    )
    assert answer["state"] == flow.state and answer["iss"] == flow.issuer
    token = flow.token(answer["code"])
    assert token.headers["cache-control"] == "no-store"
    details = token.json()["authorization_details"]
    assert details == [
        {
            "type": "openid_credential",
            "credential_configuration_id": "python-data",
            "credential_identifiers": [issued["id"]],
        }
    ]
    session = session_with(flow, token)
    wallet = Wallet(clock=now_of(clock))
    response = credential_by(
        session, wallet, flow.issuer, flow.client_id, credential_identifier=str(issued["id"])
    )
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert credential["id"] == issued["credential"]["id"]  # type: ignore[index]
    report = httpx.post(f"{tenant.server.url}/api/v1/verify", json=credential, timeout=30).json()
    assert report["verified"] is True, report
    notified = httpx.post(
        session.metadata["notification_endpoint"],
        json={"notification_id": response.json()["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert notified.status_code == 204, notified.text
    # the token names its awards by identifier: a configuration id is not how this token asks
    by_configuration = credential_by(
        session, wallet, flow.issuer, flow.client_id, credential_configuration_id="python-data"
    )
    assert by_configuration.json()["error"] == "invalid_credential_request"
    # a key proof naming another client in iss is refused
    proof = wallet.key_proof(audience=flow.issuer, nonce=session.nonce(), claims={"iss": "someone-else"})
    other = httpx.post(
        session.metadata["credential_endpoint"],
        json={"credential_identifier": issued["id"], "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_proof", other.text


def test_metadata_scope_and_the_claim_offers_issuer_state(
    tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    metadata_and_offers_advertise_the_authorization_code_grant(tenant)
    award(tenant, key="older")
    issued = award(tenant, key="offered")
    page = httpx.get(str(issued["links"]["claim"]), headers=BROWSER)  # type: ignore[index]
    offer = Offer.from_uri(offer_links(page.text)[0])
    issuer_state = offer.document["grants"][AUTHORIZATION_CODE]["issuer_state"]
    url = flow.authorization_url(scope="openbadge:python-data openid unknown", issuer_state=issuer_state)
    answer = redirected(consent(browser, url, ADA), REDIRECT_URI)
    token = flow.token(answer["code"])
    assert token.json()["scope"] == "openbadge:python-data" and "authorization_details" not in token.json()
    session = session_with(flow, token)
    wallet = Wallet(clock=now_of(clock))
    response = credential_by(
        session, wallet, flow.issuer, flow.client_id, credential_configuration_id="python-data"
    )
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    assert credential["id"] == issued["credential"]["id"]  # type: ignore[index]  # the offer's award
    unknown = credential_by(session, wallet, flow.issuer, flow.client_id, credential_identifier="x")
    assert unknown.json()["error"] == "unknown_credential_identifier"
    other = credential_by(session, wallet, flow.issuer, flow.client_id, credential_configuration_id="sql")
    assert other.json()["error"] == "unknown_credential_configuration"
    bodies: list[object] = [
        [],
        {"credential_identifier": "x", "credential_configuration_id": "python-data"},
        {"credential_identifier": 7},
        {"credential_configuration_id": "python-data", "proofs": {"jwt": []}},
    ]
    for body in bodies:
        malformed = httpx.post(
            session.metadata["credential_endpoint"],
            json=body,
            headers={"Authorization": f"Bearer {session.access_token}"},
        )
        assert malformed.status_code == 400 and malformed.json()["error"] == "invalid_credential_request", (
            body
        )

    # the issuer_state served once; an unknown one is refused back to the wallet
    for state in (issuer_state, "made-up-state"):
        again = redirected(
            consent(browser, flow.authorization_url(scope="openbadge:python-data", issuer_state=state), ADA),
            REDIRECT_URI,
        )
        assert again["error"] == "invalid_request" and again["state"] == flow.state


def test_codes_are_single_use_and_bound_to_the_pkce_verifier_and_the_client(
    database_url: str, tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    award(tenant)
    answer = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), ADA), REDIRECT_URI
    )
    wrong_secret = flow.token(answer["code"], secret="not-the-secret")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert wrong_secret.headers["www-authenticate"].startswith("Basic")
    wrong_verifier = flow.token(answer["code"], verifier="x" * 43)
    assert wrong_verifier.status_code == 400 and wrong_verifier.json()["error"] == "invalid_grant"
    elsewhere = flow.token(answer["code"], redirect_uri="http://127.0.0.1:9/other")
    assert elsewhere.json()["error"] == "invalid_grant"
    assert flow.token("not-a-code").json()["error"] == "invalid_grant"
    wider = flow.token(
        answer["code"],
        authorization_details=json.dumps(
            [{"type": "openid_credential", "credential_configuration_id": "sql"}]
        ),
    )
    assert wider.json()["error"] == "invalid_authorization_details"
    # the right verifier still works (a failure used nothing up), narrowed to what was granted
    token = flow.token(
        answer["code"],
        authorization_details=json.dumps(
            [{"type": "openid_credential", "credential_configuration_id": "python-data"}]
        ),
    )
    session = session_with(flow, token)
    reused = flow.token(answer["code"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # the replay voided the token the code gave
    wallet = Wallet(clock=now_of(clock))
    identifier = token.json()["authorization_details"][0]["credential_identifiers"][0]
    voided = credential_by(session, wallet, flow.issuer, flow.client_id, credential_identifier=identifier)
    assert voided.status_code == 401 and voided.json()["error"] == "invalid_token"

    # an expired code is refused too
    later = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), ADA), REDIRECT_URI
    )
    clock.at = START.replace(minute=11)
    assert flow.token(later["code"]).json()["error"] == "invalid_grant"

    # a day after nothing of them can be used, old authorizations are forgotten
    clock.at = START + timedelta(days=2)
    redirected(consent(browser, flow.authorization_url(configuration_ids=["python-data"]), ADA), REDIRECT_URI)
    engine = create_engine(tenant.server.settings.database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM wallet_authorizations")).scalar() == 1
    engine.dispose()


def test_only_the_signed_in_learners_badges_are_granted_and_malformed_requests(
    tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    malformed_authorization_requests(flow, browser)
    adas = award(tenant)
    page = httpx.get(str(adas["links"]["claim"]), headers=BROWSER)  # type: ignore[index]
    issuer_state = Offer.from_uri(offer_links(page.text)[0]).document["grants"][AUTHORIZATION_CODE][
        "issuer_state"
    ]
    # Bob, holding Ada's claim offer, signs in as himself: refused, and he has no such badge
    forwarded = flow.authorization_url(configuration_ids=["python-data"], issuer_state=issuer_state)
    refused = redirected(consent(browser, forwarded, BOB), REDIRECT_URI)
    assert refused["error"] == "access_denied" and "someone else" in refused["error_description"]
    none = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), BOB), REDIRECT_URI
    )
    assert none["error"] == "access_denied"
    # before the learner answers, any registered wallet may send them here: whether they hold
    # such a badge, or are the recipient of an offer's award, is not told to it without consent
    for probe in (flow.authorization_url(configuration_ids=["python-data"]), forwarded):
        consent_form(browser.client.get(probe))
    # once Bob has his own badge, his token reaches his award and never Ada's
    bobs = award(tenant, BOB, key="bob-1")
    answer = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), BOB), REDIRECT_URI
    )
    token = flow.token(answer["code"])
    assert token.json()["authorization_details"][0]["credential_identifiers"] == [bobs["id"]]
    session = session_with(flow, token)
    wallet = Wallet("Bob's wallet", clock=now_of(clock))
    stolen = credential_by(
        session, wallet, flow.issuer, flow.client_id, credential_identifier=str(adas["id"])
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "unknown_credential_identifier"
    # a denial goes back to the wallet as access_denied
    denied = redirected(
        consent(browser, flow.authorization_url(configuration_ids=["python-data"]), BOB, "deny"), REDIRECT_URI
    )
    assert denied["error"] == "access_denied" and denied["state"] == flow.state
    # the consent form acts only with the learner's session and its form token
    action, fields = consent_form(
        browser.client.get(flow.authorization_url(configuration_ids=["python-data"]))
    )
    forged = browser.client.post(action, data={**fields, "csrf": "forged", "decision": "approve"})
    assert forged.status_code == 403
    with httpx.Client(base_url=tenant.server.url) as stranger:
        assert stranger.post(action, data={**fields, "decision": "approve"}).status_code == 401


def malformed_authorization_requests(flow: CodeFlow, browser: Browser) -> None:
    # an unknown client or redirect_uri is never redirected to: the learner is told
    unknown = browser.client.get(
        flow.authorization_url(configuration_ids=["python-data"], client_id="nobody")
    )
    assert unknown.status_code == 400 and "not registered" in unknown.text
    elsewhere = flow.authorization_url(
        configuration_ids=["python-data"], redirect_uri="https://evil.example/cb"
    )
    assert browser.client.get(elsewhere).status_code == 400

    # wallets register themselves, so with no learner signed in no error goes back to one: an
    # attacker's client must not make this origin redirect anywhere without the learner (RFC 9700)
    evil = RegisteredClient(flow.issuer.removesuffix("/issuers/uni"))
    evil.discover()
    evil_site = {
        name: "https://evil.example/" for name in ("client_uri", "logo_uri", "tos_uri", "policy_uri")
    }
    assert evil.register(**evil_site, redirect_uris=["https://evil.example/cb"]).status_code == 201
    lure = flow.authorization_url(
        configuration_ids=["python-data"],
        client_id=evil.client_id,
        redirect_uri="https://evil.example/cb",
        response_type="token",
    )
    for url in (lure, flow.authorization_url(configuration_ids=["python-data"], response_type="token")):
        page = browser.client.get(url)
        assert page.status_code == 400 and "location" not in page.headers, page.headers
        assert "unsupported_response_type" in page.text and "not sent back" in page.text
    assert "evil.example" in browser.client.get(lure).text
    assert 'href="https://evil' not in browser.client.get(lure).text
    # once the learner is signed in, errors go back to the wallet as the spec says
    signed_in = Browser(str(browser.client.base_url), browser.mailbox)
    signed_in.sign_in(signed_in.client.get(flow.authorization_url(configuration_ids=["python-data"])), ADA)

    def error_of(url: str) -> str:
        return redirected(signed_in.client.get(url), REDIRECT_URI)["error"]

    assert (
        redirected(signed_in.client.get(lure), "https://evil.example/cb")["error"]
        == "unsupported_response_type"
    )
    assert (
        error_of(flow.authorization_url(configuration_ids=["python-data"], code_challenge_method="plain"))
        == "invalid_request"
    )
    assert (
        error_of(flow.authorization_url(configuration_ids=["python-data"], response_type="token"))
        == "unsupported_response_type"
    )
    assert (
        error_of(flow.authorization_url(configuration_ids=["nothing-like-it"]))
        == "invalid_authorization_details"
    )
    assert error_of(flow.authorization_url(scope="openid")) == "invalid_scope"
    assert error_of(flow.authorization_url()) == "invalid_request"
    signed_in.close()
    # an unknown request_uri names no redirect_uri that could be trusted: the learner is told
    made_up = browser.client.get(
        flow.authorization_url(configuration_ids=["python-data"], request_uri="urn:x")
    )
    assert made_up.status_code == 400


def test_a_pushed_authorization_request(
    tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    issued = award(tenant)
    assert authorization_server(flow.issuer)["require_pushed_authorization_requests"] is False
    unauthenticated = flow.push(secret="wrong", configuration_ids=["python-data"])
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"] == "invalid_client"
    no_pkce = flow.push(configuration_ids=["python-data"], code_challenge_method="plain")
    assert no_pkce.status_code == 400 and no_pkce.json()["error"] == "invalid_request"
    other_client = flow.push(configuration_ids=["python-data"], client_id="someone")
    assert other_client.status_code == 400 and other_client.json()["error"] == "invalid_request"

    pushed = flow.push(configuration_ids=["python-data"])
    assert pushed.status_code == 201 and pushed.headers["cache-control"] == "no-store", pushed.text
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:") and pushed.json()["expires_in"] == 600
    # only the wallet that pushed it may use it
    assert browser.client.get(flow.pushed_url(request_uri, client_id="someone")).status_code == 400
    answer = redirected(consent(browser, flow.pushed_url(request_uri), ADA), REDIRECT_URI)
    assert answer["state"] == flow.state
    token = flow.token(answer["code"])
    assert token.json()["authorization_details"][0]["credential_identifiers"] == [issued["id"]]
    session = session_with(flow, token)
    wallet = Wallet(clock=now_of(clock))
    response = credential_by(
        session, wallet, flow.issuer, flow.client_id, credential_identifier=str(issued["id"])
    )
    assert response.status_code == 200, response.text
    # a request_uri gives one code
    reused = browser.client.get(flow.pushed_url(request_uri))
    assert reused.status_code == 400 and "request_uri is unknown, used or expired" in reused.text.lower()


def test_a_wallet_has_at_most_twenty_pushed_requests_waiting(
    database_url: str, tenant: Tenant, flow: CodeFlow, browser: Browser, clock: FixedClock
) -> None:
    """Wallets register themselves, so what one may make us store is bounded (RFC 9126 §2.3)."""
    award(tenant)
    first = [flow.push(configuration_ids=["python-data"]) for _ in range(20)]
    assert {response.status_code for response in first} == {201}
    limited = flow.push(configuration_ids=["python-data"])
    assert limited.status_code == 429 and limited.headers["retry-after"] == "600", limited.text
    assert limited.headers["content-type"].startswith("application/problem+json")
    # one used is one freed
    redirected(consent(browser, flow.pushed_url(first[0].json()["request_uri"]), ADA), REDIRECT_URI)
    assert flow.push(configuration_ids=["python-data"]).status_code == 201
    assert flow.push(configuration_ids=["python-data"]).status_code == 429
    # expired ones are forgotten as soon as the wallet pushes again
    clock.at = START + timedelta(seconds=601)
    assert flow.push(configuration_ids=["python-data"]).status_code == 201
    engine = create_engine(tenant.server.settings.database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM wallet_pushed_requests")).scalar() == 1
    engine.dispose()
