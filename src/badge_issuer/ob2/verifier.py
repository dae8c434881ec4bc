"""Verify one Open Badges 2.0 Assertion (hosted or signed) into the report's checks.

The checks have the ids of the OB 3.0 report where they mean the same: ``format`` (an Assertion,
and how it asks to be verified), ``proof`` (the hosted copy at its id, or the JWS signature),
``issuer_key`` (the hosted id is in the issuer's scope, or the key is the issuer's), ``validity``
(``issuedOn`` / ``expires``), ``status`` (``revoked``, 410 Gone, the issuer's ``revocationList``) and
``recipient`` (when an email address was given). ``format`` and ``proof`` are fatal. The verdict is
true only when format, proof and issuer_key passed and nothing failed or was indeterminate (a
revocation list that cannot be read: fail closed, unless the caller asked for offline mode).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from badge_issuer.checks.base import (
    FAILED,
    INDETERMINATE,
    PASSED,
    SKIPPED,
    CheckResult,
    VerifyContext,
    short,
)
from badge_issuer.checks.recipient import ob2_identities, recipient_result
from badge_issuer.clock import isoformat_z
from badge_issuer.errors import BadgeIssuerError, SignatureInvalid
from badge_issuer.formats.vcjwt import JwtParts
from badge_issuer.ob2.chain import Chain, ChainError, load_chain, revocation_list, revoked_entry
from badge_issuer.ob2.documents import (
    ASSERTION_REQUIRED,
    Method,
    differing_keys,
    http_url,
    method_of,
    missing,
    parse_ob_datetime,
    verification_of,
)
from badge_issuer.ob2.hosted import Hosted, fetch_hosted, scope_problem
from badge_issuer.ob2.signed import SignedBy, candidate_keys, key_link_problem, verify_signed
from badge_issuer.ob2.summary import summarize_ob2

FORMAT = "Open Badges 2.0"
ORDER = ("format", "proof", "issuer_key", "validity", "status", "recipient")
REQUIRED = frozenset({"format", "proof", "issuer_key"})


@dataclass(frozen=True)
class Ob2Verdict:
    verified: bool
    summary: Mapping[str, Any]
    checks: tuple[CheckResult, ...]


@dataclass
class _Run:
    presented: Mapping[str, Any]
    jwt: JwtParts | None
    ctx: VerifyContext
    email: str | None
    method: Method | None = None
    #: the Assertion as its issuer publishes it (the hosted copy, or the signed payload)
    assertion: Mapping[str, Any] = field(default_factory=dict)
    hosted: Hosted | None = None
    signed: SignedBy | None = None
    chain: Chain | None = None
    chain_error: str | None = None

    def load_chain(self) -> Chain | None:
        if self.chain is None and self.chain_error is None:
            try:
                self.chain = load_chain(self.assertion, self.ctx.documents)
            except BadgeIssuerError as exc:
                self.chain_error = exc.message
        return self.chain


def verify_ob2(
    assertion: Mapping[str, Any], *, jwt: JwtParts | None, ctx: VerifyContext, recipient: str | None = None
) -> Ob2Verdict:
    """All checks on one presented Assertion (``jwt``: the JWS it came in, for a signed badge)."""
    run = _Run(assertion, jwt, ctx, recipient, assertion=assertion)
    results: list[CheckResult] = []
    steps = (_format, _proof, _issuer_key, _validity, _status, _recipient)
    stop: str | None = None
    for check_id, step in zip(ORDER, steps, strict=True):
        if stop is not None:
            results.append(CheckResult(check_id, SKIPPED, stop))
            continue
        try:
            result = step(run)
        except BadgeIssuerError as exc:
            result = CheckResult(check_id, FAILED, exc.message)
        results.append(result)
        if run.hosted is not None and run.hosted.revoked and check_id == "proof":
            results.append(_revoked(run.hosted))
            stop = "not run because the issuer revoked this assertion"
            results.extend(CheckResult(c, SKIPPED, stop) for c in ORDER[2:] if c != "status")
            break
        if result.status == FAILED and check_id in ("format", "proof"):
            stop = f"not run because the {check_id} check failed"
    results.sort(key=lambda r: ORDER.index(r.id))
    verified = all(r.status not in (FAILED, INDETERMINATE) for r in results) and all(
        r.status == PASSED for r in results if r.id in REQUIRED
    )
    summary = summarize_ob2(run.assertion or assertion, run.chain, run.method)
    return Ob2Verdict(verified, summary, tuple(results))


def _format(run: _Run) -> CheckResult:
    presented = run.presented
    run.method = method_of(presented)
    detail = {"format": FORMAT, "verification": run.method, "envelope": "jws" if run.jwt else "json"}
    if verification_of(presented) is None:
        return CheckResult("format", FAILED, f"an {FORMAT} assertion without a verification object", detail)
    if run.method is None:
        return CheckResult(
            "format",
            FAILED,
            f"an {FORMAT} assertion whose verification type is neither hosted nor signed",
            detail,
        )
    if run.jwt is not None and run.method != "signed":
        return CheckResult(
            "format", FAILED, "a JWS-wrapped assertion must declare SignedBadge verification", detail
        )
    absent = missing(presented, ASSERTION_REQUIRED)
    if absent and presented.get("revoked") is not True:
        return CheckResult(
            "format", FAILED, f"the assertion lacks required properties: {', '.join(absent)}", detail
        )
    return CheckResult("format", PASSED, f"an {FORMAT} {run.method} assertion", detail)


def _proof(run: _Run) -> CheckResult:
    if run.method == "hosted":
        return _hosted_proof(run)
    if run.jwt is None:
        return CheckResult(
            "proof", FAILED, "a SignedBadge assertion is verified from its JWS; only its JSON was given"
        )
    chain = run.load_chain()  # also needed by issuer_key; None (with chain_error) if it failed
    try:
        run.signed = verify_signed(run.jwt, candidate_keys(run.assertion, chain), run.ctx.documents, chain)
    except SignatureInvalid as exc:
        return CheckResult("proof", FAILED, exc.message)
    except ChainError as exc:
        return CheckResult("proof", FAILED, run.chain_error or exc.message)
    detail = {"type": "SignedBadge", "alg": run.signed.alg, "key": run.signed.key_id}
    return CheckResult(
        "proof",
        PASSED,
        f"the JWS signature ({run.signed.alg}) verifies with {short(run.signed.key_id)}",
        detail,
    )


def _hosted_proof(run: _Run) -> CheckResult:
    assertion_id = run.presented.get("id")
    url = http_url(assertion_id)
    if url is None:
        return CheckResult(
            "proof", FAILED, f"a hosted assertion needs an HTTP(S) id, not {short(assertion_id)}"
        )
    run.hosted = fetch_hosted(run.ctx.documents, url)
    detail = {"type": "HostedBadge", "url": url}
    if run.hosted.assertion is not None:
        run.assertion = run.hosted.assertion
    if run.hosted.revoked:
        return CheckResult("proof", PASSED, f"the issuer's server answers for {short(url)}", detail)
    differ = differing_keys(run.presented, run.assertion)
    if differ:
        return CheckResult(
            "proof",
            FAILED,
            f"the presented assertion differs from the copy hosted at its id (in: {', '.join(differ)})",
            detail,
        )
    if method_of(run.assertion) != "hosted":
        return CheckResult(
            "proof", FAILED, "the hosted copy does not declare HostedBadge verification", detail
        )
    absent = missing(run.assertion, ASSERTION_REQUIRED)
    if absent:
        return CheckResult(
            "proof", FAILED, f"the hosted copy lacks required properties: {', '.join(absent)}", detail
        )
    return CheckResult("proof", PASSED, f"the assertion is hosted at its id {short(url)} and matches", detail)


def _revoked(hosted: Hosted) -> CheckResult:
    reason = f": {short(hosted.reason, 200)}" if hosted.reason else ""
    return CheckResult("status", FAILED, f"revoked by the issuer{reason}", {"url": hosted.url})


def _issuer_key(run: _Run) -> CheckResult:
    chain = run.load_chain()
    if chain is None:
        return CheckResult("issuer_key", FAILED, run.chain_error or "the issuer could not be established")
    detail = {"issuer": chain.issuer_id, "badgeClass": chain.badge.get("id")}
    if run.method == "hosted":
        problem = scope_problem(str(run.assertion.get("id")), chain)
        served_from = run.hosted.served_from if run.hosted is not None else None
        if problem is None and served_from is not None and served_from != run.assertion.get("id"):
            redirected = scope_problem(served_from, chain)
            problem = (
                f"the assertion id redirects to {short(served_from)}: {redirected}" if redirected else None
            )
        if problem:
            return CheckResult("issuer_key", FAILED, problem, detail)
        return CheckResult(
            "issuer_key",
            PASSED,
            f"hosted within the verification scope of the issuer {short(chain.issuer_id)}",
            detail,
        )
    assert run.signed is not None
    problem = key_link_problem(run.signed, chain)
    if problem:
        return CheckResult("issuer_key", FAILED, problem, detail)
    detail["key"] = run.signed.key_id
    return CheckResult(
        "issuer_key",
        PASSED,
        f"the key is the issuer's: {short(chain.issuer_id)} lists it and it names its owner",
        detail,
    )


def _validity(run: _Run) -> CheckResult:
    now, skew = run.ctx.clock(), run.ctx.clock_skew
    issued_value, expires_value = run.assertion.get("issuedOn"), run.assertion.get("expires")
    issued = parse_ob_datetime(issued_value)
    detail: dict[str, Any] = {"now": isoformat_z(now), "issuedOn": issued_value, "expires": expires_value}
    if issued is None:
        return CheckResult(
            "validity",
            FAILED,
            f"issuedOn {short(issued_value, 60)} is not an ISO 8601 date-time with a time zone",
            detail,
        )
    if issued > now + skew:
        return CheckResult("validity", FAILED, f"issued in the future ({isoformat_z(issued)})", detail)
    if expires_value is None:
        return CheckResult("validity", PASSED, f"issued on {isoformat_z(issued)}, with no expiry", detail)
    expires = parse_ob_datetime(expires_value)
    if expires is None:
        return CheckResult(
            "validity", FAILED, f"expires {short(expires_value, 60)} is not an ISO 8601 date-time", detail
        )
    if expires < now - skew:
        return CheckResult(
            "validity", FAILED, f"expired on {expires.date().isoformat()} ({isoformat_z(expires)})", detail
        )
    return CheckResult(
        "validity", PASSED, f"issued on {isoformat_z(issued)}, valid until {isoformat_z(expires)}", detail
    )


def _status(run: _Run) -> CheckResult:
    if run.assertion.get("revoked") is True:
        return CheckResult("status", FAILED, "the assertion says it is revoked")
    chain = run.load_chain()
    url = chain.issuer.get("revocationList") if chain is not None else None
    if url is None:
        how = (
            "the hosted copy is not revoked"
            if run.method == "hosted"
            else "the assertion says nothing of revocation"
        )
        return CheckResult(
            "status", PASSED, f"not revoked: {how}, and the issuer publishes no revocation list"
        )
    if http_url(url) is None:
        return CheckResult(
            "status", FAILED, f"the issuer's revocationList {short(url)} is not an HTTP(S) URL"
        )
    if not run.ctx.options.check_status:
        return CheckResult(
            "status",
            SKIPPED,
            "not checked (offline mode was requested): whether it is revoked is unknown",
            {"mode": "offline", "revocationList": url},
        )
    try:
        revocations = revocation_list(run.ctx.documents, url)
    except ChainError as exc:
        # fail closed: a revocation list that cannot be read is "could not be checked", not a pass
        return CheckResult(
            "status",
            INDETERMINATE,
            f"could not check whether it is revoked: {exc.message}",
            {"revocationList": url, "reason": exc.message},
        )
    assert chain is not None
    if revocations.get("issuer") not in (None, chain.issuer_id):
        return CheckResult(
            "status", FAILED, "the revocation list belongs to another issuer", {"revocationList": url}
        )
    entry = revoked_entry(revocations, run.assertion)
    if entry is not None:
        reason = entry.get("revocationReason")
        why = f": {short(reason, 200)}" if isinstance(reason, str) else ""
        return CheckResult(
            "status", FAILED, f"revoked: the issuer's revocation list names it{why}", {"revocationList": url}
        )
    return CheckResult(
        "status",
        PASSED,
        "not revoked: the issuer's revocation list does not name it",
        {"revocationList": url},
    )


def _recipient(run: _Run) -> CheckResult:
    return recipient_result(ob2_identities(run.assertion), run.email)
