"""Concurrent requests for the same kind of work, done together: group commit for request threads.

A request thread ``submit``s its item under a group (say, awards of one badge class by one client).
If no other thread is working on that group (``leaders`` at most work on a group at once; groups
never wait for each other), it becomes the group's leader: it takes the oldest items waiting in
the group, at most ``most`` of them (its own among them, unless more than ``most`` older ones
wait), runs them together and hands each waiting thread its own result; the threads whose items
it did not take wait for a leader of their own. An item that arrives while its group's leader
works waits for that batch to end and goes with the next one, so batches form only under load: a
request alone is a batch of one, run at once.

A batch whose run raises yields ``FAILED`` for each of its items: the work of one item must not
sink the others', so each caller then does its own alone (and gets its own error, if any). An
exception that is not an ``Exception`` (the thread being stopped) still ends the batch, its items
``FAILED``, and reaches the leader.

Thread-safe: one condition guards the queue and the results; the run is called outside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Failed(Enum):
    """The batch an item was in failed as a whole: do the item alone."""

    FAILED = "failed"


FAILED = Failed.FAILED

#: runs a group's items together: a result for each, in order
Run = Callable[[Hashable, Sequence[Item]], Sequence[Result]]


@dataclass(eq=False)
class _Waiting(Generic[Item, Result]):
    group: Hashable
    item: Item
    taken: bool = False
    done: bool = False
    result: Result | Failed = FAILED


@dataclass
class Coalescer(Generic[Item, Result]):
    """Runs the items submitted at once in the same group together (see the module's docstring)."""

    #: the most items run together
    most: int = 16
    #: the most batches of one group run at once (by as many leading threads)
    leaders: int = 1
    _queue: list[_Waiting[Item, Result]] = field(default_factory=list)
    #: the batches of each group running now
    _leading: dict[Hashable, int] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if self.most < 1 or self.leaders < 1:
            raise ValueError("a coalescer runs at least one item, by at least one leader")

    @property
    def waiting(self) -> int:
        """Items submitted and not yet taken into a batch."""
        with self._changed:
            return len(self._queue)

    def submit(self, group: Hashable, item: Item, run: Run[Item, Result]) -> Result | Failed:
        """``item``'s result from a batch of ``group`` (``run`` by whichever thread leads it), or
        ``FAILED`` when that batch's run raised."""
        mine: _Waiting[Item, Result] = _Waiting(group, item)
        with self._changed:
            self._queue.append(mine)
        while True:
            with self._changed:
                while not mine.done and not (self._leading.get(group, 0) < self.leaders and not mine.taken):
                    self._changed.wait()
                if mine.done:
                    return mine.result
                batch = self._take(group)
                self._leading[group] = self._leading.get(group, 0) + 1
            self._lead(batch, run)

    def _take(self, group: Hashable) -> list[_Waiting[Item, Result]]:
        """The oldest waiting items of ``group``, at most ``most``, out of the queue (lock held)."""
        batch: list[_Waiting[Item, Result]] = []
        rest: list[_Waiting[Item, Result]] = []
        for waiting in self._queue:
            if waiting.group == group and len(batch) < self.most:
                waiting.taken = True
                batch.append(waiting)
            else:
                rest.append(waiting)
        self._queue = rest
        return batch

    def _lead(self, batch: list[_Waiting[Item, Result]], run: Run[Item, Result]) -> None:
        results: Sequence[Result | Failed] = [FAILED] * len(batch)
        try:
            ran = run(batch[0].group, [waiting.item for waiting in batch])
            if len(ran) != len(batch):
                raise ValueError(f"a batch of {len(batch)} items gave {len(ran)} results")
            results = ran
        except Exception:  # each caller does its item alone, and meets its own error there
            log.warning("a batch of %d items failed; each is done alone", len(batch), exc_info=True)
        finally:
            with self._changed:
                for waiting, result in zip(batch, results, strict=True):
                    waiting.result, waiting.done = result, True
                group = batch[0].group
                self._leading[group] -= 1
                if not self._leading[group]:
                    del self._leading[group]
                self._changed.notify_all()
