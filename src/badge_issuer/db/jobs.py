"""Bulk issuance jobs and their rows. A runner claims a job with a short conditional UPDATE (a
queued job, or a running one whose lease ran out), so one runner holds a job at a time across
threads, processes and hosts. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from badge_issuer.db.tables import IssuanceJob, IssuanceJobRow
from badge_issuer.errors import NotFound

OPEN = ("queued", "running")


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: IssuanceJob, rows: list[IssuanceJobRow]) -> None:
        self.session.add(job)
        self.session.flush()
        self.session.add_all(rows)
        self.session.flush()

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
