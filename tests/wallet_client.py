"""Our own wallet, as a test client: a real Ed25519 key, its did:key, and the OpenID4VCI 1.0
pre-authorized code flow done the way a wallet does it (offer → metadata → token → nonce → key
proof → credential), and the authorization code flow (``CodeFlow``: authorization request with
PKCE, the learner's consent in a browser, token, credential), over HTTP against the real server."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jws
from joserfc.jwk import OKPKey

from badge_issuer.formats.jwk import public_key_to_jwk
from badge_issuer.formats.vcjwt import REGISTRY
from tests.badges import Issuer

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class Wallet(Issuer):
    """A learner's wallet: an Ed25519 key whose did:key is the holder DID."""

    def __init__(self, name: str = "Ada's wallet", *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(name)
        #: the wallet's idea of now (a test's server may run on a fixed clock)
        self.clock = clock

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def key_proof(
        self,
        *,
        audience: str,
        nonce: str | None,
        iat: float | None = None,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        signer: Issuer | None = None,
    ) -> str:
        """An ``openid4vci-proof+jwt`` naming this wallet's key (kid), signed by ``signer`` (default:
        us); ``header`` entries replace ours, and a None value removes one."""
        protected: dict[str, Any] = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": self.kid}
        protected.update(header or {})
        protected = {name: value for name, value in protected.items() if value is not None}
        payload: dict[str, Any] = {"aud": audience, "iat": int(iat if iat is not None else self.clock())}
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        key = OKPKey.import_key((signer or self).key)
        return jws.serialize_compact(protected, json.dumps(payload).encode(), key, registry=REGISTRY)

    @property
    def public_jwk(self) -> dict[str, str]:
        return public_key_to_jwk(self.key.public_key())


@dataclass
class Offer:
    document: dict[str, Any]

    @classmethod
    def from_uri(cls, uri: str) -> Offer:
        """An ``openid-credential-offer://`` link, by value or by reference (fetched)."""
        parts = urlsplit(uri)
        assert parts.scheme == "openid-credential-offer", uri
        query = parse_qs(parts.query)
        if "credential_offer" in query:
            return cls(json.loads(query["credential_offer"][0]))
        response = httpx.get(query["credential_offer_uri"][0])
        assert response.status_code == 200, response.text
        return cls(response.json())

    @property
    def issuer(self) -> str:
        return str(self.document["credential_issuer"])

    @property
    def code(self) -> str:
        return str(self.document["grants"][PRE_AUTHORIZED]["pre-authorized_code"])

    @property
    def configuration_id(self) -> str:
        return str(self.document["credential_configuration_ids"][0])


def well_known(identifier: str, name: str) -> str:
    """The well-known URL of ``identifier`` (the segment goes before the identifier's path)."""
    parts = urlsplit(identifier)
    return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{parts.path.rstrip('/')}"


@dataclass
class Session:
    """What a wallet learns on its way through the flow."""

    metadata: dict[str, Any]
    token_endpoint: str
    access_token: str | None = None

    @classmethod
    def discover(cls, offer: Offer) -> Session:
        metadata = httpx.get(well_known(offer.issuer, "openid-credential-issuer"), timeout=30).json()
        assert metadata["credential_issuer"] == offer.issuer
        assert offer.configuration_id in metadata["credential_configurations_supported"]
        servers = metadata.get("authorization_servers") or [offer.issuer]
        authorization = httpx.get(well_known(servers[0], "oauth-authorization-server"), timeout=30).json()
        assert authorization["issuer"] == servers[0]
        return cls(metadata=metadata, token_endpoint=authorization["token_endpoint"])

    def token(self, code: str, tx_code: str | None = None) -> httpx.Response:
        form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        response = httpx.post(self.token_endpoint, data=form)
        if response.status_code == 200:
            self.access_token = response.json()["access_token"]
        return response

    def nonce(self) -> str:
        response = httpx.post(self.metadata["nonce_endpoint"])
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return str(response.json()["c_nonce"])

    def credential(self, configuration_id: str, proof: str, **extra: Any) -> httpx.Response:
        return httpx.post(
            self.metadata["credential_endpoint"],
            json={"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}, **extra},
            headers={"Authorization": f"Bearer {self.access_token}"},
            timeout=30,
        )


def claim_with(wallet: Wallet, offer_uri: str, tx_code: str | None = None) -> dict[str, Any]:
    """The whole pre-authorized flow; the credential the issuer sent."""
    offer = Offer.from_uri(offer_uri)
    session = Session.discover(offer)
    token = session.token(offer.code, tx_code)
    assert token.status_code == 200, token.text
    proof = wallet.key_proof(audience=offer.issuer, nonce=session.nonce())
    response = session.credential(offer.configuration_id, proof)
    assert response.status_code == 200, response.text
    [item] = response.json()["credentials"]
    return dict(item["credential"])


AUTHORIZATION_CODE = "authorization_code"


def authorization_server(issuer: str) -> dict[str, Any]:
    metadata = httpx.get(well_known(issuer, "openid-credential-issuer")).json()
    servers = metadata.get("authorization_servers") or [issuer]
    return dict(httpx.get(well_known(servers[0], "oauth-authorization-server")).json())


@dataclass
class CodeFlow:
    """The authorization code flow as a registered wallet does it (RFC 6749 §4.1, PKCE S256, the
    client authenticated with client_secret_basic at the token endpoint)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    verifier: str = ""
    state: str = ""

    def authorization_query(
        self,
        *,
        configuration_ids: list[str] | None = None,
        scope: str | None = None,
        issuer_state: str | None = None,
        **extra: str,
    ) -> dict[str, str]:
        """A fresh PKCE verifier and state, and the authorization request's parameters."""
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=")
        query: dict[str, str] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
        if configuration_ids is not None:
            query["authorization_details"] = json.dumps(
                [{"type": "openid_credential", "credential_configuration_id": c} for c in configuration_ids]
            )
        if scope is not None:
            query["scope"] = scope
        if issuer_state is not None:
            query["issuer_state"] = issuer_state
        query.update(extra)
        return query

    def authorization_url(self, **asked: Any) -> str:
        query = self.authorization_query(**asked)
        return str(authorization_server(self.issuer)["authorization_endpoint"]) + "?" + urlencode(query)

    def push(self, *, secret: str | None = None, **asked: Any) -> httpx.Response:
        """A pushed authorization request (RFC 9126) with the wallet's client credentials."""
        endpoint = authorization_server(self.issuer)["pushed_authorization_request_endpoint"]
        auth = (self.client_id, self.client_secret if secret is None else secret)
        return httpx.post(endpoint, data=self.authorization_query(**asked), auth=auth, timeout=30)

    def pushed_url(self, request_uri: str, client_id: str | None = None) -> str:
        query = {"client_id": client_id or self.client_id, "request_uri": request_uri}
        return str(authorization_server(self.issuer)["authorization_endpoint"]) + "?" + urlencode(query)

    def token(
        self, code: str, *, verifier: str | None = None, secret: str | None = None, **extra: str
    ) -> httpx.Response:
        form = {
            "grant_type": AUTHORIZATION_CODE,
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier if verifier is None else verifier,
            **extra,
        }
        auth = (self.client_id, self.client_secret if secret is None else secret)
        endpoint = authorization_server(self.issuer)["token_endpoint"]
        return httpx.post(endpoint, data=form, auth=auth, timeout=30)


def redirected(response: httpx.Response, redirect_uri: str) -> dict[str, str]:
    """The query of a redirect back to the wallet."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(redirect_uri + "?"), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def consent_form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The consent page's form: where it posts, and its hidden fields."""
    assert page.status_code == 200 and "would like to receive" in page.text, page.text
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    assert action is not None, page.text
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text)
    }
    return html.unescape(action.group(1)), fields


def credential_by(
    session: Session, wallet: Wallet, issuer: str, client_id: str, **target: str
) -> httpx.Response:
    """A credential request naming ``target`` (credential_identifier= or credential_configuration_id=)
    with a key proof that names the wallet's client_id in ``iss``."""
    proof = wallet.key_proof(audience=issuer, nonce=session.nonce(), claims={"iss": client_id})
    return httpx.post(
        session.metadata["credential_endpoint"],
        json={**target, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {session.access_token}"},
        timeout=30,
    )
