"""One loader shared by many threads: its caches never turn a valid badge into "verified: false".

The loader's processed-context cache is shared by every request of an application (that sharing is
where the speed comes from), so many threads read and write it at once. A cache that is not safe
for that raised KeyError/RuntimeError inside pyld, and valid badges failed their proof check.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from badge_issuer.checks import VerifyContext
from badge_issuer.checks.context_validation import conforming_document, pinned_contexts
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.jsonld.context_cache import SharedCache
from badge_issuer.jsonld.loader import VC_V2, DocumentLoader
from badge_issuer.jsonld.processor import expand, undefined_terms
from badge_issuer.verification import verify_badge
from tests.badges import SIGNED_AT, Issuer, badge, context

THREADS = 16
EXAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "ob-v3p0-examples"
ROUNDS = 63  # 16 threads × 63 rounds = 1,008 issuances and 1,008 verifications


def test_many_threads_sign_and_verify_through_one_loader_without_a_false_result() -> None:
    loader = DocumentLoader.pinned()  # fresh: its caches start empty, as in a new process
    canon = CanonOptions(loader=loader)
    base = context()
    ctx = VerifyContext(
        canon=canon,
        schemas=base.schemas,
        resolver=base.resolver,
        documents=base.documents,
        status=base.status,
        clock=base.clock,
    )
    issuers = [Issuer(f"Issuer {n}") for n in range(4)]
    suite = suite_by_name("eddsa-rdfc-2022")
    outcomes: Counter[str] = Counter()
    failures: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            issuer = issuers[(worker + round_) % len(issuers)]
            unsigned = badge(issuer, id=f"urn:uuid:00000000-0000-4000-8000-{worker:06d}{round_:06d}")
            try:
                signed = add_proof(
                    unsigned,
                    suite=suite,
                    signer=issuer.signer,
                    canon=canon,
                    options=ProofOptions(created=SIGNED_AT),
                )
                issued = "issued"
            except Exception as exc:  # any error here is the bug this test is about
                with lock:
                    failures.append(("issue", repr(exc)))
                    outcomes["issue failed"] += 1
                continue
            report = verify_badge(signed, ctx=ctx)
            with lock:
                outcomes[issued] += 1
                outcomes["verified" if report.verified else "false"] += 1
                if not report.verified:
                    failures.append(("verify", [c.to_json() for c in report.checks if c.status == "failed"]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert outcomes == {"issued": THREADS * ROUNDS, "verified": THREADS * ROUNDS}


def test_an_import_in_one_document_does_not_change_the_shared_context_for_the_next() -> None:
    # pyld merges an importing context into the imported one in place; on the shared cache that
    # rewrote the cached VC v2 context for every later document (which then crashed in pyld)
    loader = DocumentLoader.pinned()
    later = {"@context": [VC_V2], "id": "urn:x:2", "type": ["VerifiableCredential"], "evilTerm": "x"}
    assert undefined_terms(later, loader=loader) == ["evilTerm"]
    importing = {
        "@context": [{"@import": VC_V2, "evilTerm": "https://evil.example/term"}],
        "id": "urn:x:1",
        "evilTerm": "y",
    }
    expand(importing, loader=loader, safe=False)
    assert undefined_terms(later, loader=loader) == ["evilTerm"]
    assert loader.document(VC_V2) == DocumentLoader.pinned().document(VC_V2)


def test_the_shared_cache_is_a_bounded_lru_mapping() -> None:
    cache = SharedCache(2)
    cache["a"], cache["b"] = 1, 2
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache["c"] = 3
    assert dict(cache.items()) == {"a": 1, "c": 3}
    cache.tag("d", "static", 4)
    assert cache.get("d") == {"static": 4} and "a" not in cache and len(cache) == 2


def test_many_threads_compact_through_one_loader_without_an_error() -> None:
    # the context check compacts credentials against their pinned contexts; compaction uses pyld's
    # module-global inverse-context cache (an LRUCache) and the loader's shared cache
    loader = DocumentLoader.pinned()
    issuer = Issuer()
    documents = [badge(issuer, id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}") for n in range(4)]
    documents += [json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES.glob("*.json"))]
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        start.wait()
        for round_ in range(10):  # 160 compactions, 16 at once
            try:
                document = documents[(worker + round_) % len(documents)]
                document = {key: value for key, value in document.items() if key != "proof"}
                expanded = expand(document, loader=loader)
                compacted = conforming_document(expanded, pinned_contexts(document, loader), loader=loader)
                assert compacted["id"] == document["id"]
            except Exception as exc:  # any error here is the bug this test is about
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
