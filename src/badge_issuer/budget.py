"""The time budget of one verification: a cooperative deadline, checked where the work happens.

Python threads cannot be stopped from outside, so a verification that is too expensive has to stop
itself. ``verification.verify_badge`` opens a budget (``time_budget``) for each verification, and
the loops that can run long check it: JSON-LD processing (every context resolution and every blank
node label), RDFC-1.0 canonicalization (every hash and permutation step), the document loader, and
the spine between checks. Past the deadline ``checkpoint`` raises
:class:`~badge_issuer.errors.TooComplex`, which ends the verification with a failed check saying
"too complex". The pre-bounds of ``jsonld.bounds`` keep any single step between two checkpoints
short, so a budget is overrun by little.

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


class TimeBudget:
    """A deadline ``seconds`` after creation, on ``timer`` (monotonic)."""

    def __init__(self, seconds: float, *, timer: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError("a time budget must be positive")
        self.seconds = seconds
        self._timer = timer
        self.deadline = timer() + seconds

    @property
    def exhausted(self) -> bool:
        return self._timer() > self.deadline

    def check(self, where: str) -> None:
        """Raise TooComplex once the deadline has passed; ``where`` names the work under way."""
        if self._timer() > self.deadline:
            raise TooComplex(
                f"too complex: verification stopped after its {self.seconds:g}-second budget ({where})"
            )


_CURRENT: ContextVar[TimeBudget | None] = ContextVar("badge_time_budget", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[TimeBudget | None]:
    """Run the block under a new budget of ``seconds`` (None: no budget, the block is unlimited)."""
    budget = TimeBudget(seconds) if seconds is not None else None
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
