"""``endorsements``: each embedded EndorsementCredential (``endorsement`` objects and
``endorsementJwt`` tokens on the credential, its issuer, its achievement and the achievement's
creator) is verified with the same checks, to a bounded depth and count.

An endorsement whose signature or key fails (``format``, ``context``, ``proof``, ``issuer_key``) is
a failure: the badge carries a forged claim. One that is only expired, revoked or off-schema is a
warning: the badge itself is not affected (so is one whose status could not be checked). More
endorsements than ``max_endorsements`` make the check indeterminate: the others were not verified.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    INDETERMINATE,
    PASSED,
    SKIPPED,
    WARNING,
    CheckResult,
    Envelope,
    Subject,
    VerifyContext,
    as_list,
    check,
    short,
)
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.formats.vcjwt import decode_vc_jwt

ID = "endorsements"
FORGERY_CHECKS = frozenset({"format", "context", "proof", "issuer_key"})


def _holders(credential: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(pointer, object)`` of every place OB 3.0 allows endorsements."""
    yield "", credential
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        yield "/issuer", issuer
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    if isinstance(achievement, Mapping):
        yield "/credentialSubject/achievement", achievement
        creator = achievement.get("creator")
        if isinstance(creator, Mapping):
            yield "/credentialSubject/achievement/creator", creator


def embedded(credential: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(pointer, endorsement object or JWT string)`` in document order."""
    found: list[tuple[str, Any]] = []
    for pointer, holder in _holders(credential):
        for name in ("endorsement", "endorsementJwt"):
            value = holder.get(name)
            items = as_list(value)
            for index, item in enumerate(items):
                suffix = f"/{index}" if isinstance(value, list) else ""
                found.append((f"{pointer}/{name}{suffix}", item))
    return found


@check(ID)
def endorsements_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    found = embedded(subject.credential)
    if not found:
        return CheckResult(ID, SKIPPED, "no embedded endorsements")
    verify_credential = ctx.verify_nested
    if verify_credential is None:  # fail closed: an endorsement that was not verified is not a pass
        return CheckResult(ID, FAILED, "endorsements cannot be verified: no verifier in the context")
    if subject.depth >= ctx.max_endorsement_depth:
        return CheckResult(
            ID, SKIPPED, f"endorsements nested deeper than {ctx.max_endorsement_depth} are not followed"
        )
    reports: list[dict[str, Any]] = []
    forged: list[str] = []
    weak: list[str] = []
    for pointer, item in found[: ctx.max_endorsements]:
        try:
            if isinstance(item, str):
                parts = decode_vc_jwt(item)
                credential, envelope = parts.credential, Envelope("jwt", parts, source=pointer)
            elif isinstance(item, Mapping):
                credential, envelope = item, Envelope("json", source=pointer)
            else:
                raise BadgeIssuerError("an endorsement must be an object or a compact JWS")
        except BadgeIssuerError as exc:
            forged.append(f"{pointer}: {exc.message}")
            reports.append({"pointer": pointer, "verified": False, "message": exc.message})
            continue
        report = verify_credential(credential, envelope, ctx, depth=subject.depth + 1)
        reports.append({"pointer": pointer, **report.to_json()})
        if report.verified:
            continue
        failed = [c for c in report.checks if c.status in (FAILED, INDETERMINATE)]
        target = forged if any(c.id in FORGERY_CHECKS for c in failed) else weak
        target.append(f"{pointer}: {'; '.join(short(c.message, 160) for c in failed)}")
    detail = {"endorsements": reports}
    if forged:
        return CheckResult(ID, FAILED, "endorsement does not verify: " + " | ".join(forged), detail)
    if len(found) > ctx.max_endorsements:  # fail closed: the rest would be shown, yet never verified
        reason = f"only the first {ctx.max_endorsements} of {len(found)} endorsements are verified"
        return CheckResult(
            ID, INDETERMINATE, f"could not verify every endorsement: {reason}", {**detail, "reason": reason}
        )
    if weak:
        return CheckResult(ID, WARNING, "endorsement is not currently valid: " + " | ".join(weak), detail)
    return CheckResult(ID, PASSED, f"{len(reports)} endorsement(s) verified", detail)
