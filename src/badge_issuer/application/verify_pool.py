"""The heavy lane: verifications run by worker processes, bounded, one at a time per client.

Python runs one thread at a time per process, so expensive verifications in the serving process
slow every other request down, however well they are bounded (``workload.py``). The pool runs
them in ``workers`` processes of their own instead, started with ``spawn`` (never ``fork`` from a
threaded server) at a lower CPU priority (``nice``, added to the serving process's), so that on a
busy machine the serving process's light requests get the CPU first.

- **Each worker builds its own Services** from the pickled Settings and clock (``build``, the
  composition root's ``build_services``): its own database engine on the same URL, so our own
  issuers' DID documents and status lists are read from the database as in the serving process
  (SQLite in WAL mode and PostgreSQL both serve several processes), its own fetcher and caches.
  That Services is the worker process's one module-level object (a worker has no other place to
  keep it); jobs are module-level functions called as ``job(services, *args)``. What a worker
  counts in its metrics (outbound fetches, status lists signed) is added to the serving
  process's ``metrics`` after each job, so ``/metrics`` sees it.
- **Bounded**: at most ``workers + queue`` heavy jobs are admitted at once; past that ``run``
  raises :class:`~badge_issuer.errors.Busy` (503 with ``Retry-After``) at once, instead of
  letting a queue and its latency grow.
- **Fair**: a client (the caller's key, e.g. its IP address) has at most one heavy job admitted; a
  second one while the first runs is :class:`~badge_issuer.errors.RateLimited` (429).
- **Lifecycle**: ``start`` spawns the workers and waits until each has built its Services (the app's
  lifespan calls it; nothing starts at import); ``close`` stops them. Until started (the CLI, an
  app whose lifespan has not run) ``running`` is false and callers verify in their own process.
  A worker that dies breaks the executor: the job is answered Busy and the pool starts afresh.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from badge_issuer.clock import Clock
from badge_issuer.config import Settings
from badge_issuer.errors import Busy, ConfigurationError, RateLimited
from badge_issuer.heap import freeze_startup_objects
from badge_issuer.observability.metrics import Metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
#: seconds the workers may take to start and build their Services
START_SECONDS = 120.0

#: how often a worker looks whether the process that started it is still there
PARENT_POLL_SECONDS = 1.0

#: the worker process's Services (set by ``_init_worker``; never set in the serving process)
_WORKER_SERVICES: Any = None


def _init_worker(build: Callable[..., Any], settings: Settings, clock: Clock, ready: Any, nice: int) -> None:
    """Run once in each new worker: lower its priority, build its Services, warm its caches."""
    global _WORKER_SERVICES
    # Ctrl-C in a terminal reaches the whole process group: the serving process stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), name="verify-pool-parent", daemon=True).start()
    services = build(settings, clock=clock)
    services.verify_context  # noqa: B018  (built now, not during the first job)
    if settings.gc_freeze:  # full collections skip what starting made (heap.py)
        freeze_startup_objects()
    _WORKER_SERVICES = services
    if ready is not None:
        with ready.get_lock():
            ready.value += 1


def _exit_with(parent: int) -> None:
    """End this worker once the process that started it is gone. A serving process killed with
    SIGKILL stops nobody, and the pool's queues, held open by the worker itself, never tell it:
    the orphan would wait for work forever, holding its memory and database connections."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)


def _call(job: Callable[..., T], *args: Any) -> tuple[T, dict[str, float], dict[str, float]]:
    """``job`` on the worker's Services; with the worker's counts before and after it (metrics)."""
    metrics = _WORKER_SERVICES.metrics
    before = metrics.worker_counts()
    result = job(_WORKER_SERVICES, *args)
    return result, before, metrics.worker_counts()


def _pid() -> int:
    return os.getpid()


