"""The CLR 2.0 API through the real server, the test acting as a learner's wallet with a real
access token (registration, sign-in with the code from a real SMTP server, PKCE): the learner's own
ClrCredentials, one per issuer, each signed once for what it carries, verifying, and held to the
GetClrCredentialsResponse schema; another learner's token never sees them; the scope is enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from tests.api.test_concurrency import in_parallel
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.api.test_ob_api import ADA, BOB, assert_imsx, award, bearer, links, tokens_for
from tests.conftest import LiveServer
from tests.wallet import ALL_SCOPES, READ, Mailbox, MovableClock, Wallet, get, post

CLR_READ = "https://purl.imsglobal.org/spec/clr/v2p0/scope/credential.readonly"
CLR_API = "/ims/clr/v2p0"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
RESPONSE_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_getclrcredentialsresponse_schema.json"
)
SCHEMAS = SchemaValidator(default_schemas_dir())


@pytest.fixture
def server(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, clock: MovableClock, database_url: str
) -> LiveServer:
    return live_server(clock=clock, database_url=database_url, **mailbox.settings())


@pytest.fixture
def clr_wallet(server: LiveServer) -> Wallet:
    wallet = Wallet(server.url)
    wallet.discover()
    assert wallet.register(scope=f"{ALL_SCOPES} {CLR_READ}").status_code == 201
    return wallet


def tenant_with_achievement(server: LiveServer, slug: str) -> Tenant:
    tenant = bootstrap(server, slug)
    assert post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    return tenant


def nested_ids(clr: dict[str, Any]) -> set[str]:
    return {item["id"] for item in clr["credentialSubject"]["verifiableCredential"]}


def issuer_id(tenant: Tenant) -> str:
    answer = httpx.get(f"{tenant.server.url}/api/v1/issuers/{tenant.slug}", headers=tenant.admin)
    identifier: str = answer.json()["id"]
    return identifier


def test_a_wallet_gets_the_learners_own_signed_clr_from_each_issuer(
    server: LiveServer, clr_wallet: Wallet, mailbox: Mailbox
) -> None:
    uni, college = tenant_with_achievement(server, "uni"), tenant_with_achievement(server, "college")
    ada_uni = award(uni, ADA, 2)
    bob_uni = award(uni, BOB, 1)
    ada_college = award(college, ADA, 1)
    url = server.url + CLR_API + "/credentials"
    ada = tokens_for(clr_wallet, server, mailbox, ADA, CLR_READ)["access_token"]

    # four reads at once: each CLR is signed once, whoever signs it
    answers = [batch[0] for batch in in_parallel(4, lambda _: [get(url, headers=bearer(ada))])]
    assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]
    assert all(answer.json() == answers[0].json() for answer in answers)
    answer = answers[0]
    assert answer.headers["x-total-count"] == "2"
    body = answer.json()
    assert not SCHEMAS.errors(body, RESPONSE_SCHEMA)
    by_issuer = {clr["issuer"]["id"]: clr for clr in body["credential"]}
    assert set(by_issuer) == {issuer_id(uni), issuer_id(college)}
    assert nested_ids(by_issuer[issuer_id(uni)]) == set(ada_uni)
    assert nested_ids(by_issuer[issuer_id(college)]) == set(ada_college)
    for clr in body["credential"]:
        assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
        assert "proof" in clr and clr["credentialStatus"]["statusPurpose"] == "revocation"
        assert not SCHEMAS.errors(clr, CLR_SCHEMA)
        # the learner as their badges name them (a salted hash of the address, never the address)
        nested = clr["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]
        assert clr["credentialSubject"]["identifier"] == nested["identifier"]
        assert ADA not in str(clr)
    # our verifier verifies one (test_clr.py verifies CLRs in depth)
    verdict = post(server.url + "/api/v1/verify", json=by_issuer[issuer_id(uni)]).json()
    assert verdict["verified"] is True, verdict

    # read again: the same CLRs (signed once for what they carry), page by page
    first = get(url, params={"limit": 1}, headers=bearer(ada))
    assert first.json()["credential"] == [body["credential"][0]]
    second = get(links(first)["next"], headers=bearer(ada))
    assert second.json()["credential"] == [body["credential"][1]]
    assert "next" not in links(second)

    # a new badge: a new CLR from that issuer, carrying it
    newer = award(uni, ADA, 1)
    again = {clr["issuer"]["id"]: clr for clr in get(url, headers=bearer(ada)).json()["credential"]}
    assert nested_ids(again[issuer_id(uni)]) == set(ada_uni + newer)
    assert again[issuer_id(uni)]["id"] != by_issuer[issuer_id(uni)]["id"]
    assert again[issuer_id(college)] == by_issuer[issuer_id(college)]

    # another learner's token sees only their own CLR
    bob = tokens_for(clr_wallet, server, mailbox, BOB, CLR_READ)["access_token"]
    only_bob = get(url, headers=bearer(bob))
    assert only_bob.headers["x-total-count"] == "1"
    [bobs] = only_bob.json()["credential"]
    assert nested_ids(bobs) == set(bob_uni)
    assert not (set(ada_uni) | set(ada_college)) & set(str(only_bob.json()).split("'"))

    # the issuer revokes Ada's CLR from the college: it is withheld, not signed again
    revoked = httpx.post(
        f"{server.url}/credentials/status",
        json={
            "credentialId": again[issuer_id(college)]["id"],
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
        },
        headers=college.admin,
    )
    assert revoked.status_code == 200, revoked.text
    after = get(url, headers=bearer(ada)).json()["credential"]
    assert [clr["issuer"]["id"] for clr in after] == [issuer_id(uni)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # scopes are no database's business
def test_the_clr_api_holds_to_its_scope_and_its_discovery_document(
    server: LiveServer, clr_wallet: Wallet, mailbox: Mailbox
) -> None:
    uni = tenant_with_achievement(server, "uni")
    award(uni, ADA, 1)
    url = server.url + CLR_API + "/credentials"
    ob_only = tokens_for(clr_wallet, server, mailbox, ADA, READ)["access_token"]
    assert_imsx(get(url, headers=bearer(ob_only)), 403)  # an Open Badges scope is not the CLR one
    assert_imsx(get(url), 401)
    assert_imsx(get(url, headers=bearer("made-up")), 401)
    clr_only = tokens_for(clr_wallet, server, mailbox, ADA, CLR_READ)["access_token"]
    assert_imsx(get(server.url + "/ims/ob/v3p0/credentials", headers=bearer(clr_only)), 403)
    for query in ({"limit": "0"}, {"offset": "-1"}, {"limit": "x"}):
        assert_imsx(get(url, params=query, headers=bearer(clr_only)), 400)
    nobody = tokens_for(clr_wallet, server, mailbox, "carol@example.org", CLR_READ)["access_token"]
    empty = get(url, headers=bearer(nobody))
    assert empty.status_code == 200 and empty.json() == {} and empty.headers["x-total-count"] == "0"

    sdd = get(server.url + CLR_API + "/discovery").json()
    assert sdd["servers"] == [{"url": server.url + CLR_API}]
    flow = sdd["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == {CLR_READ}
    assert sdd["paths"]["/credentials"]["get"]["security"] == [{"OAuth2ACG": [CLR_READ]}]
    metadata = get(server.url + "/.well-known/oauth-authorization-server").json()
    assert CLR_READ in metadata["scopes_supported"]
