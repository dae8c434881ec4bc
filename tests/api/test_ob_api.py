"""The Open Badges API resource routes through the real server, the test acting as a wallet:
discovery → registration → authorization with PKCE (the code read from a real SMTP server) →
token → credentials page by page → refresh → revocation → 401; upsert and profile; and what a
token may not do. Answers are checked against the OB 3.0 OpenAPI file and JSON Schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.formats.png import bake_png
from badge_issuer.formats.svg import bake_svg
from badge_issuer.formats.vcjwt import encode_vc_jwt
from tests.api.test_images import tiny_png
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap, issue
from tests.badges import Issuer, badge
from tests.conftest import LiveServer
from tests.ob_openapi import assert_valid
from tests.wallet import (
    ALL_SCOPES,
    PROFILE_READ,
    READ,
    Browser,
    Mailbox,
    MovableClock,
    Wallet,
    authorize,
    get,
    post,
    put,
)

ADA = "ada@example.org"
BOB = "bob@example.org"
API = "/ims/ob/v3p0"
SCHEMAS = SchemaValidator(default_schemas_dir())
LIST_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_getopenbadgecredentialsresponse_schema.json"
)
IMSX_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_imsx_statusinfo_schema.json"
PROFILE_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json"


@pytest.fixture
def server(
    live_server: Callable[..., LiveServer], mailbox: Mailbox, clock: MovableClock, database_url: str
) -> LiveServer:
    return live_server(clock=clock, database_url=database_url, **mailbox.settings())


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    assert post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    return tenant


def award(tenant: Tenant, email: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = issue(tenant, tenant.admin, {"recipient": {"email": email}})
        assert response.status_code == 201, response.text
        ids.append(response.json()["credential"]["id"])
    return ids


def tokens_for(
    wallet: Wallet, server: LiveServer, mailbox: Mailbox, email: str, scope: str
) -> dict[str, Any]:
    browser = Browser(server.url, mailbox)
    try:
        code, verifier = authorize(wallet, browser, email, scope=scope)
    finally:
        browser.close()
    response = wallet.redeem(code, verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_imsx(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert_valid("Imsx_StatusInfo", response.json())
    assert not SCHEMAS.errors(response.json(), IMSX_SCHEMA)
    assert response.json()["imsx_codeMajor"] == "failure"


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def test_a_wallet_pages_through_the_learners_credentials_then_loses_access(
    server: LiveServer, tenant: Tenant, wallet: Wallet, browser: Browser
) -> None:
    mine = award(tenant, ADA, 5)
    award(tenant, BOB, 1)
    code, verifier = authorize(wallet, browser, ADA)
    tokens = wallet.redeem(code, verifier).json()
    url = server.url + API + "/credentials"

    seen: list[str] = []
    page = get(url, params={"limit": 2}, headers=bearer(tokens["access_token"]))
    pages = 0
    while True:
        assert page.status_code == 200, page.text
        assert page.headers["x-total-count"] == "5"
        body = page.json()
        assert_valid("GetOpenBadgeCredentialsResponse", body)
        assert not SCHEMAS.errors(body, LIST_SCHEMA)
        seen += [credential["id"] for credential in body["credential"]]
        rels = links(page)
        assert {"first", "last"} <= set(rels)
        assert ("prev" in rels) == (pages > 0)
        pages += 1
        if "next" not in rels:
            break
        page = get(rels["next"], headers=bearer(tokens["access_token"]))
    assert pages == 3
    assert sorted(seen) == sorted(mine)  # each once, and only Ada's
    assert "offset=4" in links(page)["last"]

    # every credential a wallet gets verifies
    listed = get(url, headers=bearer(tokens["access_token"])).json()["credential"]
    for credential in listed:
        assert post(server.url + "/api/v1/verify", json=credential).json()["verified"]
    # a wallet that sends one of them back is told it is held (200), and it is not listed twice
    back = post(url, json=listed[0], headers=bearer(tokens["access_token"]))
    assert back.status_code == 200, back.text
    assert get(url, headers=bearer(tokens["access_token"])).headers["x-total-count"] == "5"

    later = get(url, params={"since": "2999-01-01T00:00:00Z"}, headers=bearer(tokens["access_token"]))
    assert later.headers["x-total-count"] == "0"
    assert later.json() == {}

    refreshed = wallet.refresh(tokens["refresh_token"]).json()
    assert get(url, headers=bearer(tokens["access_token"])).status_code == 401  # the old pair ended
    assert get(url, headers=bearer(refreshed["access_token"])).status_code == 200
    assert wallet.revoke(refreshed["access_token"]).status_code == 200
    assert_imsx(get(url, headers=bearer(refreshed["access_token"])), 401)


def test_a_token_reaches_only_its_learner_its_scopes_and_its_lifetime(
    server: LiveServer, tenant: Tenant, wallet: Wallet, mailbox: Mailbox, clock: MovableClock
) -> None:
    adas = award(tenant, ADA, 2)
    bobs = award(tenant, BOB, 1)
    url = server.url + API + "/credentials"
    bob = tokens_for(wallet, server, mailbox, BOB, READ)
    only_bob = get(url, headers=bearer(bob["access_token"]))
    assert only_bob.headers["x-total-count"] == "1"
    # Bob's credential and none of Ada's (a substring "ada" also turns up in random proof values)
    assert bobs[0] in only_bob.text and not any(credential in only_bob.text for credential in adas)

    profile_only = tokens_for(wallet, server, mailbox, ADA, PROFILE_READ)
    assert_imsx(get(url, headers=bearer(profile_only["access_token"])), 403)
    assert_imsx(get(url), 401)
    assert get(url).headers["www-authenticate"].startswith("Bearer")
    assert_imsx(get(url, headers=bearer("made-up")), 401)
    for query in ({"limit": "0"}, {"offset": "-1"}, {"limit": "x"}, {"since": "yesterday"}):
        assert_imsx(get(url, params=query, headers=bearer(bob["access_token"])), 400)

    clock.advance(3601)  # access tokens live an hour
    assert_imsx(get(url, headers=bearer(bob["access_token"])), 401)
    assert (
        get(url, headers=bearer(wallet.refresh(bob["refresh_token"]).json()["access_token"])).status_code
        == 200
    )


def test_a_wallet_stores_verified_credentials_and_the_newer_one_wins(
    server: LiveServer, wallet: Wallet, mailbox: Mailbox
) -> None:
    tokens = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)
    url = server.url + API + "/credentials"
    elsewhere = Issuer("Elsewhere College")
    signed = elsewhere.sign(badge(elsewhere))
    created = post(url, json=signed, headers=bearer(tokens["access_token"]))
    assert created.status_code == 201, created.text
    assert created.json() == signed
    assert post(url, json=signed, headers=bearer(tokens["access_token"])).status_code == 200
    newer = elsewhere.sign(badge(elsewhere, validFrom="2026-02-01T00:00:00Z", name="Data Analysis II"))
    assert post(url, json=newer, headers=bearer(tokens["access_token"])).status_code == 200
    assert post(url, json=signed, headers=bearer(tokens["access_token"])).status_code == 304
    listed = get(url, headers=bearer(tokens["access_token"])).json()
    assert listed == {"credential": [{**newer, "proof": [newer["proof"]]}]}  # the newer copy, as sent
    assert_valid("GetOpenBadgeCredentialsResponse", listed)

    token = encode_vc_jwt(
        badge(elsewhere, id="urn:uuid:0d7e4a8e-2b7c-4c5e-9d6f-1a2b3c4d5e6f"),
        private_key=elsewhere.key,
        kid=elsewhere.signer.verification_method,
    )
    jwt = post(
        url,
        content=token,
        headers={**bearer(tokens["access_token"]), "Content-Type": "text/plain"},
        timeout=30,
    )
    assert jwt.status_code == 201, jwt.text
    assert jwt.text == token
    listed = get(url, headers=bearer(tokens["access_token"])).json()
    assert listed["compactJwsString"] == [token]
    assert_valid("GetOpenBadgeCredentialsResponse", listed)

    # a baked badge is imported as the credential it carries (PNG with JSON, SVG with a VC-JWT)
    baked_json = elsewhere.sign(badge(elsewhere, id="urn:uuid:3f0c9a1e-5b2d-4e6f-8a7b-9c0d1e2f3a4b"))
    png = bake_png(tiny_png(), json.dumps(baked_json))
    as_png = {**bearer(tokens["access_token"]), "Content-Type": "image/png"}
    imported = post(url, content=png, headers=as_png)
    assert imported.status_code == 201, imported.text
    assert imported.json() == baked_json
    svg_token = encode_vc_jwt(
        badge(elsewhere, id="urn:uuid:7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"),
        private_key=elsewhere.key,
        kid=elsewhere.signer.verification_method,
    )
    svg = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', svg_token)
    as_svg = {**bearer(tokens["access_token"]), "Content-Type": "image/svg+xml"}
    assert post(url, content=svg.encode(), headers=as_svg).text == svg_token
    listed = get(url, headers=bearer(tokens["access_token"])).json()
    assert {credential["id"] for credential in listed["credential"]} >= {baked_json["id"]}
    assert svg_token in listed["compactJwsString"]
    assert_valid("GetOpenBadgeCredentialsResponse", listed)

    tampered = json.loads(json.dumps(signed))
    tampered["name"] = "Something Else"
    assert_imsx(post(url, json=tampered, headers=bearer(tokens["access_token"])), 400)
    assert_imsx(post(url, content=b"not a badge", headers=bearer(tokens["access_token"])), 400)
    read_only = tokens_for(wallet, server, mailbox, ADA, READ)
    assert_imsx(post(url, json=signed, headers=bearer(read_only["access_token"])), 403)


def test_the_learners_profile_is_put_and_read_back(
    server: LiveServer, wallet: Wallet, mailbox: Mailbox
) -> None:
    tokens = tokens_for(wallet, server, mailbox, ADA, ALL_SCOPES)
    url = server.url + API + "/profile"
    assert_imsx(get(url, headers=bearer(tokens["access_token"])), 404)
    profile = {
        "id": "did:example:ada",
        "type": ["Profile"],
        "name": "Ada Lovelace",
        "email": ADA,
    }
    stored = put(url, json=profile, headers=bearer(tokens["access_token"]))
    assert stored.status_code == 200, stored.text
    got = get(url, headers=bearer(tokens["access_token"]))
    assert got.json() == profile
    assert_valid("Profile", got.json())
    assert not SCHEMAS.errors(got.json(), PROFILE_SCHEMA)
    assert_imsx(put(url, json={"name": "no id"}, headers=bearer(tokens["access_token"])), 400)
    reader = tokens_for(wallet, server, mailbox, ADA, PROFILE_READ)
    assert_imsx(put(url, json=profile, headers=bearer(reader["access_token"])), 403)
    assert get(url, headers=bearer(reader["access_token"])).json() == profile
