"""An OB 2.0 issuer for tests: its Profile, BadgeClass, RSA key, assertions and revocation list,
served to the real guarded ``Fetcher`` over an httpx transport (fake public DNS, no internet)."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from badge_issuer.checks import FetchStatusSource, VerifyContext
from badge_issuer.clock import fixed_clock
from badge_issuer.crypto.resolver import SourceResolver, WebControllers
from badge_issuer.formats.jwk import b64url_encode
from badge_issuer.net.fetch import Fetcher, FetchPolicy
from tests.badges import CANON, NOW, SCHEMAS

OB2 = "https://w3id.org/openbadges/v2"
ORIGIN = "https://badges.example.edu"
EMAIL = "ada@example.org"
SALT = "deadsea"
#: fake DNS: every test host resolves to a public documentation-range address
PUBLIC_ADDRESS = "93.184.216.34"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def issuer_key() -> rsa.RSAPrivateKey:
    """The publishers' key, made once (RSA key generation is slow on a loaded machine)."""
    return rsa_key()


def pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign_jws(
    payload: Mapping[str, Any], key: rsa.RSAPrivateKey, header: Mapping[str, Any] | None = None
) -> str:
    head = b64url_encode(json.dumps(header or {"alg": "RS256"}).encode())
    body = b64url_encode(json.dumps(payload).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url_encode(signature)}"


class Publisher:
    """Documents by URL (JSON objects, or an int HTTP status), and the issuer's RSA key."""

    def __init__(self, origin: str = ORIGIN) -> None:
        self.origin = origin
        self.key = issuer_key()
        self.issuer_id = f"{origin}/issuer"
        self.key_id = f"{origin}/keys/1"
        self.badge_id = f"{origin}/badges/python"
        self.list_id = f"{origin}/revocations"
        self.served: dict[str, Any] = {}
        self.requested: list[str] = []
        self.served[self.issuer_id] = {
            "@context": OB2,
            "type": "Issuer",
            "id": self.issuer_id,
            "name": "Example University",
            "url": origin,
            "email": "badges@example.edu",
            "publicKey": self.key_id,
            "revocationList": self.list_id,
        }
        self.served[self.key_id] = {
            "@context": OB2,
            "type": "CryptographicKey",
            "id": self.key_id,
            "owner": self.issuer_id,
            "publicKeyPem": pem(self.key),
        }
        self.served[self.badge_id] = {
            "@context": OB2,
            "type": "BadgeClass",
            "id": self.badge_id,
            "name": "Data Analysis with Python",
            "description": "Cleans, explores and models tabular data with pandas.",
            "image": f"{origin}/badges/python/image.png",
            "criteria": {"narrative": "Passed the final project."},
            "issuer": self.issuer_id,
        }
        self.served[self.list_id] = {
            "@context": OB2,
            "type": "RevocationList",
            "id": self.list_id,
            "issuer": self.issuer_id,
            "revokedAssertions": [],
        }

    @property
    def issuer(self) -> dict[str, Any]:
        document: dict[str, Any] = self.served[self.issuer_id]
        return document

    def assertion(self, number: int = 1, *, method: str = "hosted", **overrides: Any) -> dict[str, Any]:
        """An Assertion for ``EMAIL`` (``overrides`` applied; None removes a property)."""
        digest = hashlib.sha256((EMAIL + SALT).encode()).hexdigest()
        document: dict[str, Any] = {
            "@context": OB2,
            "type": "Assertion",
            "id": f"{self.origin}/assertions/{number}"
            if method == "hosted"
            else f"urn:uuid:00000000-0000-4000-8000-00000000000{number}",
            "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": f"sha256${digest}"},
            "badge": self.badge_id,
            "issuedOn": "2026-01-15T09:00:00+00:00",
            "verification": {"type": "HostedBadge"}
            if method == "hosted"
            else {"type": "SignedBadge", "creator": self.key_id},
        }
        for name, value in overrides.items():
            if value is None:
                document.pop(name, None)
            else:
                document[name] = value
        return document

    def host(self, assertion: Mapping[str, Any]) -> dict[str, Any]:
        """Serve ``assertion`` at its id; returns a copy (what a holder presents)."""
        self.served[str(assertion["id"])] = copy.deepcopy(dict(assertion))
        return copy.deepcopy(dict(assertion))

    def sign(self, assertion: Mapping[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
        return sign_jws(assertion, key or self.key)

    def revoke(self, assertion_id: str, reason: str | None = None) -> None:
        entry: Any = {"id": assertion_id, "revocationReason": reason} if reason else assertion_id
        self.served[self.list_id]["revokedAssertions"].append(entry)

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = f"https://{request.headers['host']}{request.url.raw_path.decode()}"
        self.requested.append(url)
        found = self.served.get(url)
        if found is None:
            return httpx.Response(404)
        if isinstance(found, int):
            return httpx.Response(found, json={"id": url, "revoked": True})
        return httpx.Response(200, json=found, headers={"content-type": "application/ld+json"})

    def fetcher(self) -> Fetcher:
        return Fetcher(
            FetchPolicy(cache_ttl=0),
            resolve=lambda host, port: [PUBLIC_ADDRESS],
            transport=httpx.MockTransport(self.handler),
        )

    def context(self, *, now: Any = NOW) -> VerifyContext:
        """A VerifyContext whose every outbound fetch goes through the real guarded Fetcher."""
        fetcher = self.fetcher()
        return VerifyContext(
            canon=CANON,
            schemas=SCHEMAS,
            resolver=SourceResolver(WebControllers(fetcher)),
            documents=fetcher,
            status=FetchStatusSource(fetcher),
            clock=fixed_clock(now),
            clock_skew=timedelta(minutes=5),
        )
