"""The suite-agnostic Data Integrity engine: add a proof to a document, verify one proof or all.

It handles proof sets (several independent proofs) and proof chains (``previousProof``), the proof
purpose (``assertionMethod`` for credentials, ``authentication`` with ``challenge`` and ``domain``
for presentations), and the verification method lookup; everything suite-specific is in
``crypto.suites``. ``verify_proof_set`` follows VC Data Integrity §4.5: a secured document
verifies only when *every* proof verifies, and a proof whose ``previousProof`` does not verify
breaks the chain there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from badge_issuer.clock import isoformat_z
from badge_issuer.crypto import proof_memo
from badge_issuer.crypto.keys import Signer
from badge_issuer.crypto.resolver import KeyResolver, VerificationMethod
from badge_issuer.crypto.suites import CanonOptions, Cryptosuite, suite_for_proof
from badge_issuer.errors import BadgeIssuerError, ProofError

ASSERTION_METHOD = "assertionMethod"
AUTHENTICATION = "authentication"
#: proofs verified per document; a document carrying more is refused whole (work bound)
MAX_PROOFS = 10
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class ProofOptions:
    """What the signer chooses for a new proof."""

    created: datetime | None
    proof_purpose: str = ASSERTION_METHOD
    proof_id: str | None = None
    previous_proof: str | Sequence[str] | None = None
    #: one domain, or a set of them (VC DI §2.1)
    domain: str | Sequence[str] | None = None
    challenge: str | None = None
    #: when the proof stops being valid (VC DI §2.1 ``expires``)
    expires: datetime | None = None


@dataclass(frozen=True)
class VerifiedProof:
    """A proof whose signature verified, with the key that made it."""

    proof: Mapping[str, Any]
    suite: str
    verification_method: VerificationMethod


@dataclass(frozen=True)
class ProofOutcome:
    """One proof of a proof set: its position, and either the verified proof or why it failed."""

    index: int
    proof: Mapping[str, Any]
    verified: VerifiedProof | None
    error: str | None = None


def proofs_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's proofs as a list (``proof`` may be one object or an array)."""
    proof = document.get("proof")
    if proof is None:
        return []
    items = proof if isinstance(proof, list) else [proof]
    if not all(isinstance(item, Mapping) for item in items):
        raise ProofError("proof must be an object or an array of objects")
    return items


def add_proof(
    document: Mapping[str, Any],
    *,
    suite: Cryptosuite,
    signer: Signer,
    canon: CanonOptions,
    options: ProofOptions,
) -> dict[str, Any]:
    """A copy of ``document`` with one more proof by ``signer`` (an existing proof makes a proof set)."""
    contexts = _contexts(document)
    missing = [url for url in suite.required_contexts if url not in contexts]
    if missing:
        raise ProofError(f"{suite.proof_type} needs these @context entries: {', '.join(missing)}")
    existing = proofs_of(document)
    proof: dict[str, Any] = {"type": suite.proof_type}
    if options.proof_id:
        proof["id"] = options.proof_id
    if suite.name:
        proof["cryptosuite"] = suite.name
    if options.created is not None:
        proof["created"] = isoformat_z(options.created)
    proof["verificationMethod"] = signer.verification_method
    proof["proofPurpose"] = options.proof_purpose
    if options.previous_proof is not None:
        previous = options.previous_proof
        proof["previousProof"] = previous if isinstance(previous, str) else list(previous)
    if options.domain is not None:
        domain = options.domain
        proof["domain"] = domain if isinstance(domain, str) else list(domain)
    if options.challenge is not None:
        proof["challenge"] = options.challenge
    if options.expires is not None:
        proof["expires"] = isoformat_z(options.expires)
    unsecured = _unsecured(document, proof, existing)
    proof = suite.prepare_proof(proof, unsecured)
    config = suite.proof_config(proof, unsecured)
    # badges signed together share their options: their configuration is hashed once (proof_memo)
    proof["proofValue"] = suite.sign(proof_memo.fresh_verify_data(suite, unsecured, config, canon), signer)
    secured = dict(document)
    secured["proof"] = [*existing, proof] if existing else proof
    return secured


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    canon: CanonOptions,
    resolver: KeyResolver,
    expected_purpose: str = ASSERTION_METHOD,
    domain: str | None = None,
    challenge: str | None = None,
    now: datetime | None = None,
    reuse: bool = False,
) -> VerifiedProof:
    """Verify one proof of ``document``; raise ProofError/SignatureInvalid/ResolutionError if it fails.

    With ``now``, a proof whose ``expires`` is before it has expired and does not verify. With
    ``reuse`` (a document verified again and again, like a status list) its verify data is kept
    across verifications (``proof_memo``); everything else is checked each time. Without it the
    document is canonicalized every time; only the proof configuration's hash may come from the
    memo (``proof_memo.fresh_verify_data``).
    """
    for field in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(field), str) or not proof[field]:
            raise ProofError(f"proof.{field} is missing or not a string")
    if proof["proofPurpose"] != expected_purpose:
        raise ProofError(f"proof purpose is {proof['proofPurpose']!r}, expected {expected_purpose!r}")
    if challenge is not None and proof.get("challenge") != challenge:
        what = "has no challenge" if "challenge" not in proof else "challenge does not match"
        raise ProofError(f"the proof {what}: the expected challenge was given, so this may be a replay")
    if domain is not None and not _domain_matches(proof.get("domain"), domain):
        what = "has no domain" if "domain" not in proof else "domain does not match"
        raise ProofError(f"the proof {what}: it was not made for the expected domain {domain!r:.80}")
    created = proof.get("created")
    if created is not None and (not isinstance(created, str) or not _DATETIME.match(created)):
        raise ProofError("proof.created is not an XML Schema dateTime")
    _check_expires(proof.get("expires"), now)
    suite = suite_for_proof(proof)
    unsecured = suite.prepare_unsecured(_unsecured(document, proof, proofs_of(document)), proof)
    config = suite.proof_config(proof, unsecured)
    verify_data = (
        proof_memo.verify_data(suite, unsecured, config, canon)
        if reuse
        else proof_memo.fresh_verify_data(suite, unsecured, config, canon)
    )
    method = resolver.resolve(proof["verificationMethod"])
    if expected_purpose not in method.purposes:  # a key listed nowhere is authorised for nothing
        raise ProofError(
            f"verification method {method.id} is not listed under {expected_purpose} by its controller"
        )
    known = reuse and proof_memo.verified_before(canon, method.public_key, proof["proofValue"], verify_data)
    if not known:
        suite.verify(verify_data, proof["proofValue"], method.public_key)
        if reuse:
            proof_memo.remember_verified(canon, method.public_key, proof["proofValue"], verify_data)
    return VerifiedProof(proof=proof, suite=suite.name or suite.proof_type, verification_method=method)


