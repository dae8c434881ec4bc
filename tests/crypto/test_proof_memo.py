"""The verify data and signatures of documents verified again and again (status lists) are kept,
bounded, and never where the canonical form could change or the signature does not verify."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from badge_issuer.crypto import proof_memo
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof, verify_proof
from badge_issuer.crypto.resolver import DidKeyResolver
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.errors import BadgeIssuerError, SignatureInvalid
from badge_issuer.jsonld import context_memo
from badge_issuer.jsonld.loader import DocumentLoader
from tests.badges import Issuer, badge, status_list


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every canonicalization of the eddsa-rdfc-2022 suite."""
    calls: list[str] = []
    suite = type(suite_by_name("eddsa-rdfc-2022"))
    real = suite.canonize

    def canonize(self: Any, value: Any, canon: CanonOptions) -> bytes:
        calls.append(str(value.get("type")))
        return real(self, value, canon)

    monkeypatch.setattr(suite, "canonize", canonize)
    return calls


def test_a_status_list_is_canonicalized_once_across_verifications(monkeypatch: pytest.MonkeyPatch) -> None:
    canon = CanonOptions(loader=DocumentLoader.pinned())
    issuer = Issuer()
    listing = status_list(issuer)
    calls = counting(monkeypatch)
    for _ in range(3):
        verify_proof(listing, listing["proof"], canon=canon, resolver=DidKeyResolver(), reuse=True)
    assert len(calls) == 2  # proof options and document, once
    assert proof_memo.sizes(canon)[0] == 2  # its verify data, and its proof configuration's hash
    # without reuse (a presented credential) the document is canonicalized again; only the proof
    # configuration's hash comes from the memo
    verify_proof(listing, listing["proof"], canon=canon, resolver=DidKeyResolver())
    assert calls[2:] == [str(listing["type"])]
    # a forged copy still fails: the memo is keyed by content, and keeps only what verified
    forged = {**listing, "validFrom": "2026-01-02T00:00:00Z"}
    for _ in range(2):
        with pytest.raises(SignatureInvalid):
            verify_proof(forged, forged["proof"], canon=canon, resolver=DidKeyResolver(), reuse=True)
    other = {**listing["proof"], "proofValue": "z" + "1" * 86}
    with pytest.raises(BadgeIssuerError):
        verify_proof(listing, other, canon=canon, resolver=DidKeyResolver(), reuse=True)


def test_documents_whose_form_could_change_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    canon = CanonOptions(loader=DocumentLoader.pinned())
    suite = suite_by_name("eddsa-rdfc-2022")
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    config = suite.proof_config(signed["proof"], signed)
    unsecured = {key: value for key, value in signed.items() if key != "proof"}
    assert proof_memo._key(suite, unsecured, config, canon) is not None
    unpinned = {**unsecured, "@context": [*unsecured["@context"], "https://example.org/ctx"]}
    assert proof_memo._key(suite, unpinned, config, canon) is None
    nested = {**unsecured, "evidence": [{"@context": "https://www.w3.org/ns/credentials/v2"}]}
    assert proof_memo._key(suite, nested, config, canon) is None
    # not plain data: no exact form to key it by
    assert proof_memo._key(suite, {**unsecured, "x": datetime(2026, 1, 1, tzinfo=UTC)}, config, canon) is None
    # values of other types, or other values, are other keys (1, 1.0 and true differ)
    keys = {proof_memo._key(suite, {**unsecured, "x": value}, config, canon) for value in (1, 1.0, True, "1")}
    assert None not in keys and len(keys) == 4
    # a value that merely names "@context" is not kept either: a miss, never a wrong verify data
    mention = {**unsecured, "name": '"@context": here'}
    assert proof_memo._key(suite, mention, config, canon) is None
    # the same document under another work factor or other bounds is another key
    other = CanonOptions(loader=canon.loader, work_factor=canon.work_factor + 1)
    assert proof_memo._key(suite, unsecured, config, other) != proof_memo._key(
        suite, unsecured, config, canon
    )
    assert proof_memo._key(suite_by_name("eddsa-jcs-2022"), unsecured, config, canon) is None


def test_a_documents_key_does_not_change_with_what_else_holds_its_values() -> None:
    """marshal's formats 3 and 4 mark values held elsewhere too (a back-reference flag): the same
    status list got another key once a cache held its strings, and was canonicalized again."""
    canon = CanonOptions(loader=DocumentLoader.pinned())
    suite = suite_by_name("eddsa-rdfc-2022")
    issuer = Issuer()
    listing = status_list(issuer)
    unsecured = {key: value for key, value in listing.items() if key != "proof"}
    config = suite.proof_config(listing["proof"], unsecured)
    before = proof_memo._key(suite, unsecured, config, canon)
    held = [list(unsecured.values()), list(unsecured), [*config.values(), *config]]
    assert held and proof_memo._key(suite, unsecured, config, canon) == before is not None


