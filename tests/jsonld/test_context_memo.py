"""Processed contexts kept across documents: hits on the next document, same output, safe limits."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import pytest
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from badge_issuer import budget as budget_module
from badge_issuer.budget import CpuBudget, cpu_budget
from badge_issuer.errors import TooComplex
from badge_issuer.jsonld import canon, fast_rdf, processor
from badge_issuer.jsonld.context_memo import ContextMemo
from badge_issuer.jsonld.loader import VC_V2, DocumentLoader
from badge_issuer.jsonld.processor import expand, shared_walks, to_dataset, walk
from badge_issuer.jsonld.safemode import RELATIVE_BASE
from badge_issuer.verification import verify_badge
from tests.badges import Issuer, badge, context


def reference_nquads(document: dict[str, Any]) -> str:
    """Plain pyld (its own resolver and a cache of its own) and our RDFC-1.0."""
    loader = DocumentLoader.pinned()
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver({}, loader),
        "base": RELATIVE_BASE,
        "processingMode": "json-ld-1.1",
    }
    return canon.canonicalize(jsonld.JsonLdProcessor().to_rdf(document, options))


def test_the_second_document_processes_no_context_and_gives_the_reference_output() -> None:
    loader = DocumentLoader.pinned()
    issuer = Issuer()
    first, second = badge(issuer, id="urn:uuid:1"), badge(issuer, id="urn:uuid:2", name="Other")
    to_dataset(first, loader=loader)
    kept = len(loader.context_memo.entries)
    assert kept > 3  # the document's contexts and the type-scoped ones under them
    dataset = to_dataset(second, loader=loader)
    assert len(loader.context_memo.entries) == kept
    assert canon.canonicalize(dataset) == reference_nquads(second)


class _Served:
    """A remote context source that serves whatever this test last put at a URL."""

    def __init__(self) -> None:
        self.contexts: dict[str, Any] = {}

    def document(self, url: str) -> Any:
        return self.contexts[url]


def test_a_context_outside_the_pinned_set_is_processed_afresh_every_time() -> None:
    served = _Served()
    loader = DocumentLoader.pinned().with_remote(served)
    url = "https://issuer.example/context.json"
    document = {"@context": [VC_V2, url], "type": ["VerifiableCredential"], "gpa": "4.0"}
    served.contexts[url] = {"@context": {"gpa": "https://a.example/gpa"}}
    assert expand(document, loader=loader)[0]["https://a.example/gpa"] == [{"@value": "4.0"}]
    served.contexts[url] = {"@context": {"gpa": "https://b.example/gpa"}}
    assert expand(document, loader=loader)[0]["https://b.example/gpa"] == [{"@value": "4.0"}]


def test_an_inline_context_of_a_document_is_never_kept() -> None:
    loader = DocumentLoader.pinned()
    inline = {"gpa": "https://a.example/gpa"}
    document = {"@context": [VC_V2, inline], "type": ["VerifiableCredential"], "gpa": "4.0"}
    expand(document, loader=loader)
    assert loader.context_memo.local_key(inline) is None
    inline["gpa"] = "https://b.example/gpa"  # the caller's object changed: its meaning must too
    assert expand(document, loader=loader)[0]["https://b.example/gpa"] == [{"@value": "4.0"}]


def test_the_memo_is_bounded() -> None:
    memo = ContextMemo(lambda url: True, maxsize=2)
    assert memo.entries.maxsize == 2 and memo.owned.maxsize == 16
    memo.entries.put(("a",), 1)
    memo.entries.put(("b",), 2)
    assert len(memo.entries) == 2 and memo.entries.get(("a",)) == 1
    memo.entries.put(("c",), 3)  # full: emptied, then "c" kept
    assert len(memo.entries) == 1 and memo.entries.get(("a",)) is None and memo.entries.get(("c",)) == 3


class _Recording(CpuBudget):
    """A budget that never runs out and records where it was checked."""

    def __init__(self) -> None:
        super().__init__(3600.0)
        self.where: list[str] = []

    def check(self, where: str) -> None:
        self.where.append(where)
        super().check(where)


def test_a_kept_context_still_checks_the_cpu_budget() -> None:
    loader = DocumentLoader.pinned()
    document = badge(Issuer())
    expand(document, loader=loader)  # every context is kept now
    budget = _Recording()
    token = budget_module._CURRENT.set(budget)
    try:
        expand(document, loader=loader)
    finally:
        budget_module._CURRENT.reset(token)
    # the document's contexts and each type-scoped one (Profile, AchievementSubject, …), all kept
    assert budget.where.count("JSON-LD context processing") >= 4
    with cpu_budget(1e-6), pytest.raises(TooComplex, match="CPU budget"):
        spin = time.thread_time() + 0.01
        while time.thread_time() < spin:
            pass
        expand(document, loader=loader)


def test_one_block_walks_a_document_once_and_shares_it_with_no_one_else() -> None:
    loader = DocumentLoader.pinned()
    document = badge(Issuer())
    with shared_walks():
        first = walk(document, loader=loader)
        assert first is not None
        # the copies without ``proof`` that the checks make share every member: one walk
        assert walk(dict(document), loader=loader) is first
        assert walk(dict(reversed(document.items())), loader=loader) is first  # in any order
        # a member that is another object (even an equal one) is another document: walked again
        again = walk(copy.deepcopy(document), loader=loader)
        assert again == first and again is not first
        assert walk({**document, "name": "Another"}, loader=loader) != first
        seen: list[object] = []
        thread = threading.Thread(target=lambda: seen.append(walk(document, loader=loader)))
        thread.start()
        thread.join()
        assert seen[0] is not first  # another thread has no block: it walks for itself
    assert walk(document, loader=loader) is not first


def test_a_verification_walks_its_credential_once(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[str] = []
    real = fast_rdf.fast_quads

    def counting(document: Any, *args: Any) -> Any:
        walked.append(str(document.get("type")))
        return real(document, *args)

    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    monkeypatch.setattr(processor, "fast_quads", counting)
    report = verify_badge(signed, ctx=context())
    assert report.verified
    # the credential once (context and proof checks); the proof options at most once (signing this
    # badge on the same loader kept their hash, unless the bounded memo was emptied since)
    credential = "['VerifiableCredential', 'OpenBadgeCredential']"
    assert walked.count(credential) == 1
    assert sorted(set(walked) - {credential}) in ([], ["DataIntegrityProof"]) and len(walked) <= 2
