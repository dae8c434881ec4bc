"""An offer's tx_code sent by email (``BADGE_WALLET_TX_CODE_CHANNEL=email``), through the real
server and a real local SMTP server: the claim page asks for the address the badge was awarded to,
emails the code there (never shows it), the offer says so, and the wallet redeems it; a wrong
address gets nothing, and a claim gets at most five requests an hour."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx

from badge_issuer.application.claiming import TX_CODE_BY_EMAIL
from badge_issuer.clock import FixedClock
from tests.api.test_claims import BROWSER, START, award, offer_links, wait_for_mail
from tests.api.test_issuing import ACHIEVEMENT, bootstrap
from tests.api.test_vc_api_exchange import did_auth
from tests.conftest import LiveServer
from tests.wallet import Mailbox
from tests.wallet_client import PRE_AUTHORIZED, Offer, Session, Wallet


def test_the_tx_code_goes_to_the_awarded_address_only(
    live_server: Callable[..., LiveServer], mailbox: Mailbox
) -> None:
    clock = FixedClock(START)
    server = live_server(
        clock=clock,
        verify_workers=0,
        wallet_tx_code=True,
        wallet_tx_code_channel="email",
        **mailbox.settings(),
    )
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    claim = award(tenant).json()["links"]["claim"]

    page = httpx.get(claim, headers=BROWSER)
    assert page.status_code == 200
    assert 'id="tx-code-form"' in page.text and "openid-credential-offer" not in page.text
    # the exchange needs no code, so a leaked claim link must not reach it: its link goes by email
    assert 'id="lcw-by-email"' in page.text and "lcw.app" not in page.text and "/exchanges/" not in page.text

    wrong = httpx.post(claim, data={"email": "eve@example.org"}, headers=BROWSER)
    assert wrong.status_code == 422 and "not the email address" in wrong.text
    assert httpx.post(claim, data={"email": "no address"}, headers=BROWSER).status_code == 422

    sent = httpx.post(claim, data={"email": " Ada@Example.org"}, headers=BROWSER)
    assert sent.status_code == 200, sent.text
    assert 'id="tx-code-sent"' in sent.text and 'id="tx-code"' not in sent.text
    assert "lcw.app" not in sent.text and "/exchanges/" not in sent.text  # an attacker may know the address
    [mail] = wait_for_mail(mailbox, "Ada@Example.org", 1)  # as the learner typed it
    assert mailbox.to("eve@example.org") == []
    code = re.search(r"Your code is (\d{6})", mail.get_content())
    assert code is not None, mail.get_content()

    offer = Offer.from_uri(offer_links(sent.text)[1])
    assert offer.document["grants"][PRE_AUTHORIZED]["tx_code"]["description"] == TX_CODE_BY_EMAIL
    session = Session.discover(offer)
    wrong_code = session.token(offer.code, "000000" if code.group(1) != "000000" else "111111")
    assert wrong_code.json()["error"] == "invalid_grant"
    assert session.token(offer.code, code.group(1)).status_code == 200
    wallet = Wallet(clock=lambda: clock.at.timestamp())
    proof = wallet.key_proof(audience=offer.issuer, nonce=session.nonce())
    assert session.credential(offer.configuration_id, proof).status_code == 200

    # the same email carries the Learner Credential Wallet's deep link, to an exchange that works
    deep_link = re.search(r"https://lcw\.app/request\.html\?request=\S+", mail.get_content())
    assert deep_link is not None, mail.get_content()
    request = json.loads(parse_qs(urlsplit(deep_link.group(0)).query)["request"][0])
    exchange = request["protocols"]["vcapi"]
    vpr = httpx.post(exchange, json={}).json()["verifiablePresentationRequest"]
    lcw = Wallet("LCW", clock=lambda: clock.at.timestamp())
    answered = httpx.post(exchange, json={"verifiablePresentation": did_auth(lcw, vpr)}, timeout=30)
    assert answered.status_code == 200, answered.text
    [delivered] = answered.json()["verifiablePresentation"]["verifiableCredential"]
    assert delivered["credentialSubject"]["id"] == lcw.did

    # five requests an hour per claim, right address or wrong (two so far; a malformed one is not)
    for _ in range(3):
        assert httpx.post(claim, data={"email": "ada@example.org"}, headers=BROWSER).status_code == 200
    limited = httpx.post(claim, data={"email": "ada@example.org"}, headers=BROWSER)
    assert limited.status_code == 429
    assert len(wait_for_mail(mailbox, "ada@example.org", 3)) == 3


def test_five_code_requests_an_hour_even_when_they_arrive_together(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, database_url: str
) -> None:
    """The count and the request it admits are one step: on PostgreSQL, requests that arrive at
    once each counted the others' uncommitted rows as absent, and more than five went through."""
    server = live_server(
        clock=FixedClock(START),
        verify_workers=0,
        wallet_tx_code=True,
        wallet_tx_code_channel="email",
        database_url=database_url,
        **mailbox.settings(),
    )
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    claim = award(tenant).json()["links"]["claim"]
    start = threading.Barrier(16)

    def wrong_address(_: int) -> int:
        start.wait()
        return httpx.post(claim, data={"email": "eve@example.org"}, headers=BROWSER, timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(wrong_address, range(16)))
    assert statuses == [422] * 5 + [429] * 11
