"""What one Open Badges API upsert costs in verifications, through the real server: only the
pathways with an external requirement the upserted badge could meet are evaluated, and each of the
learner's wallet badges is verified once however many issuers evaluate (a counter around the real
verification call, not a clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer.application import pathway_holdings, verifying
from badge_issuer.db.tables import PathwayAward
from badge_issuer.verification import VerificationReport
from tests.api.test_issuing import bootstrap
from tests.api.test_ob_api import API, bearer, tokens_for
from tests.api.test_pathways import ADA, EXTERNAL_ACHIEVEMENT, achievement, external_badge
from tests.badges import Issuer
from tests.conftest import LiveServer
from tests.wallet import ALL_SCOPES, Mailbox, MovableClock, post
from tests.wallet import Wallet as OAuthWallet


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times pathways verified an external badge (the real verification runs)."""
    real = verifying.verify_presented
    calls = [0]

    def counted(*args: Any, **kwargs: Any) -> VerificationReport:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(pathway_holdings, "verify_presented", counted)
    yield calls


def awarded(server: LiveServer) -> int:
    engine = create_engine(server.settings.database_url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).where(PathwayAward.credential_id.is_not(None))
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def issuer_with_pathway(server: LiveServer, slug: str, external: str) -> None:
    tenant = bootstrap(server, slug)
    for name in ("step-one", "certificate"):
        created = httpx.post(tenant.url("/achievements"), json=achievement(name), headers=tenant.admin)
        assert created.status_code == 201, created.text
    steps = [
        {"type": "achievement", "achievement": "step-one"},
        {"type": "external", "achievementId": external},
    ]
    pathway = {
        "slug": "cert",
        "name": "Certificate",
        "target": "certificate",
        "requirements": {"type": "allOf", "requirements": steps},
    }
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    step = httpx.post(
        tenant.url("/achievements/step-one/credentials"),
        json={"recipient": {"email": ADA}},
        headers=tenant.admin,
        timeout=30,
    )
    assert step.status_code == 201, step.text


def test_one_upsert_verifies_each_wallet_badge_once_for_the_pathways_it_could_complete(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, verifications: list[int]
) -> None:
    server = live_server(clock=MovableClock(), store_recipient_email=True, **mailbox.settings())
    for slug in ("uni", "poly"):  # two issuers whose pathway the badge completes
        issuer_with_pathway(server, slug, EXTERNAL_ACHIEVEMENT)
    issuer_with_pathway(server, "college", "https://elsewhere.example/achievements/other")
    wallet = OAuthWallet(server.url)
    wallet.discover()
    assert wallet.register().status_code == 201
    token = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)["access_token"]
    mooc = Issuer("Open MOOC")
    # two other badges already in Ada's wallet: neither meets any requirement
    for index in range(2):
        other = external_badge(mooc)
        other["id"] = f"urn:uuid:0b1f7d4e-4c8a-4f7e-9a43-1e2d3c4b5a7{index}"
        other["credentialSubject"]["achievement"]["id"] = f"https://mooc.example/achievements/other-{index}"
        unsigned = {key: value for key, value in other.items() if key != "proof"}
        stored = post(server.url + API + "/credentials", json=mooc.sign(unsigned), headers=bearer(token))
        assert stored.status_code == 201, stored.text
    assert awarded(server) == 0
    verifications[0] = 0

    stored = post(server.url + API + "/credentials", json=external_badge(mooc), headers=bearer(token))
    assert stored.status_code == 201, stored.text
    # uni and poly each awarded; college's pathway (which it cannot meet) never evaluated, and the
    # three wallet badges verified once each — not once per issuer and pathway
    assert awarded(server) == 2
    assert verifications[0] == 3
