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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from badge_issuer.errors import TooComplex


class CpuBudget:
    """A limit of ``seconds`` on ``timer`` (the current thread's CPU time), counted from creation."""

    def __init__(self, seconds: float, *, timer: Callable[[], float] = time.thread_time) -> None:
        if seconds <= 0:
            raise ValueError("a CPU budget must be positive")
        self.seconds = seconds
        self._timer = timer
        self.deadline = timer() + seconds

    @property
    def exhausted(self) -> bool:
        return self._timer() > self.deadline

    def check(self, where: str) -> None:
        """Raise TooComplex once the budget is spent; ``where`` names the work under way."""
        if self._timer() > self.deadline:
            raise TooComplex(
                f"too complex: verification stopped after its {self.seconds:g}-second CPU budget ({where})"
            )


_CURRENT: ContextVar[CpuBudget | None] = ContextVar("badge_cpu_budget", default=None)


@contextmanager
def cpu_budget(seconds: float | None) -> Iterator[CpuBudget | None]:
    """Run the block under a new budget of ``seconds`` (None: no budget, the block is unlimited)."""
    budget = CpuBudget(seconds) if seconds is not None else None
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
