"""``proof``: every embedded Data Integrity proof, and the VC-JWT signature when the credential came
as one. Every one must verify (VC Data Integrity §4.5 for proof sets and chains; a VC-JWT envelope
and the proofs inside it are each a securing mechanism, so all must hold); each is reported.

This check answers "is this a valid signature by the key the proof names?". Whether that key
belongs to the issuer is the ``issuer_key`` check's question. So when a verification method cannot
be resolved (a key URL that is unreachable) but its id carries the key itself (``…#z6Mk…``), the
signature is checked with that key and the result is a *warning* naming what was not established
(that the key's controller lists it for the proof purpose); when a JWT header carries a ``jwk``,
the key's provenance is ``issuer_key``'s question (the issuer's JWK set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    WARNING,
    CheckResult,
    KeyUse,
    Subject,
    VerifyContext,
    check,
    short,
)
from badge_issuer.checks.jwt_keys import jwt_key
from badge_issuer.crypto.data_integrity import verify_proof_set
from badge_issuer.crypto.keys import public_key_from_multibase
from badge_issuer.crypto.resolver import KeyResolver, VerificationMethod
from badge_issuer.errors import BadgeIssuerError, InvalidKey, ResolutionError
from badge_issuer.formats.vcjwt import JwtParts, check_claims, check_header, check_lifetime, verify_jws

ID = "proof"


class _KeyFromId:
    """Resolve through ``inner``; if that fails and the key id ends in ``#z6Mk…``, use that key.

    Such a key is taken as listed for ``purpose`` only so that its signature can be checked: the
    proof check then warns (``keyConfirmed`` false) and ``issuer_key`` fails it, so it never passes.
    """

    def __init__(self, inner: KeyResolver, purpose: str) -> None:
        self._inner = inner
        self._purpose = purpose
        self.unresolved: dict[str, str] = {}

    def resolve(self, method_id: str) -> VerificationMethod:
        try:
            return self._inner.resolve(method_id)
        except ResolutionError as exc:
            fragment = method_id.rpartition("#")[2]
            if "#" not in method_id or not fragment.startswith("z6Mk"):
                raise
            try:
                key = public_key_from_multibase(fragment)
            except InvalidKey:
                raise exc from None
            self.unresolved[method_id] = exc.message
            return VerificationMethod(method_id, "Multikey", "", key, frozenset({self._purpose}))


def _label(proof: Mapping[str, Any]) -> str:
    return str(proof.get("cryptosuite") or proof.get("type") or "proof")


def _data_integrity(subject: Subject, ctx: VerifyContext) -> list[dict[str, Any]]:
    """One entry per embedded proof (VC DI proof set / chain: each must verify on its own)."""
    resolver = _KeyFromId(ctx.resolver, ctx.proof_purpose)
    try:
        outcomes = verify_proof_set(
            subject.credential,
            canon=ctx.canon,
            resolver=resolver,
            expected_purpose=ctx.proof_purpose,
            now=ctx.clock() - ctx.clock_skew,
        )
    except BadgeIssuerError as exc:
        return [{"proof": "/proof", "valid": False, "message": exc.message}]
    listed = isinstance(subject.credential.get("proof"), list)
    reports: list[dict[str, Any]] = []
    for outcome in outcomes:
        proof = outcome.proof
        method_id = proof.get("verificationMethod")
        entry: dict[str, Any] = {
            "proof": f"/proof/{outcome.index}" if listed else "/proof",
            "type": short(proof.get("type")),
            "cryptosuite": proof.get("cryptosuite") if isinstance(proof.get("cryptosuite"), str) else None,
            "verificationMethod": short(method_id, 300),
        }
        if outcome.verified is None:
            entry.update(valid=False, message=f"{_label(proof)} proof by {short(method_id)}: {outcome.error}")
            reports.append(entry)
            continue
        method = outcome.verified.verification_method
        unresolved = resolver.unresolved.get(method.id)
        entry.update(valid=True, message=f"valid {outcome.verified.suite} signature by {short(method.id)}")
        if unresolved:
            entry["keyConfirmed"] = False
            entry["message"] += (
                f", a key read from the key id itself: its key document could not be obtained ({unresolved}),"
                f" so it is not established that {short(method.id.partition('#')[0])} lists this key for"
                f" {ctx.proof_purpose}"
            )
        subject.keys.append(
            KeyUse(
                proof=entry["proof"],
                key_id=method.id,
                method=None if unresolved else method,
                unresolved=unresolved,
            )
        )
        reports.append(entry)
    return reports


def _jwt(subject: Subject, ctx: VerifyContext, parts: JwtParts) -> dict[str, Any]:
    alg = parts.header.get("alg")
    entry: dict[str, Any] = {
        "proof": "VC-JWT",
        "type": "JWS",
        "alg": short(alg),
        "kid": parts.header.get("kid"),
    }
    problems = check_header(parts.header)
    if problems:
        entry.update(valid=False, message="VC-JWT header: " + "; ".join(problems))
        return entry
    try:
        found = jwt_key(parts, subject.credential, ctx)
        verify_jws(parts, found.jwk)
    except BadgeIssuerError as exc:
        entry.update(valid=False, message=f"VC-JWT ({short(alg)}): {exc.message}")
        return entry
    claims = check_claims(parts.payload, subject.credential)
    if claims:
        entry.update(valid=False, message="VC-JWT claims disagree with the credential: " + "; ".join(claims))
        return entry
    lifetime = check_lifetime(parts.payload, ctx.clock(), ctx.clock_skew)
    if lifetime:
        entry.update(valid=False, message="VC-JWT envelope is not valid now: " + "; ".join(lifetime))
        return entry
    entry.update(valid=True, message=f"valid VC-JWT {alg} signature by {short(found.key_id)}")
    if found.unresolved:
        entry["message"] += " (key from the JWT header; not yet matched to the issuer)"
    subject.keys.append(
        KeyUse(
            proof="VC-JWT",
            key_id=found.key_id,
            method=found.method,
            unresolved=found.unresolved,
            jwk=found.jwk,
        )
    )
    return entry


@check(ID, fatal=True)
def proof_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    reports: list[dict[str, Any]] = []
    if subject.envelope.jwt is not None:
        reports.append(_jwt(subject, ctx, subject.envelope.jwt))
    reports.extend(_data_integrity(subject, ctx))
    if not reports:
        return CheckResult(ID, FAILED, "the credential carries no proof: it is not signed", {"proofs": []})
    detail = {"proofs": reports}
    invalid = [report for report in reports if not report["valid"]]
    count = f"{len(reports) - len(invalid)} of {len(reports)} proofs verify" if len(reports) > 1 else ""
    if invalid:
        reasons = "; ".join(report["message"] for report in invalid)
        if not count:
            return CheckResult(ID, FAILED, f"the proof does not verify: {reasons}", detail)
        return CheckResult(ID, FAILED, f"{count}, and every proof must: {reasons}", detail)
    message = "; ".join(report["message"] for report in reports)
    message = f"{count}: {message}" if count else message
    if any(report.get("keyConfirmed") is False for report in reports):
        return CheckResult(ID, WARNING, message, detail)
    return CheckResult(ID, PASSED, message, detail)
