"""The runner of bulk issuance jobs: one thread per serving process, the same on SQLite and
PostgreSQL.

It claims a job with a lease (a conditional UPDATE: one runner holds a job at a time, across
worker processes and hosts), awards its pending rows in chunks, renews the lease after each chunk
and records each row's outcome in its own short transaction. A runner killed at any moment loses
nothing and duplicates nothing: a row whose award landed but whose outcome was not recorded
replays its award when the next runner (after the lease ran out) issues it again under its key;
a row that was being signed left only a burnt status position and its key's reservation, which the
new holder of the job releases (it owns the job's rows now) before issuing the row again.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import timedelta

from badge_issuer.application.issuing import issue_item, parse_item
from badge_issuer.application.jobs import problem_of
from badge_issuer.application.services import Services
from badge_issuer.db.jobs import JobRepository
from badge_issuer.db.reservations import ReservationRepository
from badge_issuer.db.tables import Achievement, IssuanceJob, IssuanceJobRow, Issuer
from badge_issuer.errors import BadgeIssuerError, IdempotencyInProgress

log = logging.getLogger(__name__)

#: rows awarded between two renewals of the lease (and two looks for a cancel)
CHUNK = 10


class JobRunner:
    """Claims and runs jobs on a background thread until ``stop``; ``wake`` after a submit."""

    def __init__(self, services: Services, *, lease_seconds: float, poll_seconds: float = 1.0) -> None:
        self.services = services
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.name = f"runner-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="badge-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database went away, say: the lease runs out, another resumes
                log.exception("job runner: a job failed; retrying later")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim one job and run it; False when there was none to claim."""
        now = self.services.clock()
        with self.services.readers() as session:
            candidates = JobRepository(session).claimable(now)
        for job_id in candidates:
            with self.services.sessions() as session, session.begin():
                claimed = JobRepository(session).claim(job_id, self.name, now=now, until=now + self.lease)
            if claimed:
                self._run(job_id)
                return True
        return False

    def _run(self, job_id: str) -> None:
        services = self.services
        with services.readers() as session:
            job = session.get(IssuanceJob, job_id)
            assert job is not None
            issuer = session.get(Issuer, job.issuer_id)
            achievement = session.get(Achievement, job.achievement_id)
            assert issuer is not None and achievement is not None
            issuer_slug, achievement_slug, client_id, scope = (
                issuer.slug,
                achievement.slug,
                job.client_id,
                job.scope,
            )
        after = 0
        while not self._stop.is_set():
            now = services.clock()
            with services.sessions() as session, session.begin():
                status = JobRepository(session).renew(job_id, self.name, now=now, until=now + self.lease)
            if status != "running":  # cancelled, or another runner took it over
                return
            with services.readers() as session:
                rows = JobRepository(session).pending(job_id, after=after, limit=CHUNK)
                counts = JobRepository(session).counts(job_id) if not rows else {}
            if not rows:
                if counts.get("pending", 0) == 0:
                    with services.sessions() as session, session.begin():
                        JobRepository(session).finish(job_id, self.name, now=services.clock())
                    return
                after = 0  # rows left in flight by someone else: come back to them shortly
                self._stop.wait(0.5)
                continue
            if client_id is not None:  # this runner owns the job's rows now (see the module doc)
                with services.sessions() as session, session.begin():
                    reservations = ReservationRepository(session)
                    for row in rows:
                        reservations.release(client_id, row.idempotency_key)
            for row in rows:
                self._award(row, issuer_slug, achievement_slug, client_id, scope)
            after = rows[-1].row_number

    def _award(
        self, row: IssuanceJobRow, issuer: str, achievement: str, client_id: int | None, scope: str
    ) -> None:
        outcome: tuple[str, str | None, str | None]
        try:
            item = parse_item(json.loads(row.item_json), row.row_number)
            issued = issue_item(
                self.services,
                issuer=issuer,
                achievement=achievement,
                item=item,
                key=row.idempotency_key,
                client_id=client_id,
                scope=scope,
            )
            outcome = ("replayed" if issued.replayed else "created", issued.record.id, None)
        except IdempotencyInProgress:
            return  # another request with this key is being signed: the row stays pending
        except BadgeIssuerError as exc:
            outcome = ("rejected", None, json.dumps(problem_of(exc), ensure_ascii=False))
        with self.services.sessions() as session, session.begin():
            JobRepository(session).record(row.id, *outcome)
