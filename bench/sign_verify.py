"""Sign and verify a typical OB 3.0 credential with each suite, next to its peers in the same run.

Run: ``.venv/bin/python bench/sign_verify.py [--rounds 3] [--seconds 1] [--no-node] [--profile SUITE]``.

Peers, measured in the same process and rounds (each figure the median of ``--rounds`` rounds; in
a round every operation runs ``--seconds`` in turn, so a busy machine slows all of them alike):

- *plain pyld*: ``pyld.jsonld.normalize`` (URDNA2015 = RDFC-1.0 N-Quads) of the proof options and of
  the document over the same pinned loader, two SHA-256 and Ed25519, as a straightforward
  implementation on pyld would (checked to give our bytes first);
- *rfc8785* (eddsa-jcs-2022): the ``rfc8785`` package's JCS of both, two SHA-256 and Ed25519;
- *raw*: two SHA-256 of the canonical bytes and the Ed25519 operation alone (the floor);
- *node*: Digital Bazaar's ``@digitalbazaar/vc`` with the same suites (``bench/js``, run once per
  round when ``node`` and ``bench/js/node_modules`` are there: ``make bench`` installs them);
- ``verify_badge``: the full verification (every check, its status list included) of the typical
  credential issued by our path, a different badge each time (``full_verification``), next to our
  bare proof verification of it (the issue's target: at least 60 %). It runs right after that one
  in each round, and the figure is the median of the rounds' ratios: the two are measured a second
  apart, not a whole round, so a machine whose speed drifts (a shared one) moves both alike.

``--profile SUITE`` prints a cProfile of our signing with that suite instead; ``--profile
verify_badge`` one of the full verification.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import itertools
import json
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.badges import context

from badge_issuer.crypto.data_integrity import ProofOptions, add_proof, verify_proof
from badge_issuer.crypto.did import did_key_verification_method
from badge_issuer.crypto.keys import Ed25519Signer
from badge_issuer.crypto.resolver import DidKeyResolver
from badge_issuer.crypto.suites import SIGNING_SUITES, CanonOptions, suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.verification import verify_badge

JS = Path(__file__).resolve().parent / "js"
VERIFIED_AT = datetime(2026, 12, 1, tzinfo=UTC)  # within the typical credential's validity
RDFC = ("eddsa-rdfc-2022", "Ed25519Signature2020")


def typical_credential(issuer: str) -> dict[str, Any]:
    """A 3 KB OpenBadgeCredential as we issue it: ~70 quads, 8 blank nodes."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        ],
        "id": "https://badges.example.edu/credentials/5b3d0d9e-1f0e-4a8c-9d55-1b2f3c4d5e6f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analysis with Python",
        "description": "Awarded for completing Data Analysis with Python, spring term.",
        "issuer": {
            "id": issuer,
            "type": ["Profile"],
            "name": "Example University",
            "url": "https://www.example.edu",
            "email": "badges@example.edu",
            "image": {"id": "https://www.example.edu/logo.png", "type": "Image", "caption": "Logo"},
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
                "image": {"id": "https://badges.example.edu/images/data-analysis.png", "type": "Image"},
                "creditsAvailable": 5,
                "tag": ["python", "pandas", "data"],
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "analyse data",
                        "targetUrl": "http://data.europa.eu/esco/skill/d9a6a8b5-3c1d-4b5e-9f3b-2b1b3c8e1f00",
                        "targetFramework": "ESCO",
                    }
                ],
                "resultDescription": [
                    {
                        "id": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
                        "type": ["ResultDescription"],
                        "name": "Final grade",
                        "resultType": "LetterGrade",
                        "allowedValue": ["A", "B", "C", "D"],
                    }
                ],
            },
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
                    "value": "A",
                }
            ],
        },
        "evidence": [
            {
                "id": "https://badges.example.edu/evidence/5b3d0d9e",
                "type": ["Evidence"],
                "name": "Final project",
                "narrative": "A notebook analysing open transport data.",
            }
        ],
        "credentialStatus": {
            "id": "https://badges.example.edu/status/revocation/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://badges.example.edu/status/revocation/1",
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
    }


#: our bare rdfc proof verification, and the full verification measured right after it each round
RDFC_VERIFY = ("eddsa-rdfc-2022", "ours", "verify")
FULL = ("verify_badge", "ours", "verify")


