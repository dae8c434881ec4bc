"""OpenID4VCI flows as a wallet does them: the real app under uvicorn in a subprocess, a real SMTP
server (aiosmtpd), httpx as wallet and browser, a real Ed25519 did:key wallet key.

Run: ``.venv/bin/python bench/wallet_flows.py [--rounds 10] [--postgres URL]``. SQLite in a temporary
folder by default. Awards ``--rounds`` badges to one address, signs the learner in once, then
measures, each ``--rounds`` times: the authorization code flow with the learner signed in
(authorization request → consent page → approve → token → nonce → credential), the pre-authorized
flow with the tx_code by email (claim page form → the email arrives → offer by reference → token
→ nonce → credential), and a notification. Bounded in count; the server is stopped and all
temporary state removed at the end.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import OKPKey

from badge_issuer.config import Settings
from badge_issuer.crypto.did import did_key
from badge_issuer.crypto.keys import raw_public_key
from badge_issuer.formats.vcjwt import REGISTRY
from issue_http import bootstrap, free_port, fresh_postgres_database, server
from ob_api import EMAIL, REDIRECT, SCOPES, Inbox, fields, report

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class Holder:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.did = did_key(raw_public_key(self.key.public_key()))

    def proof(self, audience: str, nonce: str, iss: str | None = None) -> str:
        kid = f"{self.did}#{self.did.removeprefix('did:key:')}"
        payload = {"aud": audience, "iat": int(time.time()), "nonce": nonce, **({"iss": iss} if iss else {})}
        return jws.serialize_compact(
            {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": kid},
            json.dumps(payload).encode(),
            OKPKey.import_key(self.key),
            registry=REGISTRY,
        )


def wait_for(inbox: Inbox, count: int) -> str:
    deadline = time.monotonic() + 10
    while len(inbox.bodies) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(inbox.bodies) >= count, "no mail"
    return inbox.bodies[count - 1]


def run(settings: Settings, rounds: int) -> None:
    api_key = bootstrap(settings)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    os.environ.update(
        {
            "BADGE_SMTP_HOST": "127.0.0.1",
            "BADGE_SMTP_PORT": str(smtp.port),
            "BADGE_SMTP_SECURITY": "none",
            "BADGE_OAUTH_RATE_LIMIT": "",
            "BADGE_WALLET_TX_CODE": "true",
            "BADGE_WALLET_TX_CODE_CHANNEL": "email",
        }
    )
    try:
        with server(settings, int(urlsplit(settings.base_url).port or 0), 1) as (url, _pid):
            issuer = f"{url}/issuers/bench"
            batch = f"{url}/api/v1/issuers/bench/achievements/python-data/credentials:batch"
            items = [{"recipient": {"email": EMAIL}} for _ in range(rounds)]
            answer = httpx.post(batch, json={"items": items}, headers={"Authorization": f"Bearer {api_key}"})
            claims = [result["links"]["claim"] for result in answer.json()["results"]]
            registered = httpx.post(
                f"{url}/oauth/register",
                json={
                    "client_name": "Bench Wallet",
                    "client_uri": "http://127.0.0.1:9/",
                    "logo_uri": "http://127.0.0.1:9/logo.png",
                    "tos_uri": "http://127.0.0.1:9/tos",
                    "policy_uri": "http://127.0.0.1:9/privacy",
                    "software_id": "bench",
                    "software_version": "1",
                    "redirect_uris": [REDIRECT],
                    "scope": SCOPES,
                },
            ).json()
            client = (registered["client_id"], registered["client_secret"])
            metadata = httpx.get(f"{url}/.well-known/openid-credential-issuer/issuers/bench").json()
            server_metadata = httpx.get(f"{url}/.well-known/oauth-authorization-server/issuers/bench").json()
            holder = Holder()
            browser = httpx.Client(follow_redirects=False, timeout=30)
            access: list[str] = []

            def authorization_url() -> tuple[str, str]:
                verifier = secrets.token_urlsafe(48)
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                query = {
                    "response_type": "code",
                    "client_id": client[0],
                    "redirect_uri": REDIRECT,
                    "state": "bench",
                    "code_challenge": challenge.decode(),
                    "code_challenge_method": "S256",
                    "authorization_details": json.dumps(
                        [{"type": "openid_credential", "credential_configuration_id": "python-data"}]
                    ),
                }
                return server_metadata["authorization_endpoint"] + "?" + urlencode(query), verifier

            # the learner signs in once (the session cookie then serves every round)
            first, _ = authorization_url()
            page = browser.get(first)
            asked = browser.post(f"{url}/learner/sign-in", data={**fields(page.text), "email": EMAIL})
            code = re.search(r"Your code is (\d{6})", wait_for(inbox, 1))
            assert code
            browser.post(f"{url}/learner/sign-in/code", data={**fields(asked.text), "code": code.group(1)})

            def credential(token: str, **target: str) -> httpx.Response:
                nonce = httpx.post(metadata["nonce_endpoint"]).json()["c_nonce"]
                body = {**target, "proofs": {"jwt": [holder.proof(issuer, nonce)]}}
                return httpx.post(
                    metadata["credential_endpoint"],
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )

            def authorization_code_flow() -> httpx.Response:
                target, verifier = authorization_url()
                consent = browser.get(target)
                action = re.search(r'<form method="post" action="([^"]+)">', consent.text)
                assert action, consent.text
                approved = browser.post(
                    f"{url}{action.group(1)}", data={**fields(consent.text), "decision": "approve"}
                )
                code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
                form = {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                }
                token = httpx.post(server_metadata["token_endpoint"], data=form, auth=client).json()
                identifier = token["authorization_details"][0]["credential_identifiers"][0]
                access.append(token["access_token"])
                return credential(token["access_token"], credential_identifier=identifier)

            mails = [1]
            left = list(claims)

            def emailed_tx_code_flow() -> httpx.Response:
                page = httpx.post(left.pop(), data={"email": EMAIL}, timeout=30)
                mails[0] += 1
                tx_code = re.search(r"Your code is (\d{6})", wait_for(inbox, mails[0]))
                assert tx_code
                reference = re.search(r'id="offer-link" type="text" value="([^"]+)"', page.text)
                assert reference
                offer_uri = unquote(
                    parse_qs(urlsplit(reference.group(1).replace("&amp;", "&")).query)[
                        "credential_offer_uri"
                    ][0]
                )
                offer = httpx.get(offer_uri).json()
                form = {
                    "grant_type": PRE_AUTHORIZED,
                    "pre-authorized_code": offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"],
                    "tx_code": tx_code.group(1),
                }
                token = httpx.post(server_metadata["token_endpoint"], data=form).json()["access_token"]
                answer = credential(token, credential_configuration_id="python-data")
                notifications.append((token, answer.json()["notification_id"]))
                return answer

            notifications: list[tuple[str, str]] = []

            def notify() -> httpx.Response:
                token, notification_id = notifications.pop()
                return httpx.post(
                    metadata["notification_endpoint"],
                    json={"notification_id": notification_id, "event": "credential_accepted"},
                    headers={"Authorization": f"Bearer {token}"},
                )

            print(f"{rounds} rounds each; SQLAlchemy URL {settings.database_url.split('://')[0]}")
            report("authorization code flow (signed in)", timed(authorization_code_flow, rounds))
            report("pre-authorized, tx_code by email", timed(emailed_tx_code_flow, rounds))
            report("notification", timed(notify, rounds))
            browser.close()
    finally:
        smtp.stop()


def timed(call: Callable[[], httpx.Response], times: int) -> list[float]:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        response = call()
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, response.text
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true", help="SQLite even when a PostgreSQL URL is set")
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, 100))
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        base = {
            "keys_dir": Path(folder) / "keys",
            "base_url": f"http://127.0.0.1:{port}",
            "oauth_rate_limit": "",
        }
        if args.postgres and not args.sqlite:
            with fresh_postgres_database(args.postgres) as database_url:
                run(Settings(database_url=database_url, **base), rounds)  # type: ignore[arg-type]
        else:
            run(Settings(database_url=f"sqlite:///{folder}/bench.sqlite3", **base), rounds)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
