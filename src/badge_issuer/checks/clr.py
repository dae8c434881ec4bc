"""``clr``: every AchievementCredential a CLR 2.0 ``ClrCredential`` carries is verified in full.

A ClrCredential (Comprehensive Learner Record) bundles the learner's achievements as
``credentialSubject.verifiableCredential[]``: AchievementCredential objects (or compact JWS
strings). Each is verified with the same checks as a badge on its own, and its report becomes one of
the CLR report's ``credentials``. The CLR's own proof covers the bundle, but not the truth of each
claim: the CLR is verified only when every nested credential is (a failed one fails this check).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    INDETERMINATE,
    PASSED,
    SKIPPED,
    CheckResult,
    Envelope,
    NestedReport,
    Subject,
    VerifyContext,
    as_list,
    check,
    short,
    types_of,
)
from badge_issuer.errors import BadgeIssuerError
from badge_issuer.formats.vcjwt import decode_vc_jwt

ID = "clr"
NESTED_TYPES = frozenset({"AchievementCredential", "OpenBadgeCredential"})


def nested_credentials(credential: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(pointer, credential object or JWT string)`` of each credential a ClrCredential carries."""
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return []
    value = subject.get("verifiableCredential")
    return [
        (f"/credentialSubject/verifiableCredential{f'/{index}' if isinstance(value, list) else ''}", item)
        for index, item in enumerate(as_list(value))
    ]


@dataclass(frozen=True)
class Refused:
    """The report on a nested item that is not a credential at all (nothing could be checked)."""

    message: str
    verified: bool = False

    @property
    def summary(self) -> dict[str, Any]:
        return {}

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return (CheckResult("format", FAILED, self.message),)

    def to_json(self) -> dict[str, Any]:
        return {"verified": False, "summary": {}, "checks": [c.to_json() for c in self.checks]}


def _unwrap(pointer: str, item: Any) -> tuple[Mapping[str, Any], Envelope]:
    if isinstance(item, str):
        parts = decode_vc_jwt(item)
        return parts.credential, Envelope("jwt", parts, source=pointer)
    if isinstance(item, Mapping):
        return item, Envelope("json", source=pointer)
    raise BadgeIssuerError("a nested credential must be an object or a compact JWS")


@check(ID)
def clr_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    if "ClrCredential" not in types_of(subject.credential):
        return CheckResult(ID, SKIPPED, "not a ClrCredential")
    found = nested_credentials(subject.credential)
    if not found:
        return CheckResult(ID, FAILED, "the ClrCredential carries no credentialSubject.verifiableCredential")
    verify_credential = ctx.verify_nested
    if verify_credential is None:  # fail closed: a nested credential that was not verified is not a pass
        return CheckResult(
            ID, FAILED, "the nested credentials cannot be verified: no verifier in the context"
        )
    if subject.depth >= ctx.max_endorsement_depth:
        return CheckResult(
            ID, FAILED, f"a ClrCredential nested deeper than {ctx.max_endorsement_depth} is refused"
        )
    if len(found) > ctx.max_nested_credentials:
        return CheckResult(
            ID,
            FAILED,
            f"the ClrCredential carries {len(found)} credentials; "
            f"at most {ctx.max_nested_credentials} are verified",
        )
    failures: list[str] = []
    summary: list[dict[str, Any]] = []
    for pointer, item in found:
        report: NestedReport
        problem: str | None = None
        try:
            credential, envelope = _unwrap(pointer, item)
        except BadgeIssuerError as exc:
            report = Refused(exc.message)
        else:
            report = verify_credential(credential, envelope, ctx, depth=subject.depth + 1)
            if NESTED_TYPES.isdisjoint(types_of(credential)):
                problem = "a ClrCredential may carry only AchievementCredentials"
        subject.nested.append(report)
        summary.append({"pointer": pointer, "verified": report.verified and problem is None})
        if problem is not None:
            failures.append(f"{pointer}: {problem}")
        elif not report.verified:
            failed = [c for c in report.checks if c.status in (FAILED, INDETERMINATE)]
            reasons = (
                "; ".join(f"{c.id} {c.status}: {short(c.message, 160)}" for c in failed) or "not verified"
            )
            failures.append(f"{pointer}: {reasons}")
    detail = {"credentials": summary}
    if failures:
        return CheckResult(
            ID,
            FAILED,
            f"{len(failures)} of {len(found)} nested credential(s) do not verify: " + " | ".join(failures),
            detail,
        )
    return CheckResult(ID, PASSED, f"all {len(found)} nested AchievementCredential(s) verify", detail)
