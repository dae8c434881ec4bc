"""Bulk jobs on a queue that scales out: procrastinate, on PostgreSQL.

A job's pending rows are split into chunks of BADGE_JOB_CHUNK_ROWS; each chunk is a procrastinate
task (``TASK`` on ``QUEUE``, deferred in the very transaction that stores the job or puts its
rejected rows back, so a job never exists without its tasks). Any number of workers — processes
of ``badge-issuer worker``, on any host, and by default one in each serving process — take the
tasks and run ``job_chunks.run_chunk``; adding workers adds throughput.

A worker killed mid-chunk (SIGKILL, a lost host) stops sending heartbeats; every worker looks for
stalled tasks each heartbeat and hands them out again, and the chunk's next run awards exactly the
rows that were not recorded (see ``job_chunks``). A chunk whose rows a twin request holds is
retried later (the task fails and procrastinate's retry strategy runs it again). A chunk whose
last attempt fails too (a twin that never lets go, an error every time) rejects its rows still
pending with the cause (``job_chunks.give_up``), so the job ends and its rejected rows can be retried.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from sqlalchemy.engine import make_url

from badge_issuer.application.bulk_issuing import Signing, sign_here
from badge_issuer.application.job_chunks import ATTEMPTS, cause_of, give_up, job_running, run_chunk
from badge_issuer.application.services import Services
from badge_issuer.config import Settings
from badge_issuer.heap import freeze_startup_objects
from badge_issuer.observability.logs import configure_logging

log = logging.getLogger(__name__)

TASK = "badge_issuer.job_chunk"
QUEUE = "badge_issuer_jobs"
#: a chunk that failed is run again 1 s, 2 s, … later (about half an hour in all), then given up
RETRY = RetryStrategy(max_attempts=ATTEMPTS - 1, wait=1, linear_wait=1)


#: seconds the serving process waits for its in-process worker to stop
STOP_SECONDS = 1.0


class WorkerStopping(Exception):
    """The serving process stops: the chunk is run again (procrastinate's retry), by any worker."""


class RowsInFlight(Exception):
    """Some rows of the chunk wait for a twin request holding their keys: run the chunk again."""


def uses_queue(settings: Settings) -> bool:
    """Jobs go to procrastinate (PostgreSQL, BADGE_JOB_QUEUE=auto) or to the lease runner."""
    return settings.job_queue == "auto" and make_url(settings.database_url).get_backend_name() == "postgresql"


def conninfo(database_url: str) -> str:
    """The libpq URL of the database (procrastinate connects with psycopg itself)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def chunks(job_id: str, numbers: Sequence[int], size: int) -> list[dict[str, object]]:
    """The tasks' arguments: ``size`` pending row numbers each, as a range."""
    groups = [numbers[start : start + size] for start in range(0, len(numbers), size)]
    return [{"job_id": job_id, "first": group[0], "last": group[-1]} for group in groups]


def build_app(
    services: Services,
    signing: Signing = sign_here,
    stopping: threading.Event | None = None,
    retry: RetryStrategy = RETRY,
) -> App:
    """A procrastinate App whose one task runs a chunk with this process's Services (until
    ``stopping`` is set: the chunk then ends at its next batch and is run again later); a failed
    chunk is run again as ``retry`` says, and given up after its last attempt."""
    # a worker that cannot reach the database waits 10 s for a connection (the pool's default: 30)
    connector = PsycopgConnector(conninfo=conninfo(services.settings.database_url), timeout=10)
    app = App(connector=connector)

    @app.task(name=TASK, queue=QUEUE, retry=retry, pass_context=True)
    def job_chunk(context: JobContext, job_id: str, first: int, last: int) -> None:
        halt = stopping or threading.Event()
        attempts = (context.job.attempts if context.job is not None else 0) + 1
        last_attempt = retry.max_attempts is not None and attempts > retry.max_attempts
        try:
            result = run_chunk(
                services,
                job_id,
                first,
                last,
                signing=signing,
                keep_going=lambda: not halt.is_set() and job_running(services, job_id),
            )
        except Exception as exc:
            if not last_attempt:
                raise
            log.exception(
                "job %s: rows %d..%d failed %d times; giving them up", job_id, first, last, attempts
            )
            give_up(services, job_id, first, last, attempts=attempts, cause=cause_of(exc))
            return
        if halt.is_set() and result.stopped:
            raise WorkerStopping(f"job {job_id}: rows {first}..{last} left for another worker")
        log.info(
            "job %s: rows %d..%d: %d awarded by %s%s",
            job_id,
            first,
            last,
            result.awarded,
            context.worker_name,
            " (stopped: cancelled)" if result.stopped else "",
        )
        if result.left and last_attempt:
            cause = "another request held its Idempotency-Key all the while"
            give_up(services, job_id, first, last, attempts=attempts, cause=cause)
        elif result.left:
            raise RowsInFlight(f"job {job_id}: {result.left} rows of {first}..{last} wait for twin requests")

    return app


async def _retry_stalled(app: App, heartbeat: float) -> None:
    """Hand out again the tasks of workers silent for three heartbeats (killed, or cut off)."""
    while True:
        await asyncio.sleep(heartbeat)
        try:
            for job in await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=3 * heartbeat
            ):
                log.warning("job chunk %s: its worker stopped; running it again", job.id)
                await app.job_manager.retry_job(job)
        except Exception:  # another worker retried it first, or the database is away: next time
            log.debug("retrying stalled chunks failed", exc_info=True)


