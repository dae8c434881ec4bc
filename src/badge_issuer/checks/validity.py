"""``validity``: the validity period against now, with the configured clock skew either way.

VC 2.0 credentials use ``validFrom``/``validUntil``; VC 1.1 credentials ``issuanceDate``/
``expirationDate`` (chosen by ``@context[0]``). A date-time without a time zone is read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from badge_issuer.checks.base import FAILED, PASSED, CheckResult, Subject, VerifyContext, check, short
from badge_issuer.checks.format import vc_version
from badge_issuer.clock import isoformat_z

ID = "validity"


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTime as an aware datetime, or None if it is not one."""
    if not isinstance(value, str) or "T" not in value or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_fields(subject: Subject) -> tuple[str, str]:
    """The names of the start and end fields for this credential's VC version."""
    if vc_version(subject.credential) == "1.1":
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


@check(ID)
def validity_check(subject: Subject, ctx: VerifyContext) -> CheckResult:
    credential = subject.credential
    start_name, end_name = period_fields(subject)
    now = ctx.clock()
    detail: dict[str, Any] = {
        "now": isoformat_z(now),
        "clockSkewSeconds": int(ctx.clock_skew.total_seconds()),
    }
    moments: dict[str, datetime | None] = {}
    for name in (start_name, end_name):
        value = credential.get(name)
        if value is None:
            moments[name] = None
            continue
        parsed = parse_datetime(value)
        if parsed is None:
            return CheckResult(ID, FAILED, f"{name} {short(value, 60)} is not a date-time", detail)
        detail[name] = value
        moments[name] = parsed
    start, end = moments[start_name], moments[end_name]
    if start is None and vc_version(credential) == "1.1":
        return CheckResult(ID, FAILED, "a VC 1.1 credential needs an issuanceDate", detail)
    if start is not None and end is not None and start > end:
        return CheckResult(ID, FAILED, f"{start_name} is after {end_name}: the period is empty", detail)
    if start is not None and start > now + ctx.clock_skew:
        return CheckResult(
            ID, FAILED, f"not yet valid: valid from {isoformat_z(start)} (now {isoformat_z(now)})", detail
        )
    if end is not None and end < now - ctx.clock_skew:
        return CheckResult(
            ID, FAILED, f"expired on {end.date().isoformat()} ({end_name} {isoformat_z(end)})", detail
        )
    since = f"valid since {isoformat_z(start)}" if start else "no start date"
    until = f"until {isoformat_z(end)}" if end else "with no expiry"
    return CheckResult(ID, PASSED, f"{since}, {until}", detail)
