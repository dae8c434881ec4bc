"""did:web holders in OpenID4VCI key proofs, through the real server: the wallet's DID document is
served over real TLS by a local HTTPS server (its CA trusted through ``BADGE_FETCH_CA_BUNDLE``) and
fetched by the guarded fetcher; the ``kid`` must be a verification method that document lists for
that DID, and a document that cannot be had fails closed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from badge_issuer.clock import FixedClock
from badge_issuer.crypto.keys import public_key_multibase
from tests.api.test_claims import BROWSER, START, award, offer_links
from tests.api.test_issuing import ACHIEVEMENT, bootstrap
from tests.conftest import LiveServer
from tests.tls import Site, https_site
from tests.wallet_client import Offer, Session, Wallet


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with https_site(tmp_path_factory.mktemp("did-web")) as served:
        yield served


def did_web(site: Site, name: str) -> str:
    return f"did:web:127.0.0.1%3A{site.port}:wallets:{name}"


def document(did: str, wallet: Wallet, *, fragment: str = "key-1", controller: str | None = None) -> bytes:
    method: dict[str, Any] = {
        "id": f"{did}#{fragment}",
        "type": "Multikey",
        "controller": controller or did,
        "publicKeyMultibase": public_key_multibase(wallet.public_key),
    }
    return json.dumps(
        {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [method],
            "authentication": [method["id"]],
        }
    ).encode()


def test_a_did_web_wallet_gets_its_badge_and_bad_documents_fail_closed(
    site: Site, live_server: Callable[..., LiveServer]
) -> None:
    clock = FixedClock(START)
    server = live_server(
        clock=clock,
        verify_workers=0,
        verify_rate_limit="off",
        allow_private_fetch=True,
        fetch_ca_bundle=site.ca,
    )
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    claim = award(tenant).json()["links"]["claim"]
    offer = Offer.from_uri(offer_links(httpx.get(claim, headers=BROWSER).text)[0])
    session = Session.discover(offer)
    assert (
        "did:web"
        in session.metadata["credential_configurations_supported"]["python-data"][
            "cryptographic_binding_methods_supported"
        ]
    )
    assert session.token(offer.code).status_code == 200
    wallet = Wallet(clock=lambda: clock.at.timestamp())
    ada = did_web(site, "ada")
    site.serve("/wallets/ada/did.json", document(ada, wallet))
    other = Wallet("someone else's wallet")
    site.serve("/wallets/mallory/did.json", document(did_web(site, "mallory"), other))
    site.serve("/wallets/borrowed/did.json", document(did_web(site, "borrowed"), wallet, controller=ada))

    def answer(kid: str) -> httpx.Response:
        proof = wallet.key_proof(audience=offer.issuer, nonce=session.nonce(), header={"kid": kid})
        return session.credential(offer.configuration_id, proof)

    for kid in (
        f"{ada}#key-2",  # not a method of the DID
        f"{did_web(site, 'mallory')}#key-1",  # lists another key: the signature fails
        f"{did_web(site, 'borrowed')}#key-1",  # a method its document says someone else controls
        f"{did_web(site, 'nobody')}#key-1",  # no document (404)
        "did:web:127.0.0.1%3A9:wallets:ada#key-1",  # nothing listens there
    ):
        refused = answer(kid)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_proof", (kid, refused.text)

    delivered = answer(f"{ada}#key-1")
    assert delivered.status_code == 200, delivered.text
    credential = delivered.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == ada
    report = httpx.post(f"{server.url}/api/v1/verify", json=credential, timeout=30).json()
    assert report["verified"] is True, report
