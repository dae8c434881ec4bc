"""The OAuth 2.0 side of the Open Badges API through the real server, the test acting as a wallet
and as the learner's browser (sign-in codes arrive over real SMTP): discovery, registration,
authorization with PKCE, tokens, refresh rotation, revocation, remembered and withdrawn consent —
and what must be refused. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import LiveServer
from tests.ob_openapi import assert_valid
from tests.wallet import (
    ALL_SCOPES,
    PROFILE_READ,
    READ,
    REDIRECT_URI,
    Browser,
    Mailbox,
    MovableClock,
    Wallet,
    authorize,
    get,
    pkce_pair,
    post,
    redirect_params,
)

ADA = "ada@example.org"


@pytest.fixture
def server(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, clock: MovableClock, database_url: str
) -> LiveServer:
    return live_server(clock=clock, database_url=database_url, **mailbox.settings())


def test_discovery_is_an_ob_service_description_without_auth(server: LiveServer) -> None:
    response = get(server.url + "/ims/ob/v3p0/discovery")
    assert response.status_code == 200
    sdd = response.json()
    assert_valid("ServiceDescriptionDocument", sdd)
    scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == server.url + "/oauth/register"
    assert scheme["x-revocationUrl"] == server.url + "/oauth/revoke"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == server.url + "/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == server.url + "/oauth/token"
    assert set(flow["scopes"]) == set(ALL_SCOPES.split())
    assert sdd["servers"] == [{"url": server.url + "/ims/ob/v3p0"}]
    metadata = get(server.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["registration_endpoint"] == scheme["x-imssf-registrationUrl"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_a_wallet_registers_signs_the_learner_in_and_gets_rotating_tokens(
    server: LiveServer, wallet: Wallet, browser: Browser, mailbox: Mailbox
) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    response = wallet.redeem(code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == set(ALL_SCOPES.split())

    refreshed = wallet.refresh(tokens["refresh_token"], scope=READ)
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["scope"] == READ
    # the old refresh token is spent, and presenting it again revokes the new one too
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert wallet.refresh(rotated["refresh_token"]).json()["error"] == "invalid_grant"

    code, verifier = authorize(wallet, browser, ADA)  # consent remembered: straight back with a code
    tokens = wallet.redeem(code, verifier).json()
    assert wallet.revoke(tokens["refresh_token"], hint="refresh_token").status_code == 200
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert wallet.revoke("not-a-token").status_code == 200  # RFC 7009 §2.2

    # nothing a bearer could use is stored: not the codes, tokens, client secret or the address
    engine = create_engine(server.settings.database_url)
    with engine.connect() as connection:
        dump = " ".join(
            str(row)
            for table in (
                "oauth_clients",
                "oauth_codes",
                "oauth_tokens",
                "oauth_consents",
                "learner_sign_ins",
            )
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    engine.dispose()
    for secret in (code, tokens["access_token"], tokens["refresh_token"], wallet.client_secret, ADA):
        assert secret not in dump


def test_a_reused_code_is_refused_and_revokes_what_it_gave(wallet: Wallet, browser: Browser) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    tokens = wallet.redeem(code, verifier).json()
    again = wallet.redeem(code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_token_request_must_prove_pkce_redirect_and_client(wallet: Wallet, browser: Browser) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    other_verifier, _ = pkce_pair()
    assert wallet.redeem(code, other_verifier).json()["error"] == "invalid_grant"
    code, verifier = authorize(wallet, browser, ADA)
    assert (
        wallet.redeem(code, verifier, redirect_uri="http://127.0.0.1:9/other").json()["error"]
        == "invalid_grant"
    )
    code, verifier = authorize(wallet, browser, ADA)
    missing = wallet.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
    assert missing.json()["error"] == "invalid_request"
    code, verifier = authorize(wallet, browser, ADA)
    wrong_secret = wallet.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        secret="wrong",
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    posted = post(
        str(wallet.flows["tokenUrl"]),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": wallet.client_id,
            "client_secret": wallet.client_secret,
        },
    )
    assert posted.json()["error"] == "invalid_client"  # client_secret_post is not allowed


def _authorize_error(wallet: Wallet, browser: Browser, **params: str | None) -> dict[str, str]:
    _verifier, challenge = pkce_pair()
    query: dict[str, str | None] = {
        "scope": READ,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query.update(params)
    return redirect_params(browser.client.get(wallet.authorize_url(**query)))


def test_authorization_requests_without_pkce_state_or_a_registered_scope_go_back_as_errors(
    wallet: Wallet, browser: Browser
) -> None:
    # apps register themselves: with no learner signed in, an error is shown, never redirected to
    # (an attacker's app would make this origin an open redirector, RFC 9700 §4.11.2)
    lure = browser.client.get(wallet.authorize_url(scope=READ, state="s1", code_challenge_method="plain"))
    assert lure.status_code == 400 and "location" not in lure.headers, lure.headers
    assert "invalid_request" in lure.text and "not sent back to the app at 127.0.0.1" in lure.text
    _verifier, challenge = pkce_pair()
    page = browser.client.get(
        wallet.authorize_url(scope=READ, state="s1", code_challenge=challenge, code_challenge_method="S256")
    )
    browser.sign_in(page, ADA)
    assert _authorize_error(wallet, browser, code_challenge=None, code_challenge_method=None)["error"] == (
        "invalid_request"
    )
    assert _authorize_error(wallet, browser, code_challenge_method="plain")["error"] == "invalid_request"
    assert _authorize_error(wallet, browser, code_challenge_method=None)["error"] == "invalid_request"
    assert _authorize_error(wallet, browser, state=None)["error"] == "invalid_request"
    assert _authorize_error(wallet, browser, scope="https://example.org/other")["error"] == "invalid_scope"
    assert _authorize_error(wallet, browser, scope=None)["error"] == "invalid_scope"
    narrow = Wallet(wallet.base, sdd=wallet.sdd)
    assert narrow.register(scope=READ).status_code == 201
    assert _authorize_error(narrow, browser, scope=f"{READ} {PROFILE_READ}")["error"] == "invalid_scope"


def test_an_unknown_client_or_redirect_uri_is_told_to_the_learner_not_redirected(
    wallet: Wallet, browser: Browser
) -> None:
    _, challenge = pkce_pair()
    params = {"scope": READ, "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}
    elsewhere = wallet.authorize_url(**params).replace("127.0.0.1%3A9%2Fcallback", "evil.example%2Fcb")
    for url in (elsewhere, wallet.authorize_url(**params).replace(wallet.client_id, "nobody")):
        page = browser.client.get(url)
        assert page.status_code == 400
        assert "location" not in page.headers
        assert "cannot be authorized" in page.text


def test_a_learner_who_denies_sends_the_wallet_access_denied(
    wallet: Wallet, browser: Browser, mailbox: Mailbox
) -> None:
    _, challenge = pkce_pair()
    url = wallet.authorize_url(scope=READ, state="x", code_challenge=challenge, code_challenge_method="S256")
    consent = browser.sign_in(browser.client.get(url), ADA)
    assert "Test Wallet" in consent.text
    assert "<li>see your badges</li>" in consent.text  # the scope in plain words
    denied = redirect_params(browser.decide(consent, "deny"))
    assert (denied["error"], denied["state"]) == ("access_denied", "x")
    assert "code" not in denied
    forged = browser.client.post("/oauth/authorize", data={"decision": "approve", "csrf": "forged"})
    assert forged.status_code == 403


def test_withdrawn_consent_is_asked_again_and_its_tokens_stop(wallet: Wallet, browser: Browser) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    tokens = wallet.redeem(code, verifier).json()
    apps = browser.client.get("/learner/apps")
    assert "Test Wallet" in apps.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', apps.text)
    assert csrf
    withdrawn = browser.client.post(
        "/learner/apps/withdraw", data={"client_id": wallet.client_id, "csrf": csrf.group(1)}
    )
    assert withdrawn.status_code == 303
    assert "No app is connected" in browser.client.get("/learner/apps").text
    assert wallet.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    _, challenge = pkce_pair()
    url = wallet.authorize_url(scope=READ, state="y", code_challenge=challenge, code_challenge_method="S256")
    assert "would like to" in browser.client.get(url).text


def test_registration_holds_wallets_to_the_ob_rules(server: LiveServer) -> None:
    wallet = Wallet(server.url)
    wallet.discover()
    for field in (
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "redirect_uris",
        "scope",
    ):
        refused = wallet.register(**{field: None})
        assert refused.status_code == 400, field
        assert refused.json()["error"] == "invalid_client_metadata", field
    for overrides in (
        {"redirect_uris": ["http://wallet.example/cb"]},  # plain http off loopback
        {"redirect_uris": ["https://other.example/cb"]},  # another host than client_uri
        {"logo_uri": "https://other.example/logo.png"},
        {"scope": READ + " https://example.org/admin"},
        {"token_endpoint_auth_method": "client_secret_post"},
        {"grant_types": ["client_credentials"]},
        {"redirect_uris": [f"http://127.0.0.1:9/{n}" for n in range(11)]},
    ):
        assert wallet.register(**overrides).status_code == 400, overrides
    assert (
        post(
            server.url + "/oauth/register", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    created = wallet.register()
    assert created.status_code == 201
    body = created.json()
    assert body["client_secret_expires_at"] == 0
    assert body["client_name"] == "Test Wallet"
    assert body["redirect_uris"] == [REDIRECT_URI]


def test_sign_in_codes_expire_allow_few_attempts_and_say_nothing_about_badges(
    wallet: Wallet, browser: Browser, mailbox: Mailbox, clock: MovableClock
) -> None:
    _, challenge = pkce_pair()
    url = wallet.authorize_url(scope=READ, state="z", code_challenge=challenge, code_challenge_method="S256")
    page = browser.client.get(url)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text))

    def ask(email: str) -> httpx.Response:
        return browser.client.post("/learner/sign-in", data={**fields, "email": email})

    nobody = ask("nobody@example.org")  # no badges here: the same page and an email all the same
    somebody = ask(ADA)
    assert nobody.status_code == somebody.status_code == 200
    strip = re.compile(r'name="sign_in" value="[^"]+"')
    assert strip.sub("", nobody.text) == strip.sub("", somebody.text)
    assert mailbox.code_for("nobody@example.org")
    assert ask("not an address").status_code == 400

    sign_in = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', somebody.text))
    code = mailbox.code_for(ADA)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        answer = browser.client.post("/learner/sign-in/code", data={**sign_in, "code": wrong})
        assert answer.status_code == 400
    assert browser.client.post("/learner/sign-in/code", data={**sign_in, "code": code}).status_code == 400

    seen = len(mailbox.to(ADA))
    sign_in = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', ask(ADA).text))
    code = mailbox.code_for(ADA, seen=seen)
    clock.advance(601)
    assert browser.client.post("/learner/sign-in/code", data={**sign_in, "code": code}).status_code == 400


def test_codes_expire_after_ten_minutes(wallet: Wallet, browser: Browser, clock: MovableClock) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    clock.advance(601)
    assert wallet.redeem(code, verifier).json()["error"] == "invalid_grant"


def test_one_code_redeemed_at_once_by_many_gives_no_usable_token(wallet: Wallet, browser: Browser) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: wallet.redeem(code, verifier), range(4)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 400, 400, 400], [answer.text for answer in answers]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    # the replays revoked what the code gave: the refresh token is dead too
    assert wallet.refresh(winner["refresh_token"]).json()["error"] == "invalid_grant"


def test_sign_in_asks_little_of_the_mail_server_and_ends_on_sign_out(
    wallet: Wallet, browser: Browser, mailbox: Mailbox, clock: MovableClock
) -> None:
    page = browser.client.get("/learner/apps")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text))
    for _ in range(5):
        assert browser.client.post("/learner/sign-in", data={**fields, "email": ADA}).status_code == 200
    capped = browser.client.post("/learner/sign-in", data={**fields, "email": ADA})
    assert capped.status_code == 429  # at most 5 codes an hour for one address
    assert len(mailbox.to(ADA)) == 5
    clock.advance(3601)
    apps = browser.sign_in(browser.client.get("/learner/apps"), ADA)
    assert "Your connected apps" in apps.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', apps.text)
    assert csrf
    assert browser.client.post("/learner/sign-out", data={"csrf": csrf.group(1)}).status_code == 200
    assert "Sign in with your email address" in browser.client.get("/learner/apps").text


def test_registration_and_sign_in_are_rate_limited_and_need_mail(
    live_server: Callable[..., LiveServer], database_url: str
) -> None:
    server = live_server(database_url=database_url, oauth_rate_limit="3/minute")
    wallet = Wallet(server.url)
    wallet.discover()
    answers = [wallet.register().status_code for _ in range(4)]
    assert answers == [201, 201, 201, 429]
    with httpx.Client(base_url=server.url) as other_client:
        no_mail = other_client.post("/learner/sign-in", data={"email": ADA, "next": "/learner/apps"})
        assert no_mail.status_code == 429  # the same client address: the limit is shared
    quiet = live_server(database_url=database_url, oauth_rate_limit="")
    unavailable = post(quiet.url + "/learner/sign-in", data={"email": ADA, "next": "/learner/apps"})
    assert unavailable.status_code == 503  # BADGE_SMTP_HOST unset: no code can be sent
    assert "Email cannot be sent" in unavailable.text


def test_registrations_consents_and_replays_are_audited_without_addresses(
    wallet: Wallet, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="badge_issuer.audit"):
        other = Wallet(wallet.base, sdd=wallet.sdd)
        assert other.register().status_code == 201
        code, verifier = authorize(other, browser, ADA)
        assert other.redeem(code, verifier).status_code == 200
        assert other.redeem(code, verifier).status_code == 400
    events = [
        (record.getMessage(), getattr(record, "fields", {}).get("client"))
        for record in caplog.records
        if record.name == "badge_issuer.audit"
    ]
    assert ("oauth.client_registered", other.client_id) in events
    assert ("oauth.consent_granted", other.client_id) in events
    assert ("oauth.code_replayed", other.client_id) in events
    assert ADA not in caplog.text


def test_what_expired_a_day_ago_is_forgotten(
    server: LiveServer, wallet: Wallet, browser: Browser, clock: MovableClock
) -> None:
    code, verifier = authorize(wallet, browser, ADA)
    assert wallet.redeem(code, verifier).status_code == 200

    def count(table: str) -> int:
        engine = create_engine(server.settings.database_url)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    tables = ("oauth_codes", "oauth_tokens", "learner_sign_ins", "learner_sessions")
    assert all(count(table) == 1 for table in tables)
    clock.advance(31 * 86_400 + 1)  # past the refresh token's 30 days, and one more day
    page = browser.client.get("/learner/apps")
    assert "Sign in with your email address" in page.text  # the session ended long ago
    browser.sign_in(page, ADA)  # writing a new sign-in prunes the old rows
    assert [count(table) for table in tables] == [0, 0, 1, 1]
    assert count("oauth_consents") == 1  # consent is kept until the learner withdraws it
