"""The checks on a Verifiable Presentation itself (its credentials get the credential checks).

``presentation_proof``: every proof on the presentation verifies with the ``authentication``
purpose, and carries the ``challenge`` and ``domain`` the caller expects (VC Data Integrity §4.5,
§2.1); a VP-JWT's envelope is one more proof that must hold (``presentation_jwt``). No proof
means nobody is authenticated: a warning for a bag of credentials, a failure when
the caller asked for a challenge, a domain or holder binding, or when the presentation holds no
credential (an authentication-only presentation that authenticates nobody establishes nothing).
A verified proof without an expected challenge is a warning: it may be a replay.

``holder``: the controller of the key that authenticated the presentation is its ``holder`` (a
different holder is a failure). For each credential whose ``credentialSubject.id`` is a DID, the
detail says whether the authenticated holder is that subject. A subject that is someone else is a
warning — or a failure when the caller demanded ``subject_is_holder``, which also fails subjects
with no DID id (nothing binds them to the holder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    PASSED,
    SKIPPED,
    WARNING,
    CheckResult,
    VerifyContext,
    as_list,
    short,
)
from badge_issuer.checks.presentation_jwt import verify_presentation_jwt
from badge_issuer.crypto.data_integrity import AUTHENTICATION, verify_proof_set
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.formats.vcjwt import JwtParts

PROOF_ID = "presentation_proof"
HOLDER_ID = "holder"


def presentation_checks(
    presentation: Mapping[str, Any],
    credentials: Sequence[Mapping[str, Any]],
    ctx: VerifyContext,
    jwt: JwtParts | None = None,
) -> tuple[CheckResult, CheckResult]:
    """``(presentation_proof, holder)`` for ``presentation`` (with its VP-JWT envelope ``jwt``, if it
    came as one) and the credentials it holds."""
    proof, presenters = _proof(presentation, bool(credentials), ctx, jwt)
    return proof, _holder(presentation, credentials, presenters, ctx)


def not_a_presentation(ctx: VerifyContext) -> CheckResult | None:
    """For a lone credential: a failed ``presentation_proof`` when the caller asked for one."""
    demands = _demands(ctx)
    if not demands:
        return None
    return CheckResult(
        PROOF_ID,
        FAILED,
        f"a credential, not a presentation, was presented, so nobody is authenticated; the caller asked "
        f"for {', '.join(demands)}",
    )


def holder_of(presentation: Mapping[str, Any]) -> Any:
    """The ``holder`` id (a string, or the ``id`` of a holder object), or the value as given."""
    holder = presentation.get("holder")
    return holder.get("id") if isinstance(holder, Mapping) else holder


def _demands(ctx: VerifyContext) -> list[str]:
    options = ctx.options
    asked = [f"challenge {short(options.challenge, 60)}"] if options.challenge is not None else []
    asked += [f"domain {short(options.domain, 60)}"] if options.domain is not None else []
    asked += ["the holder as every credential's subject"] if options.subject_is_holder else []
    return asked


def _proof(
    presentation: Mapping[str, Any], has_credentials: bool, ctx: VerifyContext, jwt: JwtParts | None
) -> tuple[CheckResult, frozenset[str]]:
    """The ``presentation_proof`` result and the controllers it authenticated."""
    options, demands = ctx.options, _demands(ctx)
    detail: dict[str, Any] = {
        "proofPurpose": AUTHENTICATION,
        "expectedChallenge": options.challenge,
        "expectedDomain": options.domain,
        "proofs": [],
    }
    try:
        outcomes = verify_proof_set(
            presentation,
            canon=ctx.canon,
            resolver=ctx.resolver,
            expected_purpose=AUTHENTICATION,
            challenge=options.challenge,
            domain=options.domain,
            now=ctx.clock() - ctx.clock_skew,
        )
    except BadgeIssuerError as exc:
        return CheckResult(PROOF_ID, FAILED, f"the presentation's proof: {exc.message}", detail), frozenset()
    envelope = verify_presentation_jwt(jwt, ctx) if jwt is not None else None
    if not outcomes and envelope is None:
        message = "no proof on the presentation: the presenter is not authenticated"
        if demands:
            return CheckResult(
                PROOF_ID, FAILED, f"{message}, but the caller asked for {', '.join(demands)}", detail
            ), frozenset()
        if not has_credentials:
            return CheckResult(
                PROOF_ID, FAILED, f"{message}, and it holds no credential: it establishes nothing", detail
            ), frozenset()
        return CheckResult(
            PROOF_ID, WARNING, f"{message}; each credential is judged on its own proofs", detail
        ), frozenset()
    entries: list[dict[str, Any]] = []
    for outcome in outcomes:
        proof = outcome.proof
        entry: dict[str, Any] = {
            "proof": f"/proof/{outcome.index}" if isinstance(presentation.get("proof"), list) else "/proof",
            "verificationMethod": short(proof.get("verificationMethod"), 300),
            "challenge": short(proof.get("challenge"), 200) if "challenge" in proof else None,
            "domain": proof.get("domain") if isinstance(proof.get("domain"), str | list) else None,
            "valid": outcome.verified is not None,
        }
        if outcome.verified is None:
            entry["message"] = f"does not verify: {outcome.error}"
        else:
            method = outcome.verified.verification_method
            entry["controller"] = method.controller
            entry["message"] = f"valid {outcome.verified.suite} authentication by {short(method.id)}"
        entries.append(entry)
    if envelope is not None:  # a securing envelope and any embedded proof must all hold
        entries.append(dict(envelope.detail))
    detail["proofs"] = entries
    invalid = [entry for entry in entries if not entry["valid"]]
    if invalid:
        reasons = "; ".join(f"{entry['proof']} {entry['message']}" for entry in invalid)
        return CheckResult(
            PROOF_ID, FAILED, f"the presentation's proof does not verify: {reasons}", detail
        ), frozenset()
    presenters = frozenset(entry["controller"] for entry in entries)
    who = ", ".join(short(item) for item in sorted(presenters))
    if options.challenge is None:
        message = (
            f"the presentation is signed for authentication by {who}, but no challenge was expected, "
            "so it may be a replay of an earlier presentation"
        )
        return CheckResult(PROOF_ID, WARNING, message, detail), presenters
    where = f" for domain {short(options.domain)}" if options.domain is not None else ""
    message = f"{who} authenticated the presentation with the expected challenge{where}"
    return CheckResult(PROOF_ID, PASSED, message, detail), presenters


def _subjects(credentials: Sequence[Mapping[str, Any]], presenters: frozenset[str]) -> list[dict[str, Any]]:
    """Per credential: its subject ids, and whether the authenticated holder is that subject."""
    found: list[dict[str, Any]] = []
    for index, credential in enumerate(credentials):
        ids: list[str | None] = [
            subject["id"]
            for subject in as_list(credential.get("credentialSubject"))
            if isinstance(subject, Mapping) and isinstance(subject.get("id"), str)
        ]
        dids = [item for item in ids if item is not None and item.startswith("did:")]
        entry: dict[str, Any] = {"credential": index, "subject": (dids or ids or [None])[0]}
        if not dids:
            entry["boundToHolder"] = None
            entry["message"] = "the subject has no DID, so it cannot be bound to the holder by a key"
        elif not presenters:
            entry["boundToHolder"] = None
            entry["message"] = f"issued to {short(dids[0])}; no holder is authenticated to compare"
        elif any(item in presenters for item in dids):
            entry["boundToHolder"] = True
            entry["message"] = f"issued to {short(dids[0])}, the authenticated holder"
        else:
            entry["boundToHolder"] = False
            entry["message"] = f"issued to {short(dids[0])}, not to the authenticated holder"
        found.append(entry)
    return found


def _holder(
    presentation: Mapping[str, Any],
    credentials: Sequence[Mapping[str, Any]],
    presenters: frozenset[str],
    ctx: VerifyContext,
) -> CheckResult:
    holder = holder_of(presentation)
    subjects = _subjects(credentials, presenters)
    detail: dict[str, Any] = {
        "holder": holder if isinstance(holder, str) else None,
        "authenticated": sorted(presenters),
        "subjects": subjects,
    }
    required = ctx.options.subject_is_holder
    if holder is not None and not isinstance(holder, str):
        return CheckResult(HOLDER_ID, FAILED, "holder must be a URL or an object with an id", detail)
    if not presenters:
        if required:
            return CheckResult(
                HOLDER_ID,
                FAILED,
                "the holder is not authenticated, so it cannot be shown to be each credential's subject",
                detail,
            )
        if holder is not None:
            return CheckResult(
                HOLDER_ID,
                WARNING,
                f"the presentation names holder {short(holder)}, but no valid proof establishes it",
                detail,
            )
        return CheckResult(HOLDER_ID, SKIPPED, "no holder is named and none is authenticated", detail)
    if holder is not None and holder not in presenters:
        return CheckResult(
            HOLDER_ID,
            FAILED,
            f"the presentation names holder {short(holder)}, but it was signed with a key of "
            f"{', '.join(short(item) for item in sorted(presenters))}",
            detail,
        )
    who = short(holder) if holder is not None else ", ".join(short(item) for item in sorted(presenters))
    established = f"the holder {who} is authenticated" + (
        "" if holder is not None else " (the key's controller; the presentation names no holder)"
    )
    others = [entry for entry in subjects if entry["boundToHolder"] is False]
    unbound = [entry for entry in subjects if entry["boundToHolder"] is None]
    if required and (others or unbound):
        reasons = "; ".join(f"credential {e['credential']}: {e['message']}" for e in [*others, *unbound])
        return CheckResult(
            HOLDER_ID, FAILED, f"{established}, but is not the subject of every credential: {reasons}", detail
        )
    if others:
        reasons = "; ".join(f"credential {e['credential']}: {e['message']}" for e in others)
        return CheckResult(
            HOLDER_ID, WARNING, f"{established}, but presents others' credentials: {reasons}", detail
        )
    bound = [str(entry["credential"]) for entry in subjects if entry["boundToHolder"]]
    if bound:
        established += f", and is the subject of credential(s) {', '.join(bound)}"
    if unbound:
        established += f"; {len(unbound)} credential(s) name no DID subject to bind"
    return CheckResult(HOLDER_ID, PASSED, established, detail)
