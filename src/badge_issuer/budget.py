"""The CPU budget of one verification: a cooperative limit, checked where the work happens.

Python threads cannot be stopped from outside, so a verification that is too expensive has to stop
itself. ``verification.verify_badge`` opens a budget (``cpu_budget``) for each verification, and
the loops that can run long check it: JSON-LD processing (every context resolution and every blank
node label), the document loader, RDFC-1.0 canonicalization (every hash and permutation step), and
the spine between checks. Past the limit ``checkpoint`` raises
:class:`~badge_issuer.errors.TooComplex`, which ends the verification with a failed check saying
"too complex". The pre-bounds of ``jsonld.bounds`` keep any single step between two checkpoints
short, so a budget is overrun by little.

The budget counts the CPU time of the verifying thread (``time.thread_time``), not the clock on
the wall: waiting for a status list or a DID document, or for a core on a busy machine, does not
spend it (outbound fetches have their own timeouts and count), so an honest badge is not failed
because the machine is loaded, while a purpose-built one gets no more than its share of work.
A budget is checked by the thread that opened it.

The budget travels in a ``ContextVar`` (like ``net.fetch.fetch_budget``), so the worker threads of a
batch each carry their own item's budget; code that runs outside any budget (issuance of our own
documents) is not limited by it.

A batch also has a budget for all its items together (``batch_budget``): every item's budget
charges the CPU time it uses to the batch's at each check, so items verified side by side in
several threads count in full, and once the batch's budget is spent every item still running stops
as "too complex", and items not begun are not verified at all (``batch_exhausted``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from badge_issuer.errors import TooComplex


class BatchBudget:
    """CPU seconds shared by the items of one batch; thread-safe (items run in several threads)."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("a CPU budget must be positive")
        self.seconds = seconds
        self._spent = 0.0
        self._lock = threading.Lock()

    def charge(self, seconds: float) -> None:
        with self._lock:
            self._spent += seconds

    @property
    def exhausted(self) -> bool:
        with self._lock:
            return self._spent > self.seconds

    def message(self, where: str) -> str:
        return f"too complex: the batch's {self.seconds:g}-second CPU budget is exhausted ({where})"


class CpuBudget:
    """A limit of ``seconds`` on ``timer`` (the current thread's CPU time), counted from creation;
    with ``batch``, the time used is also charged to the batch's budget, which may end it first.

    Reading a thread's CPU time is a system call (~4 us here, ~40 of them in a verification), but a
    thread cannot use more CPU time than passes on the wall: after a reading left ``r`` seconds, the
    budget cannot be spent before ``r`` more seconds of ``wall`` (a monotonic clock, read without a
    system call), so until then a check reads only ``wall``. This never lets a verification run
    past its budget; it is used with the default ``timer`` (or a given ``wall``), and not with a
    batch, whose other items spend its budget meanwhile."""

    def __init__(
        self,
        seconds: float,
        *,
        timer: Callable[[], float] = time.thread_time,
        batch: BatchBudget | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        if seconds <= 0:
            raise ValueError("a CPU budget must be positive")
        self.seconds = seconds
        self._timer = timer
        self._batch = batch
        if wall is None and timer is time.thread_time and batch is None:
            wall = time.perf_counter
        self._wall = wall if batch is None else None
        started = self._wall() if self._wall is not None else -math.inf
        self._charged = timer()
        self.deadline = self._charged + seconds
        #: until ``wall`` passes this, the budget cannot be spent (no CPU time is read)
        self._unspent_until = started + seconds

    def _read(self) -> float:
        """The CPU time now; the wall clock first, so the bound it gives is never late."""
        started = self._wall() if self._wall is not None else -math.inf
        now = self._timer()
        self._unspent_until = started + (self.deadline - now)
        return now

    def _surely_unspent(self) -> bool:
        return self._wall is not None and self._wall() < self._unspent_until

    def _now(self) -> float:
        now = self._read()
        if self._batch is not None:  # called by the thread that opened this budget only
            self._batch.charge(now - self._charged)
            self._charged = now
        return now

    @property
    def exhausted(self) -> bool:
        if self._surely_unspent():
            return False
        over = self._now() > self.deadline
        return over or (self._batch is not None and self._batch.exhausted)

    def check(self, where: str) -> None:
        """Raise TooComplex once the budget is spent; ``where`` names the work under way."""
        if self._surely_unspent():
            return
        if self._now() > self.deadline:
            raise TooComplex(
                f"too complex: verification stopped after its {self.seconds:g}-second CPU budget ({where})"
            )
        if self._batch is not None and self._batch.exhausted:
            raise TooComplex(self._batch.message(where))


_CURRENT: ContextVar[CpuBudget | None] = ContextVar("badge_cpu_budget", default=None)
_BATCH: ContextVar[BatchBudget | None] = ContextVar("badge_batch_budget", default=None)


@contextmanager
def batch_budget(seconds: float | None) -> Iterator[BatchBudget | None]:
    """Run a batch under a shared budget of ``seconds`` (None: none); the budgets opened inside
    (``cpu_budget``, also in contexts copied from this one) charge it."""
    budget = BatchBudget(seconds) if seconds is not None else None
    token = _BATCH.set(budget)
    try:
        yield budget
    finally:
        _BATCH.reset(token)


def batch_exhausted() -> str | None:
    """The "too complex" message when the current batch's budget is spent, else None."""
    batch = _BATCH.get()
    return batch.message("not verified") if batch is not None and batch.exhausted else None


@contextmanager
def cpu_budget(seconds: float | None) -> Iterator[CpuBudget | None]:
    """Run the block under a new budget of ``seconds`` (None: no budget of its own), charged to the
    current batch's budget if there is one."""
    batch = _BATCH.get()
    budget = None
    if seconds is not None or batch is not None:
        budget = CpuBudget(seconds if seconds is not None else math.inf, batch=batch)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def checkpoint(where: str) -> None:
    """Raise TooComplex when the budget of the current verification is spent (no-op without one)."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.check(where)


def exhausted() -> bool:
    """Whether the current verification's budget is spent (False without one)."""
    budget = _CURRENT.get()
    return budget is not None and budget.exhausted
