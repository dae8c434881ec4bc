"""Badges that reach a wallet advance pathways as issuing does, through the real server (SQLite and
PostgreSQL): steps claimed into one wallet DID (OpenID4VCI and VC-API exchanges) complete the
pathway for that DID, awarded exactly once under 8 concurrent exchanges; an external badge a
learner's wallet upserts through the Open Badges API completes their pathway, exactly once under 8
concurrent upserts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from badge_issuer.clock import FixedClock
from badge_issuer.db.tables import Credential, PathwayAward
from tests.api.test_claims import BROWSER, START, offer_links
from tests.api.test_concurrency import in_parallel
from tests.api.test_issuing import Tenant, bootstrap
from tests.api.test_ob_api import API, bearer, tokens_for
from tests.api.test_openid4vci import now_of
from tests.api.test_pathways import ADA, EXTERNAL_ACHIEVEMENT, achievement, external_badge
from tests.api.test_vc_api_exchange import did_auth, lcw_request
from tests.badges import Issuer
from tests.conftest import LiveServer
from tests.wallet import ALL_SCOPES, Mailbox, MovableClock, post
from tests.wallet import Wallet as OAuthWallet
from tests.wallet_client import Wallet, claim_with

WORKERS = 8


def setup(server: LiveServer, *steps: dict[str, Any]) -> Tenant:
    tenant = bootstrap(server, "uni")
    for slug in ("step-one", "step-two", "certificate"):
        assert (
            httpx.post(tenant.url("/achievements"), json=achievement(slug), headers=tenant.admin).status_code
            == 201
        )
    pathway = {
        "slug": "cert",
        "name": "Certificate",
        "target": "certificate",
        "requirements": {"type": "allOf", "requirements": list(steps)},
    }
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    return tenant


def award(tenant: Tenant, slug: str, email: str) -> dict[str, Any]:
    response = httpx.post(
        tenant.url(f"/achievements/{slug}/credentials"),
        json={"recipient": {"email": email}},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def awards_of_target(server: LiveServer) -> list[str | None]:
    engine = create_engine(server.settings.database_url)
    try:
        with engine.connect() as connection:
            claims = connection.execute(select(func.count()).select_from(PathwayAward)).scalar_one()
            assert claims == len(set(connection.execute(select(PathwayAward.recipient_hash)).scalars()))
            return list(
                connection.execute(
                    select(Credential.recipient_hash).where(
                        Credential.id.in_(select(PathwayAward.credential_id))
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


OWN_STEPS = (
    {"type": "achievement", "achievement": "step-one"},
    {"type": "achievement", "achievement": "step-two"},
)


def test_steps_claimed_into_one_wallet_complete_its_pathway_once_under_concurrent_exchanges(
    live_server: Callable[..., LiveServer], database_url: str
) -> None:
    clock = FixedClock(START)
    server = live_server(clock=clock, verify_workers=0, verify_rate_limit="off", database_url=database_url)
    tenant = setup(server, *OWN_STEPS)
    # the learner's two addresses each hold one step: neither completes the pathway alone
    first = award(tenant, "step-one", ADA)
    second = award(tenant, "step-two", "ada.work@example.org")
    assert awards_of_target(server) == []
    wallet = Wallet(clock=now_of(clock))

    # step one through OpenID4VCI: the DID holds one step, not yet the pathway
    page = httpx.get(first["links"]["claim"], headers=BROWSER).text
    assert claim_with(wallet, offer_links(page)[0])["credentialSubject"]["id"] == wallet.did
    progress = httpx.get(
        tenant.url("/pathways/cert/progress"), params={"recipient": wallet.did}, headers=tenant.admin
    )
    assert progress.json()["complete"] is False
    assert progress.json()["requirements"]["requirements"][0]["countedBy"] == [first["credentialId"]]

    # step two through 8 VC-API exchanges at once: the DID completes the pathway, awarded once
    exchanges = []
    for _ in range(WORKERS):
        exchange = lcw_request(second["links"]["claim"])["protocols"]["vcapi"]
        exchanges.append((exchange, httpx.post(exchange, json={}).json()["verifiablePresentationRequest"]))

    def answer(worker: int) -> list[httpx.Response]:
        exchange, request = exchanges[worker]
        return [httpx.post(exchange, json={"verifiablePresentation": did_auth(wallet, request)}, timeout=120)]

    answers = [response for batch in in_parallel(WORKERS, answer) for response in batch]
    assert [response.status_code for response in answers] == [200] * WORKERS, [r.text for r in answers]
    progress = httpx.get(
        tenant.url("/pathways/cert/progress"), params={"recipient": wallet.did}, headers=tenant.admin
    )
    report = progress.json()
    assert report["complete"] is True and report["award"]["recordId"] is not None, report
    assert set(report["award"]["evidence"]) == {first["credentialId"], second["credentialId"]}
    [awarded] = awards_of_target(server)
    record = httpx.get(tenant.url(f"/credentials/{report['award']['recordId']}"), headers=tenant.admin).json()
    assert record["credential"]["credentialSubject"]["id"] == wallet.did
    assert awarded is not None


def test_an_external_badge_upserted_by_the_learners_wallet_completes_their_pathway_once(
    live_server: Callable[..., LiveServer], database_url: str
) -> None:
    mailbox = Mailbox()
    mailbox.start()
    try:
        server = live_server(
            clock=MovableClock(), database_url=database_url, store_recipient_email=True, **mailbox.settings()
        )
        tenant = setup(server, OWN_STEPS[0], {"type": "external", "achievementId": EXTERNAL_ACHIEVEMENT})
        award(tenant, "step-one", ADA)
        wallet = OAuthWallet(server.url)
        wallet.discover()
        assert wallet.register().status_code == 201
        token = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)["access_token"]
        mooc = Issuer("Open MOOC")
        # someone else's badge in Ada's wallet completes nothing
        not_hers = external_badge(mooc, email="grace@example.org")
        stored = post(server.url + API + "/credentials", json=not_hers, headers=bearer(token))
        assert stored.status_code == 201, stored.text
        assert awards_of_target(server) == []

        hers = external_badge(mooc)
        hers["id"] = "urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
        hers = mooc.sign({key: value for key, value in hers.items() if key != "proof"})

        def upsert(_: int) -> list[httpx.Response]:
            return [post(server.url + API + "/credentials", json=hers, headers=bearer(token), timeout=120)]

        answers = [response for batch in in_parallel(WORKERS, upsert) for response in batch]
        assert {response.status_code for response in answers} <= {200, 201}, [r.text for r in answers]
        assert len(awards_of_target(server)) == 1
        progress = httpx.get(
            tenant.url("/pathways/cert/progress"), params={"recipient": ADA}, headers=tenant.admin
        )
        assert hers["id"] in progress.json()["award"]["evidence"]
    finally:
        mailbox.stop()
