"""The verification spine: unwrap what was presented → run ``CHECKS`` in order → a report.

The REST routes, the CLI and (later) the VC-API route and the HTML page all call ``verify_badge``.
A presentation (VP) yields one report whose own checks are ``format``, ``presentation_proof`` and
``holder`` (``checks/presentation.py``), whose ``credentials`` holds a report per credential, and
whose ``verified`` is true only when every credential verified and no presentation check failed
or was indeterminate; any other input yields a report for its one credential (a CLR 2.0
ClrCredential's report holds one for each credential it carries). A credential's
``verified`` is true only when ``format``, ``context``, ``proof`` and ``issuer_key`` passed and no
check failed or was indeterminate (an unreachable status list is indeterminate: fail closed);
warnings do not fail it, and of the required checks only ``context`` may be a warning (it then
names the unpinned contexts it fetched). Each credential is verified in its own remote-context
scope (``net/contexts.py``). Open Badges 2.0 assertions take a branch to ``ob2`` (same report
shape, no ``context``/``schema``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from badge_issuer.budget import checkpoint, cpu_budget, exhausted
from badge_issuer.checks import (
    CHECKS,
    FAILED,
    INDETERMINATE,
    PASSED,
    REQUIRED,
    SKIPPED,
    WARNING,
    FetchStatusSource,
)
from badge_issuer.checks.base import (
    Check,
    CheckResult,
    CredentialSchemas,
    Envelope,
    StatusSource,
    Subject,
    VerifyContext,
)
from badge_issuer.checks.presentation import holder_of, not_a_presentation, presentation_checks
from badge_issuer.checks.recipient import ob3_identities, recipient_result
from badge_issuer.checks.summary import summarize
from badge_issuer.clock import Clock
from badge_issuer.config import Settings
from badge_issuer.credential.schema import SchemaValidator, default_schemas_dir
from badge_issuer.crypto.resolver import ControllerSource, OnceResolver, SourceResolver, WebControllers
from badge_issuer.crypto.suites import CanonOptions
from badge_issuer.errors import (
    BadgeIssuerError,
    HttpStatusError,
    PayloadTooLarge,
    ResolutionError,
    TooComplex,
)
from badge_issuer.formats.sniff import Presented, PresentedCredential, unwrap
from badge_issuer.jsonld.bounds import JsonLdBounds
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.jsonld.processor import shared_walks
from badge_issuer.net.contexts import RemoteContextPolicy, RemoteContexts, context_scope
from badge_issuer.net.fetch import Fetched, Fetcher
from badge_issuer.ob2 import is_ob2_assertion, verify_ob2

log = logging.getLogger(__name__)
_TOO_COMPLEX = "too complex: verification ran out of its CPU budget before this check completed"
CREDENTIAL_ACCEPT = "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on one credential (or, with ``credentials``, on a presentation)."""

    verified: bool
    summary: Mapping[str, Any]
    checks: tuple[CheckResult, ...]
    credentials: tuple[VerificationReport, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verified": self.verified,
            "summary": dict(self.summary),
            "checks": [result.to_json() for result in self.checks],
        }
        if self.credentials:
            body["credentials"] = [report.to_json() for report in self.credentials]
        return body


def verify_badge(
    presented: bytes | str | Mapping[str, Any],
    *,
    content_type: str | None = None,
    ctx: VerifyContext,
    recipient: str | None = None,
    source: str | None = None,
    unwrapped: Presented | None = None,
) -> VerificationReport:
    """Verify whatever was presented: JSON, VP, VC-JWT, baked PNG/SVG, or ``{"url": …}``.

    Open Badges 2.0 assertions (hosted or signed) are verified by ``ob2``. With ``recipient`` (an
    email address) each report gains a ``recipient`` check. Anything that is not a credential gives
    a report whose ``format`` check failed; input over a size, depth or count bound raises
    PayloadTooLarge (the request is refused, not judged). ``source`` says that the bytes were
    fetched from that URL (``fetch_credential``): they are then judged, never refused.
    ``unwrapped`` is what ``formats.sniff.unwrap`` already made of these very bytes under a size
    bound no larger than ``ctx.max_presented_bytes`` (the light lane's weighing): it is used
    instead of parsing them again.
    """
    with cpu_budget(ctx.cpu_budget):  # each verification gets its own (see budget.py)
        if isinstance(presented, Mapping) and set(presented) == {"url"}:
            return _verify_url(presented["url"], ctx, recipient)
        if isinstance(presented, Mapping):
            presented = json.dumps(presented, ensure_ascii=False)
        data = presented.encode("utf-8") if isinstance(presented, str) else presented
        try:
            return _verify_unwrapped(
                data, content_type, ctx, source=source, recipient=recipient, unwrapped=unwrapped
            )
        except PayloadTooLarge as exc:
            if source is None:
                raise
            return unusable(exc.message)
        except BadgeIssuerError as exc:
            return unusable(exc.message)


