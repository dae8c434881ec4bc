"""The Open Badges API as a wallet uses it: the real app under uvicorn in a subprocess, a real SMTP
server (aiosmtpd) for the sign-in code, httpx as wallet and browser.

Run: ``.venv/bin/python bench/ob_api.py [--credentials 1000] [--postgres URL]``. SQLite in a
temporary folder by default. Awards ``--credentials`` badges to one address (``credentials:batch``),
signs the learner in and authorizes a wallet once, then measures: one page of 100 credentials
(p50/p99 over 50 requests), reading them all page by page, a token refresh (p50/p99 over 30), and an
upsert of a credential from elsewhere (the verification spine runs first; p50 over 10). Bounded in
count; the server is stopped and all temporary state removed at the end.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import os
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from aiosmtpd.controller import Controller

from badge_issuer.config import Settings
from issue_http import bootstrap, free_port, fresh_postgres_database, server

EMAIL = "ada@example.org"
SCOPES = " ".join(
    f"https://purl.imsglobal.org/spec/ob/v3p0/scope/{name}"
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)
REDIRECT = "http://127.0.0.1:9/callback"


class Inbox:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd)
        self.bodies.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def timed(call: Callable[[], httpx.Response], times: int) -> list[float]:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        response = call()
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, response.text
    return took


def report(name: str, took: list[float]) -> None:
    ordered = sorted(took)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"{name:<44} p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms   (n={len(ordered)})")


def fields(page: str) -> dict[str, str]:
    pattern = r'<input type="hidden" name="([^"]*)" value="([^"]*)">'
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(pattern, page)}


def wallet_tokens(url: str, inbox: Inbox) -> tuple[dict[str, str], tuple[str, str]]:
    """Register a wallet, sign the learner in with the emailed code, approve, redeem the code."""
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
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": SCOPES,
        },
    ).json()
    client = (registered["client_id"], registered["client_secret"])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client[0],
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "bench",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as browser:
        page = browser.get("/oauth/authorize?" + urlencode(query))
        asked = browser.post("/learner/sign-in", data={**fields(page.text), "email": EMAIL})
        deadline = time.monotonic() + 10
        while not inbox.bodies and time.monotonic() < deadline:
            time.sleep(0.02)
        code = re.search(r"Your code is (\d{6})", inbox.bodies[-1])
        assert code, inbox.bodies
        entered = browser.post("/learner/sign-in/code", data={**fields(asked.text), "code": code.group(1)})
        consent = browser.get(entered.headers["location"])
        approved = browser.post("/oauth/authorize", data={**fields(consent.text), "decision": "approve"})
    params = parse_qs(urlsplit(approved.headers["location"]).query)
    form = {
        "grant_type": "authorization_code",
        "code": params["code"][0],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    tokens: dict[str, str] = httpx.post(f"{url}/oauth/token", data=form, auth=client).json()
    return tokens, client


def run(settings: Settings, credentials: int) -> None:
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
        }
    )
    try:
        with server(settings, int(urlsplit(settings.base_url).port or 0), 1) as (url, _pid):
            batch = f"{url}/api/v1/issuers/bench/achievements/python-data/credentials:batch"
            for start in range(0, credentials, 500):
                items = [{"recipient": {"email": EMAIL}} for _ in range(min(500, credentials - start))]
                answer = httpx.post(
                    batch, json={"items": items}, headers={"Authorization": f"Bearer {api_key}"}, timeout=600
                )
                assert answer.status_code == 200, answer.text
            tokens, client = wallet_tokens(url, inbox)
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            listing = f"{url}/ims/ob/v3p0/credentials"
            print(f"learner with {credentials} credentials; SQLAlchemy URL {make_label(settings)}")
            report(
                "GET /credentials?limit=100 (first page)",
                timed(lambda: httpx.get(listing, params={"limit": 100}, headers=bearer), 50),
            )
            report(
                f"GET /credentials?limit=100&offset={max(0, credentials - 100)}",
                timed(
                    lambda: httpx.get(
                        listing, params={"limit": 100, "offset": max(0, credentials - 100)}, headers=bearer
                    ),
                    20,
                ),
            )
            began = time.perf_counter()
            page = httpx.get(listing, params={"limit": 100}, headers=bearer)
            pages = 1
            while 'rel="next"' in page.headers.get("link", ""):
                next_url = re.search(r'<([^>]+)>; rel="next"', page.headers["link"])
                assert next_url
                page = httpx.get(next_url.group(1), headers=bearer)
                pages += 1
            took = (time.perf_counter() - began) * 1000
            print(f"{'all credentials, page by page':<44} {took:7.0f} ms ({pages} pages)")
            refresh = tokens["refresh_token"]

            def refreshed() -> httpx.Response:
                nonlocal refresh
                answer = httpx.post(
                    f"{url}/oauth/token",
                    data={"grant_type": "refresh_token", "refresh_token": refresh},
                    auth=client,
                )
                refresh = answer.json().get("refresh_token", refresh)
                return answer

            report("POST /oauth/token (refresh, rotation)", timed(refreshed, 30))
            bearer = {"Authorization": f"Bearer {refreshed().json()['access_token']}"}
            one = httpx.get(listing, params={"limit": 1}, headers=bearer).json()["credential"][0]
            report(
                "POST /credentials (upsert, verified first)",
                timed(lambda: httpx.post(listing, json=one, headers=bearer, timeout=60), 10),
            )
    finally:
        smtp.stop()


def make_label(settings: Settings) -> str:
    return settings.database_url.split("://")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true", help="SQLite even when a PostgreSQL URL is set")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        base = {
            "keys_dir": Path(folder) / "keys",
            "base_url": f"http://127.0.0.1:{port}",
            "oauth_rate_limit": "",
        }
        if args.postgres and not args.sqlite:
            with fresh_postgres_database(args.postgres) as database_url:
                run(Settings(database_url=database_url, **base), args.credentials)  # type: ignore[arg-type]
        else:
            run(Settings(database_url=f"sqlite:///{folder}/bench.sqlite3", **base), args.credentials)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
