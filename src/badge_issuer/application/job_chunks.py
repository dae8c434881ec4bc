"""One chunk of a bulk job: the rows numbered ``first``..``last`` that are still pending, awarded in
batches by ``bulk_issuing`` (each batch begun, its awards made by a pool's processes while the
batch before is stored and the next is read, then ended). The same function runs a chunk wherever
it runs: in a procrastinate task on a worker (PostgreSQL: the job's chunks run in parallel on
every worker), or in the serving process's lease runner (SQLite).

The chunk's runner owns its rows (procrastinate hands a task to one worker at a time, and hands it
again only once that worker stopped sending heartbeats; the lease runner holds the whole job), so
it first releases the Idempotency-Key reservations a dead predecessor left on them. Each batch's
awards and its rows' outcomes are stored in one transaction: a runner killed at any moment loses
nothing (the rows not recorded are still pending) and duplicates nothing (a row awarded under its
key replays that award; a position taken for a row never stored stays burnt, never reused).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.application import stacking
from badge_issuer.application.bulk_issuing import (
    Begun,
    ChunkSpec,
    RowIn,
    RowOut,
    Signing,
    begin_rows,
    end_rows,
    in_background,
    sign_here,
)
from badge_issuer.application.services import Services
from badge_issuer.db.jobs import JobRepository, PendingRow
from badge_issuer.db.tables import Achievement, IssuanceJob, Issuer
from badge_issuer.errors import BadgeIssuerError, ValidationFailed

#: rows signed and stored together (a cancel is seen between two batches)
BATCH = 100
#: runs of a chunk before its rows still pending are given up (``give_up``): about half an hour
ATTEMPTS = 60
#: the code of a row rejected because its chunk kept failing (``give_up``)
NOT_AWARDED = "not-awarded"


@dataclass(frozen=True)
class ChunkResult:
    awarded: int  # rows created, replayed or rejected by this run
    left: int  # rows still pending (a twin request holds their keys): run it again later; 0 if stopped
    stopped: bool  # the job was cancelled, or its runner lost it


def problem_of(exc: BadgeIssuerError) -> dict[str, Any]:
    """What a rejected row keeps of its error (the HTTP layer adds nothing to it)."""
    problem: dict[str, Any] = {"code": exc.code, "detail": exc.message}
    if exc.pointer:
        problem["pointer"] = exc.pointer
    if isinstance(exc, ValidationFailed) and exc.issues:
        problem["errors"] = [{"pointer": issue.pointer, "detail": issue.message} for issue in exc.issues]
    return problem


def spec_of(services: Services, job_id: str) -> ChunkSpec | None:
    """What every row of the job shares; None for a job that does not exist (any more)."""
    with services.readers() as session:
        job = session.get(IssuanceJob, job_id)
        if job is None:
            return None
        issuer = session.get(Issuer, job.issuer_id)
        achievement = session.get(Achievement, job.achievement_id)
        assert issuer is not None and achievement is not None
        return ChunkSpec(issuer.slug, achievement.slug, job.client_id, job.scope)


def run_chunk(
    services: Services,
    job_id: str,
    first: int,
    last: int,
    *,
    signing: Signing = sign_here,
    keep_going: Callable[[], bool] | None = None,
    batch: int = BATCH,
) -> ChunkResult:
    """Award the chunk's pending rows; ``keep_going`` (default: the job is still running) is asked
    before each batch."""
    spec = spec_of(services, job_id)
    if spec is None:
        return ChunkResult(0, 0, stopped=True)
    with services.sessions() as session, session.begin():
        status = JobRepository(session).start(job_id, now=services.clock())
    still = keep_going or (lambda: job_running(services, job_id))
    if status != "running" or not still():
        return ChunkResult(0, 0, stopped=True)
    _release(services, spec, job_id, first, last)
    overlap = in_background(signing)
    awarded = 0
    while True:
        after, left, progress = first - 1, 0, 0
        # with a pool of processes, one batch is being made while the runner stores the one before
        # and reads and prepares the next, so its database work overlaps the signing. Nothing is
        # stored once the runner has seen that it should stop (cancelled, or its lease lost): a
        # batch begun before is dropped, its positions burnt and its keys left to the chunk's next
        # owner or to run out, as after a crash
        making: Begun | None = None
        while True:
            with services.readers() as session:
                rows = JobRepository(session).pending_between(job_id, after + 1, last, limit=batch)
            if not rows:
                break
            if not still():
                return ChunkResult(awarded + progress, 0, stopped=True)
            begun = begin_rows(services, spec, _inputs(rows), signing=signing)
            after = rows[-1].row_number
            if not overlap:  # made already: store it now
                progress, left = _end(services, spec, begun, progress, left)
                continue
            if making is not None:
                progress, left = _end(services, spec, making, progress, left)
            making = begun
        if making is not None:
            progress, left = _end(services, spec, making, progress, left)
        awarded += progress
        if left == 0 or progress == 0:  # done, or every row left waits for a twin in flight
            break
    with services.sessions() as session, session.begin():
        JobRepository(session).finish_if_complete(job_id, now=services.clock())
    return ChunkResult(awarded, left, stopped=False)


def _end(services: Services, spec: ChunkSpec, begun: Begun, progress: int, left: int) -> tuple[int, int]:
    """Store a begun batch (``end_rows``), advance the pathways its awards complete (as for an award
    made by the issue endpoints); the pass's progress and rows left, counted on."""
    outcomes = end_rows(services, spec, begun, on_store=_record)
    created = {outcome.ref for outcome in outcomes if outcome.state in ("created", "replayed")}
    stacking.advance_recipients(
        services,
        spec.issuer,
        spec.achievement,
        [row.item for row in begun.rows if row.ref in created],
        client_id=spec.client_id,
    )
    done = sum(1 for outcome in outcomes if outcome.state != "pending")
    return progress + done, left + len(outcomes) - done


