"""Sign and verify a typical OB 3.0 credential with each suite, next to raw Ed25519 in the same run.

Run: ``.venv/bin/python bench/sign_verify.py [--seconds 3]``. Prints ops/s and the ratio to raw Ed25519.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badge_issuer.crypto.data_integrity import ProofOptions, add_proof, verify_proof
from badge_issuer.crypto.did import did_key_verification_method
from badge_issuer.crypto.keys import Ed25519Signer
from badge_issuer.crypto.resolver import DidKeyResolver
from badge_issuer.crypto.suites import SIGNING_SUITES, CanonOptions, suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.jsonld.loader import DocumentLoader


def typical_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        ],
        "id": "https://badges.example.edu/credentials/5b3d0d9e-1f0e-4a8c-9d55-1b2f3c4d5e6f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analysis with Python",
        "issuer": {
            "id": issuer,
            "type": ["Profile"],
            "name": "Example University",
            "url": "https://www.example.edu",
        },
        "validFrom": "2026-11-24T12:00:00Z",
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
                "id": "https://badges.example.edu/achievements/data-analysis/v/1",
                "type": ["Achievement"],
                "name": "Data Analysis with Python",
                "description": "Cleans, explores and models tabular data with pandas.",
                "criteria": {"narrative": "Passed the final project with at least 70%."},
                "achievementType": "Course",
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "analyse data",
                        "targetUrl": "http://data.europa.eu/esco/skill/d9a6a8b5-3c1d-4b5e-9f3b-2b1b3c8e1f00",
                        "targetFramework": "ESCO",
                    }
                ],
            },
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }


def rate(operation: Callable[[], object], seconds: float) -> float:
    operation()  # warm caches (processed contexts)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        operation()
        count += 1
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    raw_public = public.public_bytes_raw()
    method = did_key_verification_method(raw_public)
    signer = Ed25519Signer(key, method)
    canon = CanonOptions(loader=DocumentLoader.pinned())
    resolver = DidKeyResolver()
    message = bytes(64)
    signature = key.sign(message)
    raw_sign = rate(lambda: key.sign(message), args.seconds)
    raw_verify = rate(lambda: public.verify(signature, message), args.seconds)
    print(f"{'operation':<34}{'ops/s':>10}{'x slower than raw':>20}")
    print(f"{'raw Ed25519 sign':<34}{raw_sign:>10.0f}{1:>20.0f}")
    print(f"{'raw Ed25519 verify':<34}{raw_verify:>10.0f}{1:>20.0f}")
    created = ProofOptions(created=datetime(2026, 11, 24, 12, tzinfo=UTC))
    for name in SIGNING_SUITES:
        suite = suite_by_name(name)
        document = typical_credential(method.split("#")[0])
        if name == "Ed25519Signature2020":
            document["@context"].append(ED25519_2020_CONTEXT)
        signed = add_proof(document, suite=suite, signer=signer, canon=canon, options=created)
        sign_rate = rate(
            lambda document=document, suite=suite: add_proof(  # type: ignore[misc]
                document, suite=suite, signer=signer, canon=canon, options=created
            ),
            args.seconds,
        )
        verify_rate = rate(
            lambda signed=signed: verify_proof(  # type: ignore[misc]
                signed, signed["proof"], canon=canon, resolver=resolver
            ),
            args.seconds,
        )
        print(f"{name + ' sign':<34}{sign_rate:>10.0f}{raw_sign / sign_rate:>20.0f}")
        print(f"{name + ' verify':<34}{verify_rate:>10.0f}{raw_verify / verify_rate:>20.0f}")


if __name__ == "__main__":
    main()
