"""Verdicts: the one word a page shows for a report, and the failing checks first."""

from __future__ import annotations

from badge_issuer.application.verdicts import ordered, verdict_of
from badge_issuer.checks import CheckResult
from badge_issuer.verification import VerificationReport, unusable

PASS = [CheckResult(name, "passed", "ok") for name in ("format", "context", "schema", "proof", "issuer_key")]


def report(*checks: CheckResult, verified: bool = False) -> VerificationReport:
    return VerificationReport(verified, {"achievement": "A"}, (*PASS, *checks))


def status(*entries: tuple[str, str]) -> CheckResult:
    detail = {"entries": [{"status": state, "message": message} for state, message in entries]}
    worst = "failed" if any(state == "failed" for state, _ in entries) else entries[0][0]
    return CheckResult("status", worst, "; ".join(m for _, m in entries), detail)  # type: ignore[arg-type]


def test_verified() -> None:
    verdict = verdict_of(report(CheckResult("validity", "passed", "ok"), verified=True))
    assert verdict.kind == "verified" and verdict.reason is None and verdict.summary == {"achievement": "A"}


def test_revocation_wins_over_suspension_and_expiry() -> None:
    expired = CheckResult("validity", "failed", "expired on 2021-01-01 (validUntil …)")
    both = status(
        ("failed", "suspended on 2026-01-01: the status list says suspended"), ("failed", "revoked: …")
    )
    verdict = verdict_of(report(expired, both))
    assert verdict.kind == "revoked" and verdict.reason is not None and verdict.reason.id == "status"
    assert (
        verdict_of(report(status(("failed", "suspended: x"), ("passed", "not revoked")))).kind == "suspended"
    )
    assert verdict_of(report(expired, status(("passed", "not revoked")))).kind == "expired"


def test_a_status_that_could_not_be_checked_is_not_a_pass() -> None:
    unknown = status(("indeterminate", "could not check whether it is revoked: timeout"))
    verdict = verdict_of(report(CheckResult("validity", "passed", "ok"), unknown))
    assert verdict.kind == "unchecked" and verdict.reason == unknown
    assert verdict.checks[0] == unknown  # shown first


def test_anything_else_that_failed_makes_it_invalid() -> None:
    broken = status(("failed", "STATUS_VERIFICATION_ERROR: the list's proof does not verify"))
    assert verdict_of(report(broken)).kind == "invalid"
    verdict = verdict_of(unusable("not a credential"))
    assert verdict.kind == "invalid" and verdict.reason is not None and verdict.reason.id == "format"
    # not verified although nothing failed (a required check was only a warning): still invalid
    warned = VerificationReport(False, {}, (CheckResult("proof", "warning", "key read from its id"),))
    assert verdict_of(warned).kind == "invalid"


def test_a_presentation_takes_the_verdict_of_its_failing_credential() -> None:
    inner = report(status(("failed", "revoked: listed")))
    outer = VerificationReport(False, {}, (CheckResult("format", "passed", "a VP"),), (inner,))
    verdict = verdict_of(outer)
    assert verdict.kind == "revoked" and verdict.credentials[0].kind == "revoked"


def test_checks_are_ordered_failing_first_keeping_the_spines_order_otherwise() -> None:
    checks = [
        CheckResult("a", "passed", ""),
        CheckResult("b", "skipped", ""),
        CheckResult("c", "warning", ""),
        CheckResult("d", "failed", ""),
        CheckResult("e", "indeterminate", ""),
        CheckResult("f", "failed", ""),
        CheckResult("g", "passed", ""),
    ]
    assert [c.id for c in ordered(checks)] == ["d", "f", "e", "c", "a", "g", "b"]
