"""Bulk issuance jobs: submit (202), follow, download per-row results, cancel, retry rejected rows.

A job is stored with all its rows in one transaction. On PostgreSQL that transaction also defers
the job's chunks to procrastinate's workers (``job_queue``); on SQLite ``JobRunner``
(application/job_runner.py) awards the pending rows. Both run ``job_chunks.run_chunk``. Each row
carries its own Idempotency-Key and is issued exactly as ``issue_batch`` issues an item (same
request hash), so a row retried by a resumed runner, or sent again alone, replays its award
instead of making a second one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer.application.issuing import parse_item
from badge_issuer.application.job_chunks import problem_of
from badge_issuer.application.job_queue import QUEUE, TASK, chunks, uses_queue
from badge_issuer.application.services import Services
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.jobs import OPEN, JobRepository
from badge_issuer.db.tables import IssuanceJob
from badge_issuer.errors import BadgeIssuerError, Issue, StateConflict, ValidationFailed
from badge_issuer.observability.logs import actor, audit

#: rows one job may hold (a semester is several jobs, or one large file under BADGE_MAX_BODY_BYTES)
MAX_ROWS = 100_000


@dataclass(frozen=True)
class JobView:
    id: str
    issuer: str
    status: str
    total: int
    counts: dict[str, int]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RowResult:
    row: int
    idempotency_key: str
    state: str  # pending | created | replayed | rejected
    credential_id: str | None
    problem: dict[str, Any] | None


def submit_job(
    services: Services,
    *,
    issuer: str,
    achievement: str,
    rows: Sequence[tuple[int, Any]],
    client_id: int | None,
    scope: str,
) -> JobView:
    """Store a job of ``rows`` ((line, item), each item with its ``idempotencyKey``); rows that do
    not validate are stored as rejected, a row without a key refuses the whole job (422)."""
    items = rows
    if not items:
        raise ValidationFailed("the job has no rows", [Issue("/", "send at least one row")])
    if len(items) > MAX_ROWS:
        raise ValidationFailed(
            f"a job holds at most {MAX_ROWS:,} rows", [Issue("/", f"{len(items):,} rows; split the file")]
        )
    stored: list[dict[str, Any]] = []
    for number, raw in items:
        key = raw.get("idempotencyKey") if isinstance(raw, dict) else None
        if not isinstance(key, str) or not key or len(key) > 255:
            raise ValidationFailed(
                f"row {number} has no idempotencyKey (1–255 characters); every row needs its own",
                [Issue(f"/{number}/idempotencyKey", "required: a string of 1–255 characters")],
            )
        state, problem = "pending", None
        try:
            parse_item(raw, number)
        except BadgeIssuerError as exc:
            state, problem = "rejected", json.dumps(problem_of(exc), ensure_ascii=False)
        stored.append(
            {
                "row_number": number,
                "idempotency_key": key,
                "item_json": json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
                "state": state,
                "credential_id": None,
                "problem_json": problem,
            }
        )
    now = services.clock()
    job_id = str(uuid.uuid4())
    with services.sessions() as session, session.begin():
        issuer_row = IssuerRepository(session).by_slug(issuer)
        achievement_row = AchievementRepository(session).get(issuer_row.id, achievement)
        job = IssuanceJob(
            id=job_id,
            issuer_id=issuer_row.id,
            achievement_id=achievement_row.id,
            client_id=client_id,
            scope=scope,
            status="queued",
            total=len(stored),
            created_at=now,
            updated_at=now,
        )
        jobs = JobRepository(session)
        jobs.add(job, stored)
        _enqueue(services, jobs, job_id, [row["row_number"] for row in stored if row["state"] == "pending"])
    audit("job.submitted", actor=actor(client_id), issuer=issuer, job=job_id, rows=len(stored))
    return get_job(services, issuer, job_id)


def _enqueue(services: Services, jobs: JobRepository, job_id: str, numbers: list[int]) -> None:
    """On the queue, the pending rows' chunks are deferred in the caller's transaction."""
    if uses_queue(services.settings):
        jobs.defer_chunks(TASK, QUEUE, chunks(job_id, numbers, services.settings.job_chunk_rows))


def get_job(services: Services, issuer: str, job_id: str) -> JobView:
    with services.readers() as session:
        issuer_row = IssuerRepository(session).by_slug(issuer)
        jobs = JobRepository(session)
        job = jobs.get(job_id, issuer_id=issuer_row.id)
        counts = {"pending": 0, "created": 0, "replayed": 0, "rejected": 0} | jobs.counts(job_id)
        return JobView(job.id, issuer, job.status, job.total, counts, job.created_at, job.updated_at)


def job_results(services: Services, issuer: str, job_id: str, *, after: int, limit: int) -> list[RowResult]:
    """Rows ``after``+1… in order (``limit`` at most): each row's state, credential and problem."""
    with services.readers() as session:
        issuer_row = IssuerRepository(session).by_slug(issuer)
        jobs = JobRepository(session)
        jobs.get(job_id, issuer_id=issuer_row.id)
        return [
            RowResult(
                row.row_number,
                row.idempotency_key,
                row.state,
                row.credential_id,
                json.loads(row.problem_json) if row.problem_json else None,
            )
            for row in jobs.rows(job_id, after=after, limit=limit)
        ]


def cancel_job(services: Services, issuer: str, job_id: str, *, client_id: int | None) -> JobView:
    """Stop a job: rows not yet awarded stay pending and are not awarded (each running chunk sees
    the cancel between two batches, so up to a batch of rows per running chunk may still land;
    its chunks still queued end at once)."""
    with services.sessions() as session, session.begin():
        issuer_row = IssuerRepository(session).by_slug(issuer)
        job = JobRepository(session).get(job_id, issuer_id=issuer_row.id)
        if job.status in OPEN:
            job.status, job.lease_until, job.updated_at = "cancelled", None, services.clock()
    audit("job.cancelled", actor=actor(client_id), issuer=issuer, job=job_id)
    return get_job(services, issuer, job_id)


def retry_job(services: Services, issuer: str, job_id: str, *, client_id: int | None) -> JobView:
    """Put the rejected rows back in the queue (after the cause was fixed, e.g. a suspended key)."""
    with services.sessions() as session, session.begin():
        issuer_row = IssuerRepository(session).by_slug(issuer)
        jobs = JobRepository(session)
        job = jobs.get(job_id, issuer_id=issuer_row.id)
        if job.status == "cancelled":
            raise StateConflict("a cancelled job is not retried; submit its rows again as a new job")
        numbers = jobs.rejected_numbers(job_id)
        if jobs.retry_rejected(job_id) and job.status == "done":
            job.status, job.runner, job.updated_at = "queued", None, services.clock()
        _enqueue(services, jobs, job_id, numbers)
    audit("job.retried", actor=actor(client_id), issuer=issuer, job=job_id)
    return get_job(services, issuer, job_id)