def give_up(services: Services, job_id: str, first: int, last: int, *, attempts: int, cause: str) -> int:
    """The chunk's last attempt failed: its rows still pending are rejected with what stopped them
    (a retry of the job's rejected rows puts them back), so the job ends instead of waiting for
    ever. How many rows were rejected."""
    problem = {
        "code": NOT_AWARDED,
        "detail": f"not awarded after {attempts} attempts to run its part of the job: {cause}"[:1000],
    }
    with services.sessions() as session, session.begin():
        jobs = JobRepository(session)
        rejected = jobs.reject_pending_between(job_id, first, last, json.dumps(problem, ensure_ascii=False))
        jobs.finish_if_complete(job_id, now=services.clock())
    return rejected


def cause_of(exc: Exception) -> str:
    """What a row given up after ``exc`` says stopped it: a domain error's message, nothing internal."""
    return exc.message if isinstance(exc, BadgeIssuerError) else "an internal error (in the server's log)"


def job_running(services: Services, job_id: str) -> bool:
    with services.readers() as session:
        job = session.get(IssuanceJob, job_id)
        return job is not None and job.status == "running"


def _release(services: Services, spec: ChunkSpec, job_id: str, first: int, last: int) -> None:
    """The chunk's rows are this runner's now: reservations on their keys were left by a runner
    that died between signing and storing (see the module doc)."""
    if spec.client_id is None:
        return
    with services.sessions() as session, session.begin():
        jobs = JobRepository(session)
        after = first - 1
        while rows := jobs.pending_between(job_id, after + 1, last, limit=1000):
            jobs.release_keys(spec.client_id, [row.idempotency_key for row in rows])
            after = rows[-1].row_number


def _inputs(rows: Sequence[PendingRow]) -> list[RowIn]:
    return [RowIn(row.id, row.row_number, json.loads(row.item_json), row.idempotency_key) for row in rows]


def _record(session: Session, outcomes: list[RowOut]) -> None:
    """The rows' outcomes, in the transaction that stores their awards."""
    JobRepository(session).record_many(
        [
            (
                outcome.ref,
                outcome.state,
                outcome.issued.record.id if outcome.issued is not None else None,
                json.dumps(problem_of(outcome.error), ensure_ascii=False) if outcome.error else None,
            )
            for outcome in outcomes
            if outcome.state != "pending"
        ]
    )