class VerifyPool:
    """A bounded, per-client-fair pool of verification worker processes (see the module doc)."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        build: Callable[..., Any],
        *,
        metrics: Metrics,
        workers: int,
        queue: int,
        retry_after: int = 1,
        nice: int = 10,
    ) -> None:
        self._settings, self._clock, self._build, self._metrics = settings, clock, build, metrics
        self.workers, self.queue, self.retry_after, self._nice = workers, queue, retry_after, nice
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._admitted = 0
        self._clients: set[str] = set()
        #: jobs a worker has answered (its result or its error) since the pool was made
        self.completed = 0

    @property
    def running(self) -> bool:
        return self._executor is not None

    @property
    def admitted(self) -> int:
        """Heavy jobs admitted now (running or waiting for a worker)."""
        with self._lock:
            return self._admitted

    def start(self) -> None:
        """Spawn the workers and wait until every one has built its Services (idempotent).

        An in-memory SQLite database cannot be shared with other processes: the pool then stays
        stopped (everything is verified in-process), and the log says so."""
        if self.workers <= 0 or self.running:
            return
        url = make_url(self._settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            log.warning("verification workers not started: an in-memory database is not shared with them")
            return
        ready = multiprocessing.get_context("spawn").Value("i", 0)  # workers that have built theirs
        executor = self._executor_with(ready)
        # a spawn-started pool starts a worker per job submitted while none is idle: one each
        pending = [executor.submit(_pid) for _ in range(self.workers)]
        deadline = time.monotonic() + START_SECONDS
        try:
            while ready.value < self.workers:
                failed = next((f for f in pending if f.done() and f.exception() is not None), None)
                if failed is not None:  # a worker could not start (its initializer raised)
                    failed.result()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{ready.value} of {self.workers} started in {START_SECONDS:g} s")
                time.sleep(0.02)
        except Exception as exc:
            executor.shutdown(wait=False, cancel_futures=True)
            raise ConfigurationError(f"the verification workers did not start: {exc!r}") from exc
        with self._lock:
            self._executor = executor

    def _executor_with(self, ready: Any) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._build, self._settings, self._clock, ready, self._nice),
        )

    def close(self) -> None:
        """Stop the workers (jobs still waiting are cancelled; running ones finish)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def run(self, client: str | None, job: Callable[..., T], *args: Any) -> T:
        """``job(worker_services, *args)`` in a worker, for ``client``; Busy when the lane is full,
        RateLimited when ``client`` already has a job admitted (None: a client that cannot be told
        apart, held to the bound only). Errors of the job are raised here."""
        with self._lock:
            executor = self._executor
            if executor is None:
                raise self._not_accepting()
            if client is not None and client in self._clients:
                raise RateLimited(
                    "this client already has a large verification running; send the next one when "
                    "it is answered",
                    retry_after=self.retry_after,
                )
            if self._admitted >= self.workers + self.queue:
                raise Busy(
                    "every verification worker is busy and the queue is full; retry shortly",
                    retry_after=self.retry_after,
                )
            self._admitted += 1
            if client is not None:
                self._clients.add(client)
        future: Future[tuple[T, dict[str, float], dict[str, float]]] | None = None
        try:
            future = executor.submit(_call, job, *args)
            result, before, after = future.result()  # the job's own errors are raised here too
            self._metrics.add_worker_counts(before, after)
            return result
        except BrokenProcessPool:
            log.error("a verification worker stopped unexpectedly; starting the pool afresh")
            self._replace(executor)
            raise Busy("a verification worker stopped; retry shortly", retry_after=self.retry_after) from None
        except RuntimeError:
            if future is not None:
                raise
            # submitted while the pool was being closed (the app is stopping)
            raise self._not_accepting() from None
        finally:
            with self._lock:
                self._admitted -= 1
                if client is not None:
                    self._clients.discard(client)
                if future is not None and future.done():
                    self.completed += not isinstance(future.exception(), BrokenProcessPool)

    def _not_accepting(self) -> Busy:
        return Busy("heavy verifications are not being accepted now", retry_after=self.retry_after)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new executor instead of ``broken`` (its workers start with the next jobs)."""
        with self._lock:
            if self._executor is not broken:
                return  # closed, or already replaced by another request
            self._executor = self._executor_with(None)
        broken.shutdown(wait=False, cancel_futures=True)
