"""A wallet (OAuth client) and a learner's browser driving the real server, and a real SMTP server.

``Mailbox`` is aiosmtpd on a loopback port: the server sends sign-in codes to it over SMTP and the
test reads them like a learner reads their email. ``Wallet`` does what a Service Consumer does:
discovery, registration, the authorization request with PKCE, the token requests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from aiosmtpd.controller import Controller

from tests.conftest import free_port

OB = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
READ = OB + "credential.readonly"
UPSERT = OB + "credential.upsert"
PROFILE_READ = OB + "profile.readonly"
PROFILE_UPDATE = OB + "profile.update"
ALL_SCOPES = f"{READ} {UPSERT} {PROFILE_READ} {PROFILE_UPDATE}"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # loopback: never followed by the tests
#: seconds a test waits for an answer (the machine is shared: be patient, not flaky)
TIMEOUT = 60


def get(url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return httpx.get(url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return httpx.post(url, **kwargs)


def put(url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return httpx.put(url, **kwargs)


class MovableClock:
    """The server's clock, moved by the test (code and token expiry)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += timedelta(seconds=seconds)


class Mailbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it is sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def settings(self) -> dict[str, object]:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none"}

    def to(self, address: str) -> list[str]:
        with self._lock:
            found = [content for rcpt, content in self.messages if address in rcpt]
        return [message_from_bytes(content).get_payload(decode=False) for content in found]  # type: ignore[misc]

    def code_for(self, address: str, *, seen: int = 0) -> str:
        """The code in message number ``seen`` to ``address`` (waits briefly for it to arrive)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            bodies = self.to(address)
            if len(bodies) > seen:
                match = re.search(r"Your code is (\d{6})", bodies[seen])
                assert match, bodies[seen]
                return match.group(1)
            time.sleep(0.02)
        raise AssertionError(f"no sign-in code reached {address}")


def hidden_fields(page: str) -> dict[str, str]:
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    }


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_name": "Test Wallet",
        "client_uri": "http://127.0.0.1:9/",
        "logo_uri": "http://127.0.0.1:9/logo.png",
        "tos_uri": "http://127.0.0.1:9/tos",
        "policy_uri": "http://127.0.0.1:9/privacy",
        "software_id": "c5a8d4b2-test-wallet",
        "software_version": "1.0",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


@dataclass
class Wallet:
    base: str
    client_id: str = ""
    client_secret: str = ""
    sdd: dict[str, Any] = field(default_factory=dict)

    @property
    def flows(self) -> dict[str, Any]:
        scheme: dict[str, Any] = self.sdd["components"]["securitySchemes"]["OAuth2ACG"]
        flows: dict[str, Any] = scheme["flows"]["authorizationCode"]
        return flows

    def discover(self) -> dict[str, Any]:
        response = get(self.base + "/ims/ob/v3p0/discovery")
        assert response.status_code == 200, response.text
        self.sdd = response.json()
        return self.sdd

    def register(self, **overrides: Any) -> httpx.Response:
        url = self.sdd["components"]["securitySchemes"]["OAuth2ACG"]["x-imssf-registrationUrl"]
        response = post(url, json=registration(**overrides))
        if response.status_code == 201:
            self.client_id = response.json()["client_id"]
            self.client_secret = response.json()["client_secret"]
        return response

    def authorize_url(self, **params: str | None) -> str:
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI}
        query.update({key: value for key, value in params.items() if value is not None})
        return str(self.flows["authorizationUrl"]) + "?" + urlencode(query)

    def token(self, form: dict[str, str], *, secret: str | None = None) -> httpx.Response:
        auth = (self.client_id, secret if secret is not None else self.client_secret)
        return post(str(self.flows["tokenUrl"]), data=form, auth=auth)

    def redeem(self, code: str, verifier: str, *, redirect_uri: str = REDIRECT_URI) -> httpx.Response:
        return self.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )

    def refresh(self, refresh_token: str, scope: str | None = None) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            form["scope"] = scope
        return self.token(form)

    def revoke(self, token: str, hint: str = "access_token") -> httpx.Response:
        url = self.sdd["components"]["securitySchemes"]["OAuth2ACG"]["x-revocationUrl"]
        return post(
            url, data={"token": token, "token_type_hint": hint}, auth=(self.client_id, self.client_secret)
        )


class Browser:
    """A learner's browser: keeps the session cookie, reads forms, never leaves the server."""

    def __init__(self, base: str, mailbox: Mailbox) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=TIMEOUT)
        self.mailbox = mailbox

    def close(self) -> None:
        self.client.close()

    def sign_in(self, page: httpx.Response, email: str) -> httpx.Response:
        """From a sign-in page: ask for a code, read it from the mailbox, enter it; follows back."""
        assert "Sign in with your email address" in page.text, page.text
        seen = len(self.mailbox.to(email))
        asked = self.client.post("/learner/sign-in", data={**hidden_fields(page.text), "email": email})
        assert asked.status_code == 200, asked.text
        code = self.mailbox.code_for(email, seen=seen)
        entered = self.client.post("/learner/sign-in/code", data={**hidden_fields(asked.text), "code": code})
        assert entered.status_code == 303, entered.text
        return self.client.get(entered.headers["location"])

    def decide(self, consent: httpx.Response, decision: str = "approve") -> httpx.Response:
        assert "would like to" in consent.text, consent.text
        return self.client.post(
            "/oauth/authorize", data={**hidden_fields(consent.text), "decision": decision}
        )


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect to the wallet's redirect URI."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def authorize(wallet: Wallet, browser: Browser, email: str, *, scope: str = ALL_SCOPES) -> tuple[str, str]:
    """The whole authorization (sign in if needed, approve): returns (code, verifier)."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    url = wallet.authorize_url(
        scope=scope, state=state, code_challenge=challenge, code_challenge_method="S256"
    )
    page = browser.client.get(url)
    if "Sign in with your email address" in page.text:
        page = browser.sign_in(page, email)
    if page.status_code == 200:
        page = browser.decide(page)
    params = redirect_params(page)
    assert params["state"] == state
    return params["code"], verifier