def fetch_credential(url: Any, ctx: VerifyContext) -> Fetched | VerificationReport:
    """The credential at ``url``, fetched through the guarded fetcher; or the report saying why not."""
    if not isinstance(url, str):
        return unusable("url must be a string")
    try:
        return ctx.documents.get(url, accept=CREDENTIAL_ACCEPT)
    except HttpStatusError as exc:
        gone = (
            " (410 Gone: the issuer withdrew it; a hosted OB 2.0 badge is revoked)"
            if exc.status == 410
            else ""
        )
        return unusable(f"the credential could not be fetched: {exc.message}{gone}")
    except BadgeIssuerError as exc:
        return unusable(f"the credential could not be fetched: {exc.message}")


def _verify_url(url: Any, ctx: VerifyContext, recipient: str | None) -> VerificationReport:
    """Fetch the credential from ``url`` (guarded), then verify it like a presented body."""
    fetched = fetch_credential(url, ctx)
    if isinstance(fetched, VerificationReport):
        return fetched
    try:
        return _verify_unwrapped(fetched.body, fetched.content_type, ctx, source=url, recipient=recipient)
    except BadgeIssuerError as exc:
        return unusable(exc.message)


def _verify_unwrapped(
    data: bytes,
    content_type: str | None,
    ctx: VerifyContext,
    *,
    source: str | None,
    recipient: str | None,
    unwrapped: Presented | None = None,
) -> VerificationReport:
    presented = (
        unwrapped if unwrapped is not None else unwrap(data, content_type, max_bytes=ctx.max_presented_bytes)
    )
    if presented.url is not None:  # an image baked with the URL of an OB 2.0 hosted assertion
        if source is not None:
            return unusable("a fetched image may not point at yet another URL")
        return _verify_url(presented.url, ctx, recipient)
    reports = tuple(
        _verify_item(item, presented.kind, source, ctx, recipient) for item in presented.credentials
    )
    if presented.kind != "presentation" or presented.presentation is None:
        demanded = not_a_presentation(ctx)
        if demanded is None:
            return reports[0]
        return replace(reports[0], verified=False, checks=(*reports[0].checks, demanded))
    return _presentation_report(presented, reports, ctx)


def _presentation_report(
    presented: Presented, reports: tuple[VerificationReport, ...], ctx: VerifyContext
) -> VerificationReport:
    """The presentation's own checks (format, presentation_proof, holder) and a report per credential."""
    presentation = presented.presentation or {}
    good = sum(report.verified for report in reports)
    form = "a VP-JWT" if presented.presentation_jwt is not None else "a VerifiablePresentation"
    message = f"{form} holding {len(reports)} credential(s); {good} verified"
    documents = [item.document for item in presented.credentials]
    checks = (
        CheckResult("format", PASSED, message),
        *presentation_checks(presentation, documents, ctx, presented.presentation_jwt),
    )
    verified = all(r.status not in (FAILED, INDETERMINATE) for r in checks) and good == len(reports)
    holder = holder_of(presentation)
    summary = {
        "presentation": presentation.get("id"),
        "holder": holder if isinstance(holder, str) else None,
        "credentials": len(reports),
        "verifiedCredentials": good,
    }
    return VerificationReport(verified, summary, checks, reports)


def _verify_item(
    item: PresentedCredential, kind: str, source: str | None, ctx: VerifyContext, recipient: str | None
) -> VerificationReport:
    """One presented credential: OB 2.0 assertions go to ``ob2``, the rest through ``CHECKS``."""
    document = item.jwt.payload if item.jwt is not None else item.document
    if is_ob2_assertion(document):
        verdict = verify_ob2(document, jwt=item.jwt, ctx=ctx, recipient=recipient)
        return VerificationReport(verdict.verified, verdict.summary, verdict.checks)
    report = verify_credential(
        item.document, Envelope(kind if item.jwt is None else "jwt", item.jwt, source), ctx
    )
    if recipient is None:
        return report
    result = recipient_result(ob3_identities(item.document), recipient)
    return replace(
        report, verified=report.verified and result.status != FAILED, checks=(*report.checks, result)
    )


