"""What verifying a Data Integrity proof computes from the bytes alone, kept across verifications.

A status list credential is verified with every credential that points at it, and a badge shown on
its page or checked by many employers is verified again and again: the same document and proof
options were canonicalized and hashed each time (~0.4 ms for a typical list), and the same Ed25519
signature checked. Both are pure functions of their inputs, so they are kept:

- :func:`verify_data`: the suite's ``hash(canonical proof config) ‖ hash(canonical document)``,
  keyed by the SHA-256 of the suite, the two documents (their ``exact_form``), the work bounds
  and the work factor, in a bounded map owned by the loader (``DocumentLoader.derived``). Only documents
  whose every ``@context`` is a top-level URL the loader pins are kept: their canonical form
  cannot change (a fetched context could, and a nested one is not looked at). Only successes are
  kept, so a document that fails (undefined terms, too complex) is processed again each time.
- :func:`verified_before` / :func:`remember_verified`: the signatures that verified, by (public
  key, ``proofValue``, verify data), in a bounded map owned by the loader
  (``DocumentLoader.verified_signatures``).
- :func:`fresh_verify_data` (any verification, ``reuse`` or not, and signing): the hash of the
  canonical proof configuration alone, keyed by the configuration itself (every member, exactly:
  strings, and arrays of strings for ``@context``/``domain``/``previousProof``), the suite, the
  work bounds and the work factor, under the same rule (pinned top-level contexts only). Badges
  issued together share their proof options (the key, the purpose, often ``created``: a batch
  signed within one second hashes them once), and a badge shown again repeats them:
  canonicalizing those five quads was ~12 % of verifying a typical badge. The document is
  canonicalized and hashed each time, and the signature checked: only the hash of bytes that are
  a pure function of the key is kept, never a verdict.

Nothing else is skipped: the key is resolved, its purpose and controller checked, the proof's
fields and dates checked on every verification. The maps are ``BoundedMap`` objects (emptied when
full, safe for threads without a lock), so memory stays flat however many documents pass through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from badge_issuer.crypto.suites import CanonOptions, Cryptosuite
from badge_issuer.jsonld.context_memo import exact_form

_CONTEXT = b"@context"


def _pinned_only(document: Mapping[str, Any], canon: CanonOptions) -> bool:
    contexts = document.get("@context")
    entries = contexts if isinstance(contexts, list) else [contexts]
    return all(isinstance(entry, str) and canon.loader.knows(entry) for entry in entries)


def _key(
    suite: Cryptosuite, document: Mapping[str, Any], config: Mapping[str, Any], canon: CanonOptions
) -> bytes | None:
    """The memo key of this verify data, or None when it may not be kept.

    The two documents are keyed by their ``exact_form``, which writes every value in full. Each of
    the two has its top-level ``@context``: "@context" anywhere else in the bytes is a nested
    context (or a value naming one, also not kept)."""
    if not suite.canon_memo or not (_pinned_only(document, canon) and _pinned_only(config, canon)):
        return None
    text = exact_form((suite.name, suite.proof_type, document, config))
    if text is None or text.count(_CONTEXT) != 2:  # not plain data, or a nested @context somewhere
        return None
    described = f"{canon.bounds!r} {canon.work_factor} ".encode()
    return hashlib.sha256(described + text).digest()


def verify_data(
    suite: Cryptosuite, document: Mapping[str, Any], config: Mapping[str, Any], canon: CanonOptions
) -> bytes:
    """``suite.create_verify_data(document, config, canon)``, from the memo when it was computed before."""
    key = _key(suite, document, config, canon)
    if key is None:
        return fresh_verify_data(suite, document, config, canon)
    memo = canon.loader.derived
    found = memo.get((key,))
    if isinstance(found, bytes):
        return found
    data = fresh_verify_data(suite, document, config, canon)
    memo.put((key,), data)
    return data


def fresh_verify_data(
    suite: Cryptosuite, document: Mapping[str, Any], config: Mapping[str, Any], canon: CanonOptions
) -> bytes:
    """``suite.create_verify_data(document, config, canon)``: the document canonicalized now, the
    proof configuration's hash from the memo when the same configuration was hashed before."""
    key = _config_key(suite, config, canon)
    if key is None:
        return suite.create_verify_data(document, config, canon)
    memo = canon.loader.derived
    proof_hash = memo.get(key)
    if not isinstance(proof_hash, bytes):
        proof_hash = suite.hash_canonical(config, canon)
        memo.put(key, proof_hash)
    return proof_hash + suite.hash_canonical(document, canon)


def _config_key(suite: Cryptosuite, config: Mapping[str, Any], canon: CanonOptions) -> tuple[Any, ...] | None:
    """The memo key of a proof configuration's hash: every member exactly, or None when not kept."""
    if not suite.canon_memo or not _pinned_only(config, canon):
        return None
    bounds = canon.bounds
    key: list[Any] = [
        "proof-config",
        suite.name,
        suite.proof_type,
        canon.work_factor,
        bounds.max_objects,
        bounds.max_blank_nodes,
        bounds.max_values,
        bounds.max_duplicate_checks,
    ]
    for name in sorted(config):
        value = config[name]
        if type(name) is not str:
            return None
        if type(value) is str:
            key += (name, "s", value)
        elif type(value) is list and all(type(item) is str for item in value):
            key += (name, "a", len(value), *value)
        else:  # anything else (objects, numbers) is hashed each time
            return None
    return tuple(key)


def verified_before(canon: CanonOptions, public_key: bytes, proof_value: str, data: bytes) -> bool:
    """Whether this signature was seen to verify before (``remember_verified``)."""
    return canon.loader.verified_signatures.get((public_key, proof_value, data)) is True


def remember_verified(canon: CanonOptions, public_key: bytes, proof_value: str, data: bytes) -> None:
    """Keep a signature that verified."""
    canon.loader.verified_signatures.put((public_key, proof_value, data), True)


def sizes(canon: CanonOptions) -> tuple[int, int]:
    """How many verify data (of ``canon``'s loader) and signatures are kept now (for tests)."""
    return len(canon.loader.derived), len(canon.loader.verified_signatures)
