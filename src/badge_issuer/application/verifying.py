"""Verifying presented badges, one or a batch, within a budget of outbound fetches.

The REST routes, the CLI and (later) the VC-API route and the HTML page call these; the verifier
itself is the spine ``verification.verify_badge``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import replace
from typing import Any

from badge_issuer.application.services import Services
from badge_issuer.checks import VerifyContext, VerifyOptions
from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.net.fetch import fetch_budget
from badge_issuer.verification import VerificationReport, unusable, verify_badge

MAX_BATCH = 100
MAX_BATCH_URLS = 20
BATCH_WORKERS = 8
#: uncached outbound fetches one verification request may make (keys, DIDs, lists, URLs)
MAX_FETCHES = 40
MAX_BATCH_FETCHES = 200


def _context(services: Services, options: VerifyOptions | None) -> VerifyContext:
    ctx = services.verify_context
    return ctx if options is None else replace(ctx, options=options)


def verify_presented(
    services: Services,
    data: bytes,
    *,
    content_type: str | None = None,
    url: str | None = None,
    recipient: str | None = None,
    options: VerifyOptions | None = None,
) -> VerificationReport:
    """Verify presented bytes (JSON, VP, VC-JWT, baked PNG/SVG), or the credential at ``url``;
    with ``recipient`` (an email address), also whether the badge was awarded to it."""
    ctx = _context(services, options)
    with fetch_budget(MAX_FETCHES):
        if url is not None:
            report = verify_badge({"url": url}, ctx=ctx, recipient=recipient)
        else:
            report = verify_badge(data, content_type=content_type, ctx=ctx, recipient=recipient)
    _count(services, report)
    return report


def _count(services: Services, report: VerificationReport) -> None:
    """Verification metrics: the outcome, and which checks failed (or could not be completed)."""
    failed = [result.id for result in report.checks if result.status in ("failed", "indeterminate")]
    services.metrics.verified(report.verified, failed)


def _item(item: Any, ctx: VerifyContext) -> VerificationReport:
    try:
        if isinstance(item, str):
            return verify_badge(item.encode("utf-8"), content_type="text/plain", ctx=ctx)
        if isinstance(item, Mapping):
            return verify_badge(item, ctx=ctx)
        return unusable('each batch item must be a credential object, a JWT string, or {"url": …}')
    except PayloadTooLarge as exc:
        return unusable(exc.message)


def verify_batch(
    services: Services, items: Sequence[Any], *, options: VerifyOptions | None = None
) -> list[VerificationReport]:
    """One report per item (credential object, JWT string or ``{"url": …}``), in order.

    At most ``MAX_BATCH`` items and ``MAX_BATCH_URLS`` URLs; the batch shares one fetch budget.
    """
    if not items:
        raise ParseError('a batch request is {"items": [...]} with at least one item', pointer="/items")
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(f"a batch holds at most {MAX_BATCH} items", pointer="/items")
    urls = sum(1 for item in items if isinstance(item, Mapping) and "url" in item)
    if urls > MAX_BATCH_URLS:
        raise PayloadTooLarge(f"a batch may fetch at most {MAX_BATCH_URLS} URLs", pointer="/items")
    ctx = _context(services, options)
    with fetch_budget(MAX_BATCH_FETCHES), ThreadPoolExecutor(max_workers=BATCH_WORKERS) as pool:
        # each item runs in a copy of this context, so the request's fetch budget goes with it
        contexts = [copy_context() for _ in items]
        reports = list(
            pool.map(lambda pair: pair[0].run(_item, pair[1], ctx), zip(contexts, items, strict=True))
        )
    for report in reports:
        _count(services, report)
    return reports
