"""``credentials:batch`` on a bulk job's batched path: ``issue_many`` answers a batch exactly as
``issuing.issue_batch`` does (an item's key is its own ``idempotencyKey``, else ``<batch key>:<index>``;
the same request hashes, replays and rejects), with the batch's database work done a statement per
step by ``bulk_issuing.issue_rows``. An item whose key a twin request still holds after a few
passes is answered "in progress", as ``issue_batch`` answers it after waiting for the twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from badge_issuer.application.bulk_issuing import ChunkSpec, RowIn, RowOut, Signing, issue_rows, sign_here
from badge_issuer.application.issuing import BatchOutcome
from badge_issuer.application.services import Services
from badge_issuer.errors import IdempotencyInProgress

#: passes over a batch's rows whose keys a twin holds, before they are answered "in progress"
PASSES = 3


def issue_many(
    services: Services,
    *,
    issuer: str,
    achievement: str,
    items: Sequence[dict[str, Any]],
    client_id: int | None,
    idempotency_key: str | None = None,
    scope: str,
    signing: Signing = sign_here,
) -> list[BatchOutcome]:
    """``issuing.issue_batch`` on the batched path (the same outcomes, item keys and request
    hashes): what ``credentials:batch`` can call instead, one transaction per step for the batch."""
    rows = []
    for index, raw in enumerate(items):
        own = raw.get("idempotencyKey") if isinstance(raw, dict) else None
        key = own if isinstance(own, str) else (f"{idempotency_key}:{index}" if idempotency_key else None)
        rows.append(RowIn(index, index, raw if isinstance(raw, dict) else {}, key))
    spec = ChunkSpec(issuer, achievement, client_id, scope)
    done: dict[int, RowOut] = {}
    waiting = rows
    for _ in range(PASSES):
        outcomes = issue_rows(services, spec, waiting, signing=signing)
        done |= {outcome.ref: outcome for outcome in outcomes if outcome.state != "pending"}
        waiting = [row for row, outcome in zip(waiting, outcomes, strict=True) if outcome.state == "pending"]
        if not waiting or len(waiting) == len(outcomes):
            break
    busy = IdempotencyInProgress(
        "a request with this Idempotency-Key is still being processed; retry it shortly",
        retry_after=1,
        pointer="Idempotency-Key",
    )
    return [
        BatchOutcome(row.ref, issued=done[row.ref].issued, error=done[row.ref].error)
        if row.ref in done
        else BatchOutcome(row.ref, error=busy)
        for row in rows
    ]
