"""Test helpers for verification: did:key issuers, signed OB 3.0 badges, status lists, a context.

A StatusSource / document-source double is fine in unit tests (they are injected ports); the
end-to-end tests serve the same documents over real HTTP instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badge_issuer.checks import VerifyContext
from badge_issuer.checks.status import FetchStatusSource
from badge_issuer.clock import fixed_clock
from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.did import did_key, did_key_verification_method
from badge_issuer.crypto.keys import Ed25519Signer, raw_public_key
from badge_issuer.crypto.resolver import SourceResolver, StaticResolver, WebControllers
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.errors import ResolutionError
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, VC_V2, DocumentLoader
from badge_issuer.net.fetch import Fetched, Fetcher, FetchPolicy
from badge_issuer.status_list import Bitstring, status_list_credential_subject
from badge_issuer.verification import verify_credential

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SIGNED_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
LOADER = DocumentLoader.pinned()
CANON = CanonOptions(loader=LOADER)
SCHEMAS = SchemaValidator(default_schemas_dir())
STATUS_URL = "https://status.example.org/lists/1"


class Issuer:
    """An issuer whose id is its did:key, so that its key's controller is the issuer."""

    def __init__(self, name: str = "Example University") -> None:
        self.key = Ed25519PrivateKey.generate()
        self.public_key = raw_public_key(self.key.public_key())
        self.did = did_key(self.public_key)
        self.name = name
        self.signer = Ed25519Signer(self.key, did_key_verification_method(self.public_key))

    def sign(self, document: Mapping[str, Any], suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
        document = copy.deepcopy(dict(document))
        if suite == "Ed25519Signature2020" and ED25519_2020_CONTEXT not in document["@context"]:
            document["@context"].append(ED25519_2020_CONTEXT)
        return add_proof(
            document,
            suite=suite_by_name(suite),
            signer=self.signer,
            canon=CANON,
            options=ProofOptions(created=SIGNED_AT),
        )


def present(
    holder: Issuer | None,
    credentials: list[Any],
    *,
    holder_id: str | None = "same",
    challenge: str | None = None,
    domain: str | None = None,
    suite: str = "eddsa-rdfc-2022",
    purpose: str = "authentication",
) -> dict[str, Any]:
    """A VerifiablePresentation of ``credentials``, signed by ``holder`` (unsigned when None).

    ``holder_id`` "same" names the signer's DID as ``holder``; None leaves ``holder`` out.
    """
    presentation: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": copy.deepcopy(credentials),
    }
    if holder_id == "same" and holder is not None:
        presentation["holder"] = holder.did
    elif holder_id is not None and holder_id != "same":
        presentation["holder"] = holder_id
    if holder is None:
        return presentation
    return add_proof(
        presentation,
        suite=suite_by_name(suite),
        signer=holder.signer,
        canon=CANON,
        options=ProofOptions(created=SIGNED_AT, proof_purpose=purpose, challenge=challenge, domain=domain),
    )


def badge(issuer: Issuer, **overrides: Any) -> dict[str, Any]:
    """An unsigned, schema-valid OpenBadgeCredential by ``issuer`` (top-level ``overrides`` applied)."""
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS],
        "id": "urn:uuid:6a1c4b4e-9a7e-4c43-8f0c-7d7e1a2b3c4d",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analysis with Python",
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": issuer.name},
        "validFrom": "2026-01-15T09:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
                    "identityType": "emailAddress",
                    "salt": "Kosher",
                }
            ],
            "achievement": {
                "id": "https://badges.example.edu/achievements/data-analysis",
                "type": ["Achievement"],
                "name": "Data Analysis with Python",
                "description": "Cleans, explores and models tabular data with pandas.",
                "criteria": {"narrative": "Passed the final project."},
                "image": {"id": "https://badges.example.edu/images/data-analysis.png", "type": "Image"},
            },
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }
    credential.update(overrides)
    return credential


def status_entry(index: int, url: str = STATUS_URL, purpose: str = "revocation") -> dict[str, Any]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def status_list(
    issuer: Issuer, url: str = STATUS_URL, *, set_bits: tuple[int, ...] = (), purpose: str = "revocation"
) -> dict[str, Any]:
    """A signed BitstringStatusListCredential with ``set_bits`` set."""
    bits = Bitstring()
    for index in set_bits:
        bits.set(index, True)
    unsigned = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": status_list_credential_subject(url, purpose, bits),
    }
    return issuer.sign(unsigned)


class Documents:
    """A DocumentSource / StatusSource double over fixed URL → JSON (unknown URLs: ResolutionError)."""

    def __init__(self, documents: Mapping[str, Any] | None = None) -> None:
        self.documents = dict(documents or {})
        self.requested: list[str] = []

    def get(self, url: str, *, accept: str = "") -> Fetched:
        import json

        return Fetched(url, 200, "application/json", json.dumps(self.get_json(url)).encode())

    def get_json(self, url: str, *, accept: str = "") -> Any:
        self.requested.append(url)
        if url not in self.documents:
            raise ResolutionError(f"{url} is unreachable (test double)")
        return self.documents[url]

    def status_list(self, url: str) -> Mapping[str, Any]:
        document: Mapping[str, Any] = self.get_json(url)
        return document

    def changed_on(self, credential_id: str, purpose: str) -> datetime | None:
        return None


def context(
    *,
    now: datetime = NOW,
    documents: Documents | None = None,
    controllers: Mapping[str, Mapping[str, Any]] | None = None,
    skew: timedelta = timedelta(minutes=5),
) -> VerifyContext:
    """A VerifyContext with no network: did:key, fixed controllers, and ``documents`` for the rest."""
    documents = documents or Documents()
    return VerifyContext(
        canon=CANON,
        schemas=SCHEMAS,
        resolver=SourceResolver(StaticResolver(controllers or {})),
        documents=documents,
        status=documents,
        clock=fixed_clock(now),
        clock_skew=skew,
        verify_nested=verify_credential,
    )


def network_context(*, allow_private: bool = True, now: datetime = NOW) -> VerifyContext:
    """A VerifyContext over a real Fetcher (for tests against a local HTTP server)."""
    fetcher = Fetcher(FetchPolicy(allow_private=allow_private, cache_ttl=0))
    return VerifyContext(
        canon=CANON,
        schemas=SCHEMAS,
        resolver=SourceResolver(WebControllers(fetcher)),
        documents=fetcher,
        status=FetchStatusSource(fetcher),
        clock=fixed_clock(now),
        verify_nested=verify_credential,
    )