def rate(operation: Callable[[], object], seconds: float) -> float:
    operation()  # warm
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        operation()
        count += 1
    return count / elapsed


class Peers:
    """Every operation of the bench, by (suite, implementation, sign|verify)."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key()
        method = did_key_verification_method(self.public.public_bytes_raw())
        self.signer = Ed25519Signer(self.key, method)
        self.loader = DocumentLoader.pinned()
        self.canon = CanonOptions(loader=self.loader)
        self.pyld_options = {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": DocumentLoader.pinned(),
        }
        self.options = ProofOptions(created=datetime(2026, 11, 24, 12, tzinfo=UTC))
        self.method = method
        self.operations: dict[tuple[str, str, str], Callable[[], object]] = {}
        for name in SIGNING_SUITES:
            self._suite(name)

    def _suite(self, name: str) -> None:
        suite = suite_by_name(name)
        document = typical_credential(self.method.split("#")[0])
        if name == "Ed25519Signature2020":
            document["@context"].append(ED25519_2020_CONTEXT)
        signed = add_proof(document, suite=suite, signer=self.signer, canon=self.canon, options=self.options)
        proof = signed["proof"]
        config = suite.proof_config(proof, document)
        resolver = DidKeyResolver()
        ops = self.operations
        ops[name, "ours", "sign"] = lambda: add_proof(
            document, suite=suite, signer=self.signer, canon=self.canon, options=self.options
        )
        ops[name, "ours", "verify"] = lambda: verify_proof(signed, proof, canon=self.canon, resolver=resolver)
        canonical = (suite.canonize(config, self.canon), suite.canonize(document, self.canon))
        digests = hashlib.sha256(canonical[0]).digest() + hashlib.sha256(canonical[1]).digest()
        signature = self.key.sign(digests)

        def hashed(canon: Callable[[Any], bytes]) -> bytes:
            return hashlib.sha256(canon(config)).digest() + hashlib.sha256(canon(document)).digest()

        canon: Callable[[Any], bytes]
        if name in RDFC:
            by_pyld = (self._pyld(config), self._pyld(document))
            assert by_pyld == canonical, f"{name}: plain pyld's N-Quads differ from ours"
            peer, canon = "pyld", self._pyld
        else:
            assert (rfc8785.dumps(config), rfc8785.dumps(document)) == canonical
            peer, canon = "rfc8785", rfc8785.dumps
        ops[name, peer, "sign"] = lambda: self.key.sign(hashed(canon))
        ops[name, peer, "verify"] = lambda: self._verify(signature, hashed(canon))
        ops[name, "raw", "sign"] = lambda: self.key.sign(
            hashlib.sha256(canonical[0]).digest() + hashlib.sha256(canonical[1]).digest()
        )
        ops[name, "raw", "verify"] = lambda: self._verify(
            signature, hashlib.sha256(canonical[0]).digest() + hashlib.sha256(canonical[1]).digest()
        )

    def _pyld(self, value: Any) -> bytes:
        nquads: str = jsonld.normalize(value, dict(self.pyld_options))
        return nquads.encode("utf-8")

    def _verify(self, signature: bytes, data: bytes) -> None:
        self.public.verify(signature, data)  # raises unless the peer hashed the same bytes


def full_verification(count: int = 5_000) -> Callable[[], object]:
    """``verify_badge`` of the typical credential as issued by our path, a different badge each time.

    ``count`` badges (their own ids, one achievement, one issuer whose id is its did:key) are signed
    beforehand and verified in turn, so no memo of one verification serves the next badge; their
    status list is served in process (so the status check verifies it with every badge). Each is
    presented as what a verifier receives, its JSON bytes: parsing them is part of the work.
    """
    from tests.badges import Documents, Issuer, status_list

    issuer = Issuer()
    listing = "https://badges.example.edu/status/revocation/1"
    ctx = context(documents=Documents({listing: status_list(issuer, listing)}), now=VERIFIED_AT)
    badges = []
    for number in range(count):
        document = typical_credential(issuer.did)
        document["id"] = f"urn:uuid:5b3d0d9e-1f0e-4a8c-9d55-{number:012x}"
        badges.append(json.dumps(issuer.sign(document)).encode())
    report = verify_badge(badges[0], ctx=ctx)
    assert report.verified, [check.to_json() for check in report.checks]
    turn = itertools.cycle(badges)
    return lambda: verify_badge(next(turn), ctx=ctx)


def node_rates(seconds: float) -> dict[str, dict[str, float]] | None:
    """One round of the JavaScript reference, or None when node or its packages are missing."""
    node = shutil.which("node")
    if node is None or not (JS / "node_modules").is_dir():
        return None
    loader = DocumentLoader.pinned()
    with tempfile.TemporaryDirectory() as folder:
        contexts, credential = Path(folder) / "contexts.json", Path(folder) / "credential.json"
        contexts.write_text(json.dumps({url: loader.document(url) for url in loader.urls}))
        credential.write_text(json.dumps(typical_credential("did:example:replaced")))
        done = subprocess.run(
            [node, str(JS / "sign_verify.mjs"), str(contexts), str(credential), str(seconds)],
            capture_output=True,
            text=True,
            timeout=60 + 20 * seconds,
            check=False,
        )
    if done.returncode != 0:
        print(f"node reference failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    return result


def profile(peers: Peers, suite: str, count: int = 300) -> None:
    if suite == "verify_badge":
        operation = full_verification(count + 1)
    else:
        operation = peers.operations[suite, "ours", "sign"]
    operation()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        operation()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="per operation and round")
    parser.add_argument("--no-node", action="store_true", help="skip the JavaScript reference")
    parser.add_argument("--profile", metavar="SUITE", choices=(*SIGNING_SUITES, "verify_badge"))
    args = parser.parse_args()
    peers = Peers()
    if args.profile:
        profile(peers, args.profile)
        return
    operations: dict[tuple[str, str, str], Callable[[], object]] = {}
    for key, operation in peers.operations.items():
        operations[key] = operation
        if key == RDFC_VERIFY:  # measured right after it in each round: their ratio is per round
            operations[FULL] = full_verification()
    samples: dict[tuple[str, str, str], list[float]] = {key: [] for key in operations}
    for _ in range(args.rounds):
        for key, operation in operations.items():
            samples[key].append(rate(operation, args.seconds))
        reference = None if args.no_node else node_rates(args.seconds)
        for suite, ops in (reference or {}).items():
            for op, value in ops.items():
                samples.setdefault((suite, "node", op), []).append(value)
    medians = {key: statistics.median(values) for key, values in samples.items()}
    ratios = [full / bare for full, bare in zip(samples[FULL], samples[RDFC_VERIFY], strict=True)]
    report(medians, ratios, args.rounds, args.seconds)


def report(
    medians: dict[tuple[str, str, str], float], ratios: list[float], rounds: int, seconds: float
) -> None:
    print(f"ops/s, medians of {rounds} alternating rounds of {seconds:g} s per operation")
    header = f"{'suite':<22}{'op':<8}{'ours':>8}{'peer':>16}{'node':>8}{'raw':>8}"
    print(header + f"{'ours/peer':>11}{'ours/node':>11}{'raw/ours':>10}")
    for suite in SIGNING_SUITES:
        peer = "pyld" if suite in RDFC else "rfc8785"
        for op in ("sign", "verify"):
            ours = medians[suite, "ours", op]
            theirs = medians[suite, peer, op]
            node = medians.get((suite, "node", op))
            raw = medians[suite, "raw", op]
            node_text = f"{node:>8.0f}" if node else f"{'-':>8}"
            vs_node = f"{ours / node:>10.1f}x" if node else f"{'-':>11}"
            print(
                f"{suite:<22}{op:<8}{ours:>8.0f}{f'{peer} {theirs:.0f}':>16}{node_text}{raw:>8.0f}"
                f"{ours / theirs:>10.1f}x{vs_node}{raw / ours:>9.1f}x"
            )
    each, ratio = ", ".join(f"{ratio:.0%}" for ratio in ratios), statistics.median(ratios)
    print(
        f"verify_badge (every check, eddsa-rdfc-2022): {medians[FULL]:.0f}/s = {ratio:.0%} of our rdfc"
        f" verify (median of the rounds' ratios: {each})"
    )


if __name__ == "__main__":
    main()
