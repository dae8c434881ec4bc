"""What runs bulk jobs inside a serving process, chosen from the settings (the app's lifespan
starts and stops it; ``wake`` after a submit or a retry).

- PostgreSQL (BADGE_JOB_QUEUE=auto): a procrastinate worker on a thread (BADGE_JOB_INLINE_WORKER,
  on by default, so one deployment completes its jobs), besides any ``badge-issuer worker``.
- SQLite (or BADGE_JOB_QUEUE=thread): the lease runner.
- Either way, BADGE_JOB_SIGN_PROCESSES > 0 builds and signs each batch on that many worker processes.
"""

from __future__ import annotations

from badge_issuer.application.bulk_issuing import Signing, sign_here
from badge_issuer.application.bulk_signing import PoolSigning
from badge_issuer.application.job_queue import InlineWorker, uses_queue
from badge_issuer.application.job_runner import JobRunner
from badge_issuer.application.services import Services


class JobBackground:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.pool = (
            PoolSigning(services, settings.job_sign_processes) if settings.job_sign_processes else None
        )
        signing: Signing = self.pool or sign_here
        self.worker: JobRunner | InlineWorker | None
        if not uses_queue(settings):
            self.worker = JobRunner(services, lease_seconds=settings.job_lease_seconds, signing=signing)
        elif settings.job_inline_worker:
            self.worker = InlineWorker(services, signing)
        else:
            self.worker = None

    def start(self) -> None:
        if self.pool is not None:
            self.pool.start()
        if self.worker is not None:
            self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.pool is not None:
            self.pool.close()

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()
