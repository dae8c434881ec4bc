"""Claim links end to end: the real app under uvicorn, as an LMS and then a learner's browser use it."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from badge_issuer.clock import FixedClock
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer, free_port
from tests.wallet import Mailbox

BROWSER = {"Accept": "text/html"}
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer], clock: FixedClock) -> Tenant:
    server = live_server(clock=clock, verify_workers=0)
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def award(tenant: Tenant, key: str = "ada-1") -> httpx.Response:
    return httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org", "name": "Ada Lovelace"}},
        headers={**tenant.admin, "Idempotency-Key": key},
        timeout=30,
    )


def offer_links(page: str) -> tuple[str, str]:
    """The by-value and by-reference offer links a claim page shows."""
    by_value = re.search(r'id="wallet-offer" href="([^"]+)"', page)
    by_reference = re.search(r'id="offer-link" type="text" value="([^"]+)"', page)
    assert by_value is not None and by_reference is not None, page
    return html.unescape(by_value.group(1)), html.unescape(by_reference.group(1))


def test_every_award_has_a_claim_link_that_a_replay_repeats(tenant: Tenant) -> None:
    first = award(tenant)
    assert first.status_code == 201, first.text
    link = first.json()["links"]["claim"]
    assert link.startswith(f"{tenant.server.url}/claims/")
    assert award(tenant).json()["links"]["claim"] == link  # idempotent replay: the same link
    other = award(tenant, "ada-2").json()["links"]["claim"]
    assert other != link
    batch = httpx.post(
        tenant.url("/achievements/python-data/credentials:batch"),
        json={"items": [{"recipient": {"email": "bob@example.org"}}]},
        headers=tenant.admin,
        timeout=30,
    )
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"][0]["links"]["claim"].startswith(f"{tenant.server.url}/claims/")


def test_the_claim_page_shows_the_badge_and_a_fresh_wallet_offer(tenant: Tenant) -> None:
    issued = award(tenant).json()
    page = httpx.get(issued["links"]["claim"], headers=BROWSER)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Data Analysis with Python" in page.text and "Ada Lovelace" in page.text
    assert f"{issued['credentialId']}/credential.json" in page.text
    assert "<svg" in page.text  # the offer's QR code
    by_value, by_reference = offer_links(page.text)
    assert by_value.startswith("openid-credential-offer://?credential_offer=")
    offer_uri = unquote(parse_qs(urlsplit(by_reference).query)["credential_offer_uri"][0])
    offer = httpx.get(offer_uri)
    assert offer.status_code == 200, offer.text
    assert offer.json()["credential_issuer"] == f"{tenant.server.url}/issuers/uni"
    assert offer.json()["credential_configuration_ids"] == ["python-data"]
    # each visit makes a new offer; the previous one stays valid until used or expired
    again = offer_links(httpx.get(issued["links"]["claim"], headers=BROWSER).text)
    assert again[1] != by_reference
    assert httpx.get(offer_uri).status_code == 200


def test_unknown_and_expired_claim_links_are_not_found(tenant: Tenant, clock: FixedClock) -> None:
    link = award(tenant).json()["links"]["claim"]
    assert httpx.get(link[:-3] + "AAA", headers=BROWSER).status_code == 404
    assert httpx.get(f"{tenant.server.url}/claims/{'x' * 500}", headers=BROWSER).status_code == 404
    clock.at = START + timedelta(days=181)
    expired = httpx.get(link, headers=BROWSER)
    assert expired.status_code == 404
    assert "expired" in expired.text


def test_a_revoked_award_is_not_offered_to_wallets(tenant: Tenant) -> None:
    issued = award(tenant).json()
    revoked = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "test"}, headers=tenant.admin
    )
    assert revoked.status_code == 200, revoked.text
    page = httpx.get(issued["links"]["claim"], headers=BROWSER)
    assert page.status_code == 200
    assert "revoked" in page.text and "openid-credential-offer" not in page.text


def mails_to(mailbox: Mailbox, address: str) -> list[EmailMessage]:
    with mailbox._lock:
        raw = [content for rcpt, content in mailbox.messages if address in rcpt]
    return [message_from_bytes(content, policy=default) for content in raw]


def wait_for_mail(mailbox: Mailbox, address: str, count: int) -> list[EmailMessage]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = mails_to(mailbox, address)
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{count} message(s) did not reach {address}")


def test_the_claim_link_is_emailed_once_per_award(
    live_server: Callable[..., LiveServer], clock: FixedClock, mailbox: Mailbox
) -> None:
    server = live_server(clock=clock, verify_workers=0, claim_email=True, **mailbox.settings())
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    issued = award(tenant).json()
    [message] = wait_for_mail(mailbox, "ada@example.org", 1)
    assert message["Subject"] == "Your badge: Data Analysis with Python"
    body = message.get_content()
    assert issued["links"]["claim"] in body
    assert f"{issued['credentialId']}/baked.png" in body and "2027-05-29" in body  # 180 days
    assert award(tenant).status_code == 201  # a replay sends nothing more
    did_award = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"id": "did:example:bob"}},
        headers=tenant.admin,
        timeout=30,
    )
    assert did_award.status_code == 201  # no address: nothing to send
    time.sleep(0.3)
    assert len(mails_to(mailbox, "ada@example.org")) == 1


def test_a_mail_server_that_fails_does_not_undo_the_award(
    live_server: Callable[..., LiveServer], clock: FixedClock
) -> None:
    server = live_server(
        clock=clock, verify_workers=0, claim_email=True, smtp_host="127.0.0.1", smtp_port=free_port()
    )
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    issued = award(tenant)
    assert issued.status_code == 201 and issued.json()["links"]["claim"]


def test_open_offers_and_exchanges_per_claim_are_bounded(tenant: Tenant, clock: FixedClock) -> None:
    link = award(tenant).json()["links"]["claim"]
    for _ in range(20):
        assert httpx.get(link, headers=BROWSER).status_code == 200
    refused = httpx.get(link, headers=BROWSER)
    assert refused.status_code == 409 and "too many open offers" in refused.text.lower()
    clock.at = START + timedelta(minutes=11)  # the open ones expire and are forgotten
    assert httpx.get(link, headers=BROWSER).status_code == 200
