"""The in-process runner of bulk jobs where there is no queue (SQLite, or BADGE_JOB_QUEUE=thread):
one thread per serving process.

It claims a job with a lease (a conditional UPDATE: one runner holds a job at a time, across
worker processes), runs it as one chunk (``job_chunks.run_chunk``, the function procrastinate's
workers run on PostgreSQL) and renews the lease between two batches. A runner killed at any moment
loses nothing and duplicates nothing (see ``job_chunks``): the next runner takes the job over once
the lease ran out. A job whose run fails ``ATTEMPTS`` times in a row in one runner (an attempt a
lease apart: about half an hour) has its rows still pending rejected with the cause
(``job_chunks.give_up``), as a procrastinate chunk's last attempt does.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from badge_issuer.application.bulk_issuing import Signing, sign_here
from badge_issuer.application.job_chunks import ATTEMPTS, BATCH, cause_of, give_up, run_chunk
from badge_issuer.application.services import Services
from badge_issuer.db.jobs import JobRepository

log = logging.getLogger(__name__)

#: rows awarded between two renewals of the lease (and two looks for a cancel)
CHUNK = BATCH
LAST_ROW = 2**31 - 1


class JobRunner:
    """Claims and runs jobs on a background thread until ``stop``; ``wake`` after a submit."""

    def __init__(
        self,
        services: Services,
        *,
        lease_seconds: float,
        poll_seconds: float = 1.0,
        signing: Signing = sign_here,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.services = services
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.signing = signing
        self.attempts = attempts
        #: job id → its runs that failed in a row here (a job run to its end, or given up, leaves)
        self._failures: dict[str, int] = {}
        self.name = f"runner-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="badge-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
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
        while not self._stop.is_set():  # the whole job is one chunk here: rows 1..(any)
            try:
                result = run_chunk(
                    self.services,
                    job_id,
                    1,
                    LAST_ROW,
                    signing=self.signing,
                    keep_going=lambda: self._renew(job_id),
                )
            except Exception as exc:
                if not self._failed(job_id):
                    raise  # the lease runs out, and the job is claimed again
                log.exception(
                    "job %s failed %d times in a row; giving its pending rows up", job_id, self.attempts
                )
                give_up(self.services, job_id, 1, LAST_ROW, attempts=self.attempts, cause=cause_of(exc))
                return
            self._failures.pop(job_id, None)
            if result.stopped or not self._unfinished(job_id):
                return
            if result.left:
                self._stop.wait(0.5)  # rows whose keys a twin request holds: come back to them shortly

    def _failed(self, job_id: str) -> bool:
        """Count a failed run of the job; True when it was the last attempt."""
        if len(self._failures) > 1000:  # jobs that failed here and then ran elsewhere
            self._failures.clear()
        failures = self._failures[job_id] = self._failures.get(job_id, 0) + 1
        if failures < self.attempts:
            return False
        del self._failures[job_id]
        return True

    def _unfinished(self, job_id: str) -> bool:
        """Rows pending still (put back by a retry behind the chunk's cursor, or held by twins)."""
        with self.services.readers() as session:
            return bool(JobRepository(session).counts(job_id).get("pending", 0))

    def _renew(self, job_id: str) -> bool:
        """Extend the lease; False once the job was cancelled or another runner took it over."""
        if self._stop.is_set():
            return False
        now = self.services.clock()
        with self.services.sessions() as session, session.begin():
            status = JobRepository(session).renew(job_id, self.name, now=now, until=now + self.lease)
        return status == "running"