def verify_credential(
    credential: Mapping[str, Any], envelope: Envelope, ctx: VerifyContext, *, depth: int = 0
) -> VerificationReport:
    """Run every check on one credential (also for endorsements and a CLR's credentials, ``depth`` > 0).

    The reports of the credentials a ClrCredential carries become the report's ``credentials``.
    """
    if ctx.verify_nested is None:
        ctx = replace(ctx, verify_nested=verify_credential)
    if not isinstance(ctx.resolver, OnceResolver):  # this verification's (nested ones share it)
        ctx = ctx.with_resolver(OnceResolver(ctx.resolver))
    subject = Subject(credential, envelope, depth)
    results: list[CheckResult] = []
    stopped_by: str | None = None
    with context_scope(), shared_walks():  # the context and proof checks walk the document once
        for check in CHECKS:
            if stopped_by is not None:
                results.append(
                    CheckResult(check.id, SKIPPED, f"not run because the {stopped_by} check failed")
                )
                continue
            result = _too_complex_if_exhausted(_run(check, subject, ctx))
            results.append(result)
            if result.status == FAILED and (check.fatal or exhausted()):
                stopped_by = check.id
    verified = all(r.status not in (FAILED, INDETERMINATE) for r in results) and all(
        r.status == PASSED or (r.id == "context" and r.status == WARNING) for r in results if r.id in REQUIRED
    )
    return VerificationReport(verified, summarize(credential), tuple(results), tuple(subject.nested))


def _too_complex_if_exhausted(result: CheckResult) -> CheckResult:
    """A check that ended with the budget spent did not complete: it failed as too complex (a check
    that caught the budget's TooComplex itself, e.g. for one proof of several, keeps its message)."""
    if not exhausted():
        return result
    if result.status != FAILED:
        return CheckResult(result.id, FAILED, _TOO_COMPLEX, {"reason": "too-complex"})
    detail = result.detail if isinstance(result.detail, Mapping) else {}
    if detail.get("reason") == "too-complex":
        return result
    return replace(result, detail={**detail, "reason": "too-complex"})


def _run(check: Check, subject: Subject, ctx: VerifyContext) -> CheckResult:
    """One check; an error it did not expect still becomes a failed result, never a crash."""
    try:
        checkpoint(f"before the {check.id} check")
        return check(subject, ctx)
    except TooComplex as exc:
        return CheckResult(check.id, FAILED, exc.message, {"reason": "too-complex"})
    except BadgeIssuerError as exc:
        return CheckResult(check.id, FAILED, exc.message)
    except Exception:
        log.exception("check %s raised on a presented credential", check.id)
        return CheckResult(check.id, FAILED, f"the {check.id} check could not process this credential")


def unusable(message: str) -> VerificationReport:
    """The report for input that is not a credential at all."""
    checks = [CheckResult("format", FAILED, message)]
    checks += [CheckResult(c.id, SKIPPED, "not run because the format check failed") for c in CHECKS[1:]]
    return VerificationReport(False, {}, tuple(checks))


class LocalFirst:
    """A ControllerSource that asks ``local`` (our own issuers, no HTTP) before ``remote``."""

    def __init__(self, local: ControllerSource, remote: ControllerSource) -> None:
        self._local, self._remote = local, remote

    def controller_document(self, url: str) -> Mapping[str, Any]:
        try:
            return self._local.controller_document(url)
        except ResolutionError:
            return self._remote.controller_document(url)


def build_context(
    settings: Settings,
    *,
    loader: DocumentLoader,
    clock: Clock,
    fetcher: Fetcher | None = None,
    local: ControllerSource | None = None,
    status: StatusSource | None = None,
    schemas: CredentialSchemas | None = None,
) -> VerifyContext:
    """The VerifyContext of an application (or the CLI), from settings and optional local sources.

    With ``remote_contexts`` on, the verifier gets its own loader over the same pinned contexts that
    also serves vetted remote ones; ``loader`` itself (issuance's) is left as it is and never fetches.
    """
    fetcher = fetcher or Fetcher.from_settings(settings)
    if settings.remote_contexts:
        loader = loader.with_remote(
            RemoteContexts(fetcher, RemoteContextPolicy.from_settings(settings), loader)
        )
    web: ControllerSource = WebControllers(fetcher)
    source = LocalFirst(local, web) if local is not None else web
    return VerifyContext(
        canon=CanonOptions(
            loader=loader,
            work_factor=settings.canon_work_factor,
            bounds=JsonLdBounds.from_settings(settings),
        ),
        schemas=schemas or SchemaValidator(settings.schemas_dir or default_schemas_dir()),
        resolver=SourceResolver(source),
        documents=fetcher,
        status=status or FetchStatusSource(fetcher),
        clock=clock,
        clock_skew=timedelta(seconds=settings.clock_skew_seconds),
        verify_nested=verify_credential,
        cpu_budget=settings.verify_cpu_budget_seconds or None,
        max_presented_bytes=settings.max_body_bytes,
    )
