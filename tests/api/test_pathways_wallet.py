"""A badge the learner's wallet stored here through the Open Badges API (upsert) counts toward a
pathway like one submitted for them: verified again before it counts, and only when it is theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from badge_issuer.formats.vcjwt import encode_vc_jwt
from tests.api.test_ob_api import API, bearer, tokens_for
from tests.api.test_pathways import ADA, PATHWAY, award_step, external_badge, setup_tenant
from tests.badges import Issuer
from tests.conftest import LiveServer
from tests.wallet import ALL_SCOPES, Mailbox, MovableClock, Wallet, post


@pytest.fixture
def server(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, clock: MovableClock, database_url: str
) -> LiveServer:
    return live_server(clock=clock, database_url=database_url, **mailbox.settings())


def test_a_wallet_upserted_badge_completes_a_pathway(
    server: LiveServer, wallet: Wallet, mailbox: Mailbox
) -> None:
    tenant = setup_tenant(server)
    assert httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=tenant.admin).status_code == 201
    first = award_step(tenant, "step-one")
    second = award_step(tenant, "step-two", result=[{"value": "90"}])
    mooc = Issuer("Open MOOC")
    tokens = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)
    # the wallet also stores a badge of someone else's: it never counts for Ada
    not_hers = external_badge(mooc, email="grace@example.org")
    not_hers["id"] = "urn:uuid:3c0f7e5e-9d64-4f4b-8a0a-6b9f3f6c2d11"
    for credential in (mooc.sign({k: v for k, v in not_hers.items() if k != "proof"}), external_badge(mooc)):
        stored = post(
            server.url + API + "/credentials", json=credential, headers=bearer(tokens["access_token"])
        )
        assert stored.status_code == 201, stored.text

    def progress() -> dict[str, Any]:
        answer = httpx.get(
            tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=tenant.admin
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    report = progress()
    assert report["complete"] is True and report["award"] is None
    [set_aside] = report["notCounting"]
    assert set_aside["credential"] == not_hers["id"] and "recipient" in set_aside["reason"]
    awarded = httpx.post(
        tenant.url("/pathways/data-certificate/awards"),
        json={"recipient": ADA},
        headers=tenant.admin,
        timeout=60,
    )
    assert awarded.status_code == 200, awarded.text
    evidence = awarded.json()["award"]["evidence"]
    assert set(evidence) == {
        first["credential"]["id"],
        second["credential"]["id"],
        external_badge(mooc)["id"],
    }


def test_a_wallet_upserted_vc_jwt_badge_counts_once_it_verifies_as_the_learners(
    server: LiveServer, wallet: Wallet, mailbox: Mailbox
) -> None:
    tenant = setup_tenant(server)
    assert httpx.post(tenant.url("/pathways"), json=PATHWAY, headers=tenant.admin).status_code == 201
    award_step(tenant, "step-one")
    award_step(tenant, "step-two", result=[{"value": "90"}])
    mooc = Issuer("Open MOOC")
    tokens = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)

    def as_jwt(credential: dict[str, Any]) -> str:
        unsigned = {key: value for key, value in credential.items() if key != "proof"}
        return encode_vc_jwt(unsigned, private_key=mooc.key, kid=mooc.signer.verification_method)

    def upsert(token: str) -> None:
        stored = post(
            server.url + API + "/credentials",
            content=token,
            headers={**bearer(tokens["access_token"]), "Content-Type": "text/plain"},
        )
        assert stored.status_code == 201, stored.text

    not_hers = external_badge(mooc, email="grace@example.org")
    not_hers["id"] = "urn:uuid:5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    upsert(as_jwt(not_hers))
    progress = httpx.get(
        tenant.url("/pathways/data-certificate/progress"), params={"recipient": ADA}, headers=tenant.admin
    ).json()
    assert progress["complete"] is False
    [set_aside] = progress["notCounting"]
    assert set_aside["credential"] == not_hers["id"] and "recipient" in set_aside["reason"]

    upsert(as_jwt(external_badge(mooc)))
    awarded = httpx.post(
        tenant.url("/pathways/data-certificate/awards"),
        json={"recipient": ADA},
        headers=tenant.admin,
        timeout=60,
    )
    assert awarded.status_code == 200, awarded.text
    assert external_badge(mooc)["id"] in awarded.json()["award"]["evidence"]