def test_the_memos_stay_bounded_under_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    canon = CanonOptions(loader=DocumentLoader.pinned())
    small = context_memo.BoundedMap(16)
    monkeypatch.setattr(canon.loader, "derived", small)
    monkeypatch.setattr(canon.loader, "verified_signatures", context_memo.BoundedMap(16))
    issuer = Issuer()
    lists = [status_list(issuer, f"https://status.example.org/lists/{n}") for n in range(40)]
    errors: list[BaseException] = []

    def verify_all() -> None:
        try:
            for listing in lists:
                verify_proof(listing, listing["proof"], canon=canon, resolver=DidKeyResolver(), reuse=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=verify_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    kept, signatures = proof_memo.sizes(canon)
    assert 0 < kept <= 16 and 0 < signatures <= 16


def test_only_the_hash_of_the_same_proof_configuration_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    canon = CanonOptions(loader=DocumentLoader.pinned())
    issuer = Issuer()
    first, second = issuer.sign(badge(issuer)), issuer.sign(badge(issuer, id="urn:uuid:other"))
    calls = counting(monkeypatch)
    for signed in (first, second, first):
        verify_proof(signed, signed["proof"], canon=canon, resolver=DidKeyResolver())
    proof_type = str(first["proof"]["type"])
    assert calls.count(proof_type) == 1  # the same options (key, purpose, created): hashed once
    assert len(calls) == 4  # every document canonicalized each time
    # a proof whose options differ in any member is hashed anew, and a forgery still fails
    for member, value in (("created", "2026-01-15T09:30:01Z"), ("proofPurpose", "authentication")):
        changed = {**first, "proof": {**first["proof"], member: value}}
        with pytest.raises(BadgeIssuerError):
            verify_proof(
                changed,
                changed["proof"],
                canon=canon,
                resolver=DidKeyResolver(),
                expected_purpose=value if member == "proofPurpose" else "assertionMethod",
            )
    assert calls.count(proof_type) == 3
    forged = {**first, "name": "Forged"}
    with pytest.raises(SignatureInvalid):
        verify_proof(forged, forged["proof"], canon=canon, resolver=DidKeyResolver())


def test_proof_configurations_that_could_change_are_not_kept() -> None:
    canon = CanonOptions(loader=DocumentLoader.pinned())
    suite = suite_by_name("eddsa-rdfc-2022")
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    config = suite.proof_config(signed["proof"], signed)
    assert proof_memo._config_key(suite, config, canon) is not None
    unpinned = {**config, "@context": [*config["@context"], "https://example.org/ctx"]}
    assert proof_memo._config_key(suite, unpinned, canon) is None
    assert proof_memo._config_key(suite, {**config, "nested": {"@context": []}}, canon) is None
    assert proof_memo._config_key(suite_by_name("eddsa-jcs-2022"), config, canon) is None
    # a string and a one-string array are different configurations
    one = {**config, "domain": "example.org"}
    listed = {**config, "domain": ["example.org"]}
    assert proof_memo._config_key(suite, one, canon) != proof_memo._config_key(suite, listed, canon)


def test_badges_signed_with_the_same_options_hash_them_once_and_sign_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer = Issuer()
    suite = suite_by_name("eddsa-rdfc-2022")
    options = ProofOptions(created=datetime(2026, 11, 30, 12, tzinfo=UTC))
    documents = [badge(issuer, id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}") for n in range(3)]
    alone = [  # each signed by a loader of its own: nothing kept from another badge
        add_proof(
            document,
            suite=suite,
            signer=issuer.signer,
            canon=CanonOptions(loader=DocumentLoader.pinned()),
            options=options,
        )
        for document in documents
    ]
    canon = CanonOptions(loader=DocumentLoader.pinned())
    calls = counting(monkeypatch)
    together = [
        add_proof(document, suite=suite, signer=issuer.signer, canon=canon, options=options)
        for document in documents
    ]
    assert together == alone  # Ed25519 is deterministic: the same bytes were signed
    proof_type = str(together[0]["proof"]["type"])
    assert calls.count(proof_type) == 1 and len(calls) == 4
    later = add_proof(
        documents[0],
        suite=suite,
        signer=issuer.signer,
        canon=canon,
        options=ProofOptions(created=datetime(2026, 11, 30, 12, 0, 1, tzinfo=UTC)),
    )
    assert calls.count(proof_type) == 2  # another second, other options: hashed anew
    verify_proof(later, later["proof"], canon=canon, resolver=DidKeyResolver())