def verify_proof_set(
    document: Mapping[str, Any],
    *,
    canon: CanonOptions,
    resolver: KeyResolver,
    expected_purpose: str = ASSERTION_METHOD,
    domain: str | None = None,
    challenge: str | None = None,
    max_proofs: int = MAX_PROOFS,
    now: datetime | None = None,
    reuse: bool = False,
) -> tuple[ProofOutcome, ...]:
    """Verify every proof of ``document`` (VC DI §4.5); the document verifies iff all outcomes did.

    Raises ProofError for a proof member that is not an object or array of objects, for more than
    ``max_proofs`` proofs, and for proof ids that are not unique (a chain would be ambiguous).
    A proof whose ``previousProof`` names a proof that does not verify does not verify either.
    """
    proofs = proofs_of(document)
    if len(proofs) > max_proofs:
        raise ProofError(f"the document carries {len(proofs)} proofs; at most {max_proofs} are verified")
    ids = [proof.get("id") for proof in proofs if proof.get("id") is not None]
    if len({repr(item) for item in ids}) != len(ids):
        raise ProofError("two proofs share an id, so a previousProof chain would be ambiguous")
    outcomes: list[ProofOutcome] = []
    for index, proof in enumerate(proofs):
        try:
            verified = verify_proof(
                document,
                proof,
                canon=canon,
                resolver=resolver,
                expected_purpose=expected_purpose,
                domain=domain,
                challenge=challenge,
                now=now,
                reuse=reuse,
            )
        except BadgeIssuerError as exc:
            outcomes.append(ProofOutcome(index, proof, None, exc.message))
        else:
            outcomes.append(ProofOutcome(index, proof, verified))
    return _break_chains(outcomes)


def _break_chains(outcomes: list[ProofOutcome]) -> tuple[ProofOutcome, ...]:
    """Fail every proof whose ``previousProof`` (directly or further back) does not verify."""
    by_id = {outcome.proof.get("id"): outcome.index for outcome in outcomes if outcome.proof.get("id")}
    for _ in range(len(outcomes)):
        changed = False
        for position, outcome in enumerate(outcomes):
            previous = outcome.proof.get("previousProof")
            named = [previous] if isinstance(previous, str) else previous
            if outcome.verified is None or not isinstance(named, list):
                continue
            broken = [item for item in named if item in by_id and outcomes[by_id[item]].verified is None]
            if broken:
                reason = f"its previousProof {broken[0]!r:.80} does not verify, so the chain is broken"
                outcomes[position] = ProofOutcome(outcome.index, outcome.proof, None, reason)
                changed = True
        if not changed:
            break
    return tuple(outcomes)


def _check_expires(expires: Any, now: datetime | None) -> None:
    """ProofError when ``proof.expires`` is malformed, or (given ``now``) has passed."""
    if expires is None:
        return
    if not isinstance(expires, str) or not _DATETIME.match(expires):
        raise ProofError("proof.expires is not an XML Schema dateTime")
    try:
        moment = datetime.fromisoformat(expires)
    except ValueError:
        raise ProofError("proof.expires is not an XML Schema dateTime") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if now is not None and moment < now:
        raise ProofError(f"the proof expired at {expires}")


def _domain_matches(value: Any, expected: str) -> bool:
    """A proof's ``domain`` (a string or a set of strings) includes the expected domain."""
    if isinstance(value, list):
        return expected in value
    return bool(value == expected)


def _unsecured(
    document: Mapping[str, Any], proof: Mapping[str, Any], all_proofs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document a proof covers: no proofs, except those it names in ``previousProof`` (a chain)."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise ProofError("previousProof must be a string or an array of strings")
    by_id = {item.get("id"): item for item in all_proofs if item.get("id")}
    missing = [item for item in wanted if item not in by_id]
    if missing:
        raise ProofError(f"previousProof names proofs that are not present: {', '.join(missing)}")
    unsecured["proof"] = [by_id[item] for item in wanted]
    return unsecured


def _contexts(document: Mapping[str, Any]) -> list[Any]:
    context = document.get("@context")
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]
