"""A verification report as a person reads it: one verdict, and the checks with the failing first.

The verdict is derived from the report of the verification spine only (never from our records), so
the badge page and the verification page say what any verifier would find: ``verified``,
``revoked``, ``suspended``, ``expired``, ``unchecked`` (a check could not be completed, e.g. a
status list that could not be read: fail closed, so not verified) or ``invalid`` (anything else
that failed: a signature, the issuer's key, the format …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from badge_issuer.checks import FAILED, INDETERMINATE, PASSED, SKIPPED, WARNING, CheckResult
from badge_issuer.verification import VerificationReport

VerdictKind = Literal["verified", "revoked", "suspended", "expired", "unchecked", "invalid"]

#: the order checks are shown in: what went wrong first, what was not run last
_SHOWN_FIRST = {FAILED: 0, INDETERMINATE: 1, WARNING: 2, PASSED: 3, SKIPPED: 4}


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    #: the check that decided a negative verdict (its message says why), if one did
    reason: CheckResult | None
    #: every check of the report, the failing ones first (then could-not-check, warnings, passed, skipped)
    checks: tuple[CheckResult, ...]
    #: for a presentation: one verdict per credential it holds
    credentials: tuple[Verdict, ...] = ()
    summary: Mapping[str, Any] | None = None


def ordered(checks: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """The checks with the failing first; the spine's order is kept within each status."""
    return tuple(sorted(checks, key=lambda result: _SHOWN_FIRST.get(result.status, 5)))


def verdict_of(report: VerificationReport) -> Verdict:
    """The one word a person needs, with the check that decided it."""
    checks = ordered(report.checks)
    credentials = tuple(verdict_of(inner) for inner in report.credentials)
    kind, reason = _classify(report)
    return Verdict(kind, reason, checks, credentials, report.summary)


def _classify(report: VerificationReport) -> tuple[VerdictKind, CheckResult | None]:
    if report.verified:
        return "verified", None
    by_id = {result.id: result for result in report.checks}
    status = by_id.get("status")
    if status is not None and status.status == FAILED:
        blocked = _blocking_status(status)
        if blocked is not None:
            return blocked, status
    validity = by_id.get("validity")
    if validity is not None and validity.status == FAILED and validity.message.startswith("expired"):
        return "expired", validity
    failed = next((result for result in report.checks if result.status == FAILED), None)
    if failed is not None:
        return "invalid", failed
    unchecked = next((result for result in report.checks if result.status == INDETERMINATE), None)
    if unchecked is not None:
        return "unchecked", unchecked
    if report.credentials:  # a presentation whose credentials did not all verify
        inner = next((verdict_of(item) for item in report.credentials if not item.verified), None)
        if inner is not None:
            return inner.kind, inner.reason
    # not verified, yet nothing failed: a required check that did not pass (fail closed)
    return "invalid", next((r for r in report.checks if r.status != PASSED), None)


def _blocking_status(status: CheckResult) -> VerdictKind | None:
    """``revoked`` or ``suspended`` when a status entry says so (revocation wins)."""
    entries = status.detail.get("entries") if isinstance(status.detail, Mapping) else None
    found: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("status") != FAILED:
            continue
        message = entry.get("message")
        if isinstance(message, str) and message.startswith("revoked"):
            found.add("revoked")
        elif isinstance(message, str) and message.startswith("suspended"):
            found.add("suspended")
    if "revoked" in found:
        return "revoked"
    return "suspended" if "suspended" in found else None