async def work(app: App, settings: Settings, *, name: str, signal_handlers: bool) -> None:
    """Run one worker (one chunk at a time: signing is CPU work) until stopped or cancelled."""
    heartbeat = settings.job_heartbeat_seconds
    async with app.open_async():
        sweeper = asyncio.create_task(_retry_stalled(app, heartbeat))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=1,
                name=name,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=3 * heartbeat,
                install_signal_handlers=signal_handlers,
                delete_jobs="successful",
            )
        finally:
            sweeper.cancel()


class InlineWorker:
    """A procrastinate worker on a thread of the serving process (BADGE_JOB_INLINE_WORKER)."""

    def __init__(
        self, services: Services, signing: Signing = sign_here, retry: RetryStrategy = RETRY
    ) -> None:
        self.services, self.signing, self.retry = services, signing, retry
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="badge-jobs-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(30)

    def wake(self) -> None:
        """Nothing to do: a deferred task notifies the workers (LISTEN/NOTIFY)."""

    def stop(self) -> None:
        """Stop taking chunks; a chunk running now ends at its next batch and is run again
        (``WorkerStopping``). Waits a second at most (a worker whose database is gone retries for
        longer): a chunk cut off by the process's end is a stalled one, run again elsewhere."""
        self._stopping.set()
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=STOP_SECONDS)

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            self._started.set()
            app = build_app(self.services, self.signing, self._stopping, self.retry)
            await work(app, self.services.settings, name="inline", signal_handlers=False)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the in-process job worker stopped")
        finally:
            self._started.set()


def serve_worker(settings: Settings, name: str) -> None:  # pragma: no cover - a subprocess
    """(Run by tests/api/test_job_workers.py in worker processes, out of coverage's sight.)
    One worker process of ``badge-issuer worker``: its own Services, until SIGTERM or SIGINT."""
    from badge_issuer.application.bulk_signing import PoolSigning
    from badge_issuer.application.services import build_services

    configure_logging(settings.log_format, settings.log_level)  # a spawned process starts without
    services = build_services(settings)
    pool = PoolSigning(services, settings.job_sign_processes) if settings.job_sign_processes else None
    try:
        if pool is not None:
            pool.start()
        if settings.gc_freeze:  # a job's rows and awards are the only garbage from now on (heap.py)
            freeze_startup_objects()
        asyncio.run(work(build_app(services, pool or sign_here), settings, name=name, signal_handlers=True))
    finally:
        if pool is not None:
            pool.close()
        services.close()


def serve_workers(settings: Settings, concurrency: int) -> None:  # pragma: no cover - a subprocess
    """``concurrency`` worker processes (one chunk at a time each: signing needs a core each);
    SIGTERM or SIGINT stops them, letting each finish its chunk."""
    if concurrency == 1:
        serve_worker(settings, "worker-1")
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=serve_worker, args=(settings, f"worker-{n}"), name=f"badge-worker-{n}")
        for n in range(1, concurrency + 1)
    ]
    for process in processes:
        process.start()

    def forward(signum: int, _frame: object) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for process in processes:
        process.join()
