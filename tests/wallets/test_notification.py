"""The OpenID4VCI notification endpoint through the real server: every credential response names a
notification_id; the wallet reports what became of the credential with the same access token, the
event is recorded on the delivery, the same notification again is answered the same, and what the
spec calls invalid is refused with its error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from badge_issuer.clock import FixedClock
from tests.api.test_claims import BROWSER, START, award, offer_links
from tests.api.test_issuing import ACHIEVEMENT, bootstrap
from tests.conftest import LiveServer
from tests.wallet_client import Offer, Session, Wallet


def notify(session: Session, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or session.access_token}"}
    return httpx.post(session.metadata["notification_endpoint"], json=body, headers=headers)


def test_wallets_report_what_became_of_a_delivered_credential(live_server: Callable[..., LiveServer]) -> None:
    clock = FixedClock(START)
    server = live_server(clock=clock, verify_workers=0)
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    claim = award(tenant).json()["links"]["claim"]
    wallet = Wallet(clock=lambda: clock.at.timestamp())

    def claimed() -> tuple[Session, str]:
        offer = Offer.from_uri(offer_links(httpx.get(claim, headers=BROWSER).text)[0])
        session = Session.discover(offer)
        assert session.token(offer.code).status_code == 200
        response = session.credential(
            offer.configuration_id, wallet.key_proof(audience=offer.issuer, nonce=session.nonce())
        )
        assert response.status_code == 200, response.text
        return session, str(response.json()["notification_id"])

    session, notification_id = claimed()
    assert session.metadata["notification_endpoint"].endswith("/issuers/uni/openid4vci/notification")
    accepted = {"notification_id": notification_id, "event": "credential_accepted"}
    first = notify(session, accepted)
    assert first.status_code == 204 and first.headers["cache-control"] == "no-store"
    assert notify(session, accepted).status_code == 204  # idempotent
    deleted = {**accepted, "event": "credential_deleted", "event_description": "The learner removed it."}
    assert notify(session, deleted).status_code == 204
    engine = create_engine(server.settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT event, event_description, notified_at FROM wallet_notifications")
        ).all()
    engine.dispose()
    assert [(row[0], row[1]) for row in rows] == [("credential_deleted", "The learner removed it.")]
    assert rows[0][2] is not None

    def error(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, str(response.json()["error"])

    other, others_id = claimed()  # the same wallet again: the same delivery, its own notification_id
    assert others_id != notification_id
    assert error(notify(other, accepted)) == (400, "invalid_notification_id")  # not this token's
    assert error(notify(session, {**accepted, "notification_id": "made-up"})) == (
        400,
        "invalid_notification_id",
    )
    assert error(notify(session, {**accepted, "event": "credential_lost"})) == (
        400,
        "invalid_notification_request",
    )
    assert error(notify(session, {"event": "credential_accepted"})) == (400, "invalid_notification_request")
    assert error(notify(session, {**accepted, "event_description": 'say "no"'})) == (
        400,
        "invalid_notification_request",
    )
    assert error(notify(session, [accepted])) == (400, "invalid_notification_request")
    raw = httpx.post(
        session.metadata["notification_endpoint"],
        content=b"{",
        headers={"Authorization": f"Bearer {session.access_token}", "Content-Type": "application/json"},
    )
    assert error(raw) == (400, "invalid_notification_request")
    unauthenticated = httpx.post(session.metadata["notification_endpoint"], json=accepted)
    assert error(unauthenticated) == (401, "invalid_token")
    assert error(notify(session, accepted, token="forged")) == (401, "invalid_token")
    assert notify(other, {"notification_id": others_id, "event": "credential_failure"}).status_code == 204
