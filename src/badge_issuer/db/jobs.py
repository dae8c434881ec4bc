"""Bulk issuance jobs and their rows. On SQLite a runner claims a job with a short conditional
UPDATE (a queued job, or a running one whose lease ran out), so one runner holds a job at a time
across threads and processes; on PostgreSQL a job's chunks are procrastinate tasks, deferred in
the transaction that stores the job (or puts its rows back). Never commits."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from badge_issuer.db.statements import execute
from badge_issuer.db.tables import Credential, IdempotencyReservation, IssuanceJob, IssuanceJobRow
from badge_issuer.errors import NotFound

OPEN = ("queued", "running")
_ROWS = cast(Table, IssuanceJobRow.__table__)
_CREDENTIALS = cast(Table, Credential.__table__)
_RESERVATIONS = cast(Table, IdempotencyReservation.__table__)
# built once, as Core statements: a batch of awards runs each (an IN list of any length, expanded
# when it is sent)
_AWARDED_KEYS = select(_CREDENTIALS.c.id).where(
    _CREDENTIALS.c.client_id == bindparam("of_client"),
    _CREDENTIALS.c.idempotency_key.in_(bindparam("keys", expanding=True)),
)
_RELEASE_KEYS = delete(_RESERVATIONS).where(
    _RESERVATIONS.c.client_id == bindparam("of_client"),
    _RESERVATIONS.c.idempotency_key.in_(bindparam("keys", expanding=True)),
)
_PENDING_BETWEEN = (
    select(_ROWS.c.id, _ROWS.c.row_number, _ROWS.c.item_json, _ROWS.c.idempotency_key)
    .where(_ROWS.c.job_id == bindparam("job"), _ROWS.c.state == "pending")
    .where(_ROWS.c.row_number >= bindparam("first"), _ROWS.c.row_number <= bindparam("last"))
    .order_by(_ROWS.c.row_number)
    .limit(bindparam("most"))
)


class PendingRow(NamedTuple):
    """What running a pending row reads of it."""

    id: int
    row_number: int
    item_json: str
    idempotency_key: str


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: IssuanceJob, rows: Sequence[Mapping[str, Any]]) -> None:
        """The job, then its rows (the columns of each but ``job_id``) in one executemany: a job
        holds up to 100,000, and the ORM's unit of work took longer than the statement (#11)."""
        self.session.add(job)
        self.session.flush()
        if rows:
            execute(self.session, insert(_ROWS), [{**row, "job_id": job.id} for row in rows])

    def get(self, job_id: str, *, issuer_id: int) -> IssuanceJob:
        job = self.session.scalar(
            select(IssuanceJob).where(IssuanceJob.id == job_id, IssuanceJob.issuer_id == issuer_id)
        )
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def claimable(self, now: datetime) -> list[str]:
        """Jobs waiting for a runner: queued, or running under a lease that ran out (oldest first)."""
        query = (
            select(IssuanceJob.id)
            .where(
                or_(
                    IssuanceJob.status == "queued",
                    and_(IssuanceJob.status == "running", IssuanceJob.lease_until < now),
                )
            )
            .order_by(IssuanceJob.created_at)
            .limit(10)
        )
        return list(self.session.scalars(query))

    def claim(self, job_id: str, runner: str, *, now: datetime, until: datetime) -> bool:
        """Take the job if it is still claimable; True when this runner now holds it."""
        result = self.session.execute(
            update(IssuanceJob)
            .where(
                IssuanceJob.id == job_id,
                or_(
                    IssuanceJob.status == "queued",
                    and_(IssuanceJob.status == "running", IssuanceJob.lease_until < now),
                ),
            )
            .values(status="running", runner=runner, lease_until=until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def renew(self, job_id: str, runner: str, *, now: datetime, until: datetime) -> str | None:
        """Extend this runner's lease; the job's status, or None when another runner took it."""
        job = self.session.scalar(
            select(IssuanceJob)
            .where(IssuanceJob.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if job is None or job.runner != runner:
            return None
        if job.status == "running":
            job.lease_until, job.updated_at = until, now
        return job.status

    def finish(self, job_id: str, runner: str, *, now: datetime) -> None:
        self.session.execute(
            update(IssuanceJob)
            .where(IssuanceJob.id == job_id, IssuanceJob.runner == runner, IssuanceJob.status == "running")
            .values(status="done", lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    def pending(self, job_id: str, *, after: int, limit: int) -> list[IssuanceJobRow]:
        query = (
            select(IssuanceJobRow)
            .where(IssuanceJobRow.job_id == job_id, IssuanceJobRow.state == "pending")
            .where(IssuanceJobRow.row_number > after)
            .order_by(IssuanceJobRow.row_number)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def record(self, row_id: int, state: str, credential_id: str | None, problem_json: str | None) -> None:
        """A row's outcome; an awarded row forgets its item (the recipient's address in clear: the
        record keeps only what BADGE_STORE_RECIPIENT_EMAIL allows), a rejected one keeps it for a retry."""
        values: dict[str, object] = {
            "state": state,
            "credential_id": credential_id,
            "problem_json": problem_json,
        }
        if state in ("created", "replayed"):
            values["item_json"] = "{}"
        self.session.execute(
            update(IssuanceJobRow)
            .where(IssuanceJobRow.id == row_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def counts(self, job_id: str) -> dict[str, int]:
        query = (
            select(IssuanceJobRow.state, func.count())
            .where(IssuanceJobRow.job_id == job_id)
            .group_by(IssuanceJobRow.state)
        )
        return {str(state): int(count) for state, count in self.session.execute(query)}

    def rows(self, job_id: str, *, after: int, limit: int) -> list[IssuanceJobRow]:
        query = (
            select(IssuanceJobRow)
            .where(IssuanceJobRow.job_id == job_id, IssuanceJobRow.row_number > after)
            .order_by(IssuanceJobRow.row_number)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def retry_rejected(self, job_id: str) -> int:
        result = self.session.execute(
            update(IssuanceJobRow)
            .where(IssuanceJobRow.job_id == job_id, IssuanceJobRow.state == "rejected")
            .values(state="pending", credential_id=None, problem_json=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def start(self, job_id: str, *, now: datetime) -> str | None:
        """A worker begins a chunk: a queued job is running from now on; the job's status."""
        self.session.execute(
            update(IssuanceJob)
            .where(IssuanceJob.id == job_id, IssuanceJob.status == "queued")
            .values(status="running", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return self.session.scalar(select(IssuanceJob.status).where(IssuanceJob.id == job_id))

    def finish_if_complete(self, job_id: str, *, now: datetime) -> bool:
        """Mark a running job done once no row is pending (the chunk that finishes last does it)."""
        pending = select(IssuanceJobRow.id).where(
            IssuanceJobRow.job_id == job_id, IssuanceJobRow.state == "pending"
        )
        result = self.session.execute(
            update(IssuanceJob)
            .where(IssuanceJob.id == job_id, IssuanceJob.status == "running", ~pending.exists())
            .values(status="done", runner=None, lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def pending_between(self, job_id: str, first: int, last: int, *, limit: int) -> list[PendingRow]:
        """The pending rows numbered ``first``..``last``, in order (``limit`` at most), as plain
        columns: a job's runner reads every row once, and loading them as ORM entities cost more
        than the statement (#11)."""
        parameters = {"job": job_id, "first": first, "last": last, "most": limit}
        return [PendingRow(*row) for row in execute(self.session, _PENDING_BETWEEN, parameters)]

    def reject_pending_between(self, job_id: str, first: int, last: int, problem_json: str) -> int:
        """Reject the rows numbered ``first``..``last`` still pending, with ``problem_json`` (a chunk
        given up after its last attempt); they keep their items for a retry. How many were."""
        result = self.session.execute(
            update(IssuanceJobRow)
            .where(IssuanceJobRow.job_id == job_id, IssuanceJobRow.state == "pending")
            .where(IssuanceJobRow.row_number >= first, IssuanceJobRow.row_number <= last)
            .values(state="rejected", credential_id=None, problem_json=problem_json)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def rejected_numbers(self, job_id: str) -> list[int]:
        query = (
            select(IssuanceJobRow.row_number)
            .where(IssuanceJobRow.job_id == job_id, IssuanceJobRow.state == "rejected")
            .order_by(IssuanceJobRow.row_number)
        )
        return list(self.session.scalars(query))

    def record_many(self, outcomes: Sequence[tuple[int, str, str | None, str | None]]) -> None:
        """(row id, state, credential id, problem) of many rows at once (executemany); an awarded
        row forgets its item as ``record`` does, a rejected one keeps it for a retry."""
        rows = cast(Table, IssuanceJobRow.__table__)
        values: dict[str, Any] = {
            "state": bindparam("new_state"),
            "credential_id": bindparam("new_credential"),
            "problem_json": bindparam("new_problem"),
        }
        awarded = [outcome for outcome in outcomes if outcome[1] in ("created", "replayed")]
        rejected = [outcome for outcome in outcomes if outcome[1] not in ("created", "replayed")]
        for group, extra in ((awarded, {"item_json": "{}"}), (rejected, {})):
            if group:
                self.session.execute(
                    update(rows).where(rows.c.id == bindparam("row_id")).values(**values, **extra),
                    [
                        {
                            "row_id": row_id,
                            "new_state": state,
                            "new_credential": credential,
                            "new_problem": problem,
                        }
                        for row_id, state, credential, problem in group
                    ],
                )

    def awards_by_key(self, client_id: int, keys: Sequence[str]) -> dict[str, Credential]:
        """The records earlier requests made under these Idempotency-Keys of ``client_id``. Which
        keys have one is asked first as plain columns (usually none has: a batch's fresh keys),
        and only those records are loaded: the ORM's query cost more than the statement (#11)."""
        if not keys:
            return {}
        found = execute(self.session, _AWARDED_KEYS, {"of_client": client_id, "keys": list(keys)}).all()
        if not found:
            return {}
        query = select(Credential).where(Credential.id.in_([row[0] for row in found]))
        return {str(record.idempotency_key): record for record in self.session.scalars(query)}

    def release_keys(self, client_id: int, keys: Sequence[str]) -> None:
        """Drop the reservations of these keys (their rows belong to the caller's chunk now)."""
        if keys:
            execute(self.session, _RELEASE_KEYS, {"of_client": client_id, "keys": list(keys)})

    def defer_chunks(self, task: str, queue: str, chunks: Sequence[dict[str, object]]) -> None:
        """Queue one procrastinate task per chunk in this transaction (PostgreSQL; the queue's own
        ``procrastinate_defer_jobs_v1``), so a job and its tasks are committed together."""
        if not chunks:
            return
        self.session.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY("
                "SELECT ROW(:queue, :task, 0, NULL, NULL, args, NULL)::procrastinate_job_to_defer_v1 "
                "FROM jsonb_array_elements(CAST(:chunks AS jsonb)) AS args))"
            ),
            {"queue": queue, "task": task, "chunks": json.dumps(list(chunks))},
        )
