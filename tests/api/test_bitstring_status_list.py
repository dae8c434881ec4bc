"""The status list credentials we publish hold to the Bitstring Status List spec (W3C REC), checked
on what the real server serves, decoded here independently of ``status_list.py``."""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Callable
from typing import Any

import httpx

from badge_issuer.crypto.data_integrity import proofs_of, verify_proof
from badge_issuer.crypto.resolver import StaticResolver
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.jsonld.loader import DocumentLoader
from tests.api.test_issuing import bootstrap
from tests.api.test_vc_api_issue import issue, set_status, vc_v2
from tests.conftest import LiveServer

#: the spec's minimum: 16 KB of bits, so that one credential hides among 131,072
MIN_BITS = 131_072


def bits_of(encoded: str) -> bytes:
    """``encodedList`` → the bitstring: multibase ``u`` (base64url, no padding), then GZIP."""
    assert encoded.startswith("u")
    body = encoded[1:]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", body), "base64url without padding"
    compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert compressed[:2] == b"\x1f\x8b", "GZIP"
    return gzip.decompress(compressed)


def bit(bits: bytes, index: int) -> int:
    """The spec numbers bits from the left-most bit of the first byte."""
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_the_published_list_is_a_bitstring_status_list_credential(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
    tenant = bootstrap(server, "uni", "--suspension")
    lms = tenant.client("issue", "revoke")
    did = httpx.get(tenant.url(""), headers=tenant.admin).json()["id"]
    lists: dict[str, dict[str, Any]] = {}
    entries: dict[str, dict[str, Any]] = {}
    for purpose in ("revocation", "suspension"):
        options = {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose}}
        response = issue(tenant, lms, {"credential": vc_v2(id=f"urn:example:{purpose}"), "options": options})
        assert response.status_code == 201, response.text
        entry = response.json()["verifiableCredential"]["credentialStatus"]
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusPurpose"] == purpose
        assert re.fullmatch(r"0|[1-9][0-9]*", entry["statusListIndex"]), "a base-10 integer as a string"
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
        served = httpx.get(entry["statusListCredential"])  # no Authorization header
        assert served.status_code == 200, served.text
        entries[purpose], lists[purpose] = entry, served.json()

    canon = CanonOptions(loader=DocumentLoader.pinned())
    resolver = StaticResolver({did: httpx.get(f"{server.url}/issuers/uni/did.json").json()})
    for purpose, listed in lists.items():
        entry = entries[purpose]
        assert listed["@context"][0] == "https://www.w3.org/ns/credentials/v2"  # VCDM 2.0
        assert listed["id"] == entry["statusListCredential"]
        assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert listed["issuer"] == did
        assert listed["validFrom"] < listed["validUntil"]
        subject = listed["credentialSubject"]
        assert subject["type"] == "BitstringStatusList"
        assert subject["statusPurpose"] == purpose
        assert isinstance(subject.get("ttl", 0), int)
        bits = bits_of(subject["encodedList"])
        assert len(bits) * 8 >= MIN_BITS
        assert int(entry["statusListIndex"]) < len(bits) * 8
        assert bit(bits, int(entry["statusListIndex"])) == 0
        [proof] = proofs_of(listed)
        assert proof["proofPurpose"] == "assertionMethod"
        verify_proof(listed, proof, canon=canon, resolver=resolver)

    change = {"type": "BitstringStatusListEntry", "status": True}
    for purpose, entry in entries.items():
        body = {
            "credentialId": f"urn:example:{purpose}",
            "credentialStatus": [{**change, "statusPurpose": purpose}],
        }
        assert set_status(tenant, lms, body).status_code == 200
        served = httpx.get(entry["statusListCredential"]).json()
        assert bit(bits_of(served["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])) == 1
        verify_proof(served, proofs_of(served)[0], canon=canon, resolver=resolver)
