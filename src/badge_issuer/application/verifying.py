"""Verifying presented badges, one or a batch, within a budget of outbound fetches and of CPU.

The REST routes, the CLI and the VC-API routes call these; the verifier itself is the spine
``verification.verify_badge``. Each verification is first weighed (``workload.py``): a light one
runs here, a heavy one in a worker process of the pool (``verify_pool.py``) when the pool is
running — the same spine there, on the worker's own Services, so the report is the same.
``client`` names the caller for the pool's per-client fairness (None: a caller that cannot be told
apart from others, held to the pool's bound only). A ``{"url": …}`` is fetched here first (waiting
on the network takes no CPU), then weighed by what was fetched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import replace
from typing import Any

from badge_issuer.application.services import Services
from badge_issuer.budget import batch_budget, batch_exhausted
from badge_issuer.checks import FAILED, CheckResult, VerifyContext, VerifyOptions
from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.bounded_json import loads_bounded
from badge_issuer.formats.sniff import Presented
from badge_issuer.net.fetch import fetch_budget
from badge_issuer.verification import (
    VerificationReport,
    fetch_credential,
    unusable,
    verify_badge,
)
from badge_issuer.workload import LightLimits, weigh_batch, weigh_presented

MAX_BATCH = 100
MAX_BATCH_URLS = 20
BATCH_WORKERS = 8
#: uncached outbound fetches one verification request may make (keys, DIDs, lists, URLs)
MAX_FETCHES = 40
MAX_BATCH_FETCHES = 200


def _context(services: Services, options: VerifyOptions | None) -> VerifyContext:
    ctx = services.verify_context
    return ctx if options is None else replace(ctx, options=options)


def _limits(services: Services) -> LightLimits:
    return LightLimits.from_settings(services.settings)


def verify_presented(
    services: Services,
    data: bytes,
    *,
    content_type: str | None = None,
    url: str | None = None,
    recipient: str | None = None,
    options: VerifyOptions | None = None,
    client: str | None = None,
) -> VerificationReport:
    """Verify presented bytes (JSON, VP, VC-JWT, baked PNG/SVG), or the credential at ``url``;
    with ``recipient`` (an email address), also whether the badge was awarded to it.

    Busy or RateLimited when the verification is heavy and the pool cannot take it now."""
    source, fetches = None, MAX_FETCHES
    if url is not None:
        with fetch_budget(MAX_FETCHES) as budget:
            fetched = fetch_credential(url, _context(services, options))
        if isinstance(fetched, VerificationReport):
            _count(services, fetched)
            return fetched
        data, content_type, source, fetches = fetched.body, fetched.content_type, url, budget.left
    args = (data, content_type, source, recipient, options, fetches)
    pool = services.verify_pool
    weight = weigh_presented(data, content_type, _limits(services)) if pool.running else None
    if weight is not None and weight.heavy:
        report = pool.run(client, _verify_here, *args)
    else:  # what the weighing unwrapped is verified as it is, not parsed a second time
        report = _verify_here(services, *args, unwrapped=weight.presented if weight else None)
    _count(services, report)
    return report


def _verify_here(
    services: Services,
    data: bytes,
    content_type: str | None,
    source: str | None,
    recipient: str | None,
    options: VerifyOptions | None,
    fetches: int,
    unwrapped: Presented | None = None,
) -> VerificationReport:
    """One verification in this process (the serving process, or a worker of the pool), making at
    most ``fetches`` uncached fetches; ``unwrapped``: ``data`` as the light lane's weighing
    unwrapped it (used only when its size bound is within the verifier's)."""
    ctx = _context(services, options)
    if _limits(services).max_bytes > ctx.max_presented_bytes:
        unwrapped = None  # weighed under a looser bound than the verifier's own: unwrap again
    with fetch_budget(fetches):
        return verify_badge(
            data, content_type=content_type, ctx=ctx, recipient=recipient, source=source, unwrapped=unwrapped
        )


def _count(services: Services, report: VerificationReport) -> None:
    """Verification metrics: the outcome, and which checks failed (or could not be completed)."""
    failed = [result.id for result in report.checks if result.status in ("failed", "indeterminate")]
    services.metrics.verified(report.verified, failed)


def _item(item: Any, ctx: VerifyContext) -> VerificationReport:
    exhausted = batch_exhausted()
    if exhausted is not None:
        return _not_verified(exhausted)
    try:
        if isinstance(item, str):
            return verify_badge(item.encode("utf-8"), content_type="text/plain", ctx=ctx)
        if isinstance(item, Mapping):
            return verify_badge(item, ctx=ctx)
        return unusable('each batch item must be a credential object, a JWT string, or {"url": …}')
    except PayloadTooLarge as exc:
        return unusable(exc.message)


def _not_verified(message: str) -> VerificationReport:
    """The report of a batch item the batch's budget left no time for (fail closed)."""
    report = unusable(message)
    first = CheckResult("format", FAILED, message, {"reason": "too-complex"})
    return replace(report, checks=(first, *report.checks[1:]))


def batch_items(data: bytes) -> list[Any]:
    """The items of a batch request ``{"items": [...]}``; ParseError / PayloadTooLarge otherwise."""
    value = loads_bounded(data, what="the batch request")
    items = value.get("items") if isinstance(value, dict) else None
    if not isinstance(items, list) or not items:
        raise ParseError('a batch request is {"items": [...]} with at least one item', pointer="/items")
    _check_batch(items)
    return items


def _check_batch(items: Sequence[Any]) -> None:
    if not items:
        raise ParseError('a batch request is {"items": [...]} with at least one item', pointer="/items")
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(f"a batch holds at most {MAX_BATCH} items", pointer="/items")
    urls = sum(1 for item in items if isinstance(item, Mapping) and "url" in item)
    if urls > MAX_BATCH_URLS:
        raise PayloadTooLarge(f"a batch may fetch at most {MAX_BATCH_URLS} URLs", pointer="/items")


def verify_batch_request(
    services: Services, data: bytes, *, options: VerifyOptions | None = None, client: str | None = None
) -> list[VerificationReport]:
    """A batch request's body ``{"items": [...]}`` → one report per item, in order.

    A request over the light size is parsed and verified by a worker when the pool runs (its
    parsing is part of the heavy work); otherwise it is parsed here and weighed by its items."""
    pool = services.verify_pool
    if pool.running and len(data) > _limits(services).max_bytes:
        reports = pool.run(client, _batch_here, data, options)
    else:
        items = batch_items(data)
        if pool.running and weigh_batch(items, _limits(services)).heavy:
            reports = pool.run(client, _items_here, items, options)
        else:
            reports = _items_here(services, items, options)
    for report in reports:
        _count(services, report)
    return reports


def _batch_here(services: Services, data: bytes, options: VerifyOptions | None) -> list[VerificationReport]:
    return _items_here(services, batch_items(data), options)


def verify_batch(
    services: Services, items: Sequence[Any], *, options: VerifyOptions | None = None
) -> list[VerificationReport]:
    """One report per item (credential object, JWT string or ``{"url": …}``), in this process.

    At most ``MAX_BATCH`` items and ``MAX_BATCH_URLS`` URLs; the batch shares one fetch budget
    and one CPU budget (``BADGE_VERIFY_BATCH_CPU_BUDGET_SECONDS``)."""
    _check_batch(items)
    reports = _items_here(services, items, options)
    for report in reports:
        _count(services, report)
    return reports


def _items_here(
    services: Services, items: Sequence[Any], options: VerifyOptions | None
) -> list[VerificationReport]:
    ctx = _context(services, options)
    seconds = services.settings.verify_batch_cpu_budget_seconds or None
    with (
        fetch_budget(MAX_BATCH_FETCHES),
        batch_budget(seconds),
        ThreadPoolExecutor(max_workers=BATCH_WORKERS) as pool,
    ):
        # each item runs in a copy of this context, so the request's budgets go with it
        contexts = [copy_context() for _ in items]
        return list(
            pool.map(lambda pair: pair[0].run(_item, pair[1], ctx), zip(contexts, items, strict=True))
        )
