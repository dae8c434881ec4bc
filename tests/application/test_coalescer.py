"""The coalescer under many threads: each item run once, in a batch of its own group, its own
result back; a failed batch leaves its items to be done alone; nothing waits forever."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence

import pytest

from badge_issuer.application.coalescer import FAILED, Coalescer, Failed


class Recorder:
    """A run that answers each item with (group, item) and records its batches and concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[tuple[Hashable, list[int]]] = []
        self.running: dict[Hashable, int] = {}
        self.most_running: dict[Hashable, int] = {}
        self.most_at_once = 0

    def __call__(self, group: Hashable, items: Sequence[int]) -> list[tuple[Hashable, int]]:
        with self.lock:
            self.running[group] = self.running.get(group, 0) + 1
            self.most_running[group] = max(self.most_running.get(group, 0), self.running[group])
            self.most_at_once = max(self.most_at_once, sum(self.running.values()))
            self.batches.append((group, list(items)))
        try:
            time.sleep(0.0005)  # long enough for others to arrive meanwhile
            return [(group, item) for item in items]
        finally:
            with self.lock:
                self.running[group] -= 1


@pytest.mark.parametrize(("most", "leaders"), [(4, 1), (16, 2), (1, 1)])
def test_many_threads_each_get_their_own_result_from_batches_of_their_group(most: int, leaders: int) -> None:
    coalescer: Coalescer[int, tuple[Hashable, int]] = Coalescer(most=most, leaders=leaders)
    run = Recorder()
    threads, rounds = 24, 150
    wrong: list[object] = []

    def worker(n: int) -> None:
        for i in range(rounds):
            group = ("class", n % 3)
            item = n * rounds + i
            got = coalescer.submit(group, item, run)
            if got != (group, item):
                wrong.append(got)

    started = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in started)
    assert wrong == []
    ran = sorted(item for _, items in run.batches for item in items)
    assert ran == list(range(threads * rounds))  # every item once
    for group, items in run.batches:
        assert 1 <= len(items) <= most
        assert all(group == ("class", item // rounds % 3) for item in items)  # never another group's item
    assert max(run.most_running.values()) <= leaders  # per group; groups never wait for each other
    assert run.most_at_once > leaders
    if most > 1:
        assert max(len(items) for _, items in run.batches) > 1  # under load, batches formed


def test_items_that_arrive_while_a_batch_runs_go_together_in_the_next() -> None:
    coalescer: Coalescer[str, str] = Coalescer(most=8)
    first_running, let_go = threading.Event(), threading.Event()
    batches: list[list[str]] = []

    def run(_group: Hashable, items: Sequence[str]) -> list[str]:
        batches.append(list(items))
        if items == ["first"]:
            first_running.set()
            assert let_go.wait(30)
        return [item.upper() for item in items]

    results: dict[str, str | Failed] = {}

    def submit(item: str) -> None:
        results[item] = coalescer.submit("g", item, run)

    first = threading.Thread(target=submit, args=("first",))
    first.start()
    assert first_running.wait(30)  # a request alone is run at once, as a batch of one
    later = [threading.Thread(target=submit, args=(name,)) for name in ("a", "b", "c")]
    for thread in later:
        thread.start()
    while coalescer.waiting < 3:
        threading.Event().wait(0.001)
    let_go.set()
    for thread in [first, *later]:
        thread.join(timeout=30)
    assert batches[0] == ["first"] and sorted(batches[1]) == ["a", "b", "c"] and len(batches) == 2
    assert results == {"first": "FIRST", "a": "A", "b": "B", "c": "C"}


def test_a_batch_that_fails_leaves_each_of_its_items_to_be_done_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    coalescer: Coalescer[int, int] = Coalescer()

    def broken(_group: Hashable, items: Sequence[int]) -> list[int]:
        raise RuntimeError("the batch broke")

    def short(_group: Hashable, items: Sequence[int]) -> list[int]:
        return []

    assert coalescer.submit("g", 1, broken) is FAILED
    assert "a batch of 1 items failed" in caplog.text
    assert coalescer.submit("g", 2, short) is FAILED  # a result missing: no item gets another's
    assert coalescer.submit("g", 3, lambda _group, items: [n * 10 for n in items]) == 30  # still serving


def test_a_leader_stopped_mid_batch_hands_the_others_failed_and_frees_the_coalescer() -> None:
    class Stop(BaseException):
        pass

    coalescer: Coalescer[str, str] = Coalescer()
    first_running, let_go = threading.Event(), threading.Event()

    def run(_group: Hashable, items: Sequence[str]) -> list[str]:
        if items == ["first"]:
            first_running.set()
            assert let_go.wait(30)
            return ["done"]
        raise Stop  # the thread leading the batch of the two others is stopped

    got: dict[str, str | Failed] = {}
    stopped: list[str] = []

    def submit(item: str) -> None:
        try:
            got[item] = coalescer.submit("g", item, run)
        except Stop:
            stopped.append(item)

    threads = [threading.Thread(target=submit, args=("first",))]
    threads[0].start()
    assert first_running.wait(30)
    threads += [threading.Thread(target=submit, args=(item,)) for item in ("x", "y")]
    for thread in threads[1:]:
        thread.start()
    while coalescer.waiting < 2:
        threading.Event().wait(0.001)
    let_go.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert got["first"] == "done"
    assert len(stopped) == 1 and got == {"first": "done", ({"x", "y"} - set(stopped)).pop(): FAILED}
    assert coalescer.submit("g", "next", lambda _group, items: list(items)) == "next"  # free again


def test_a_coalescer_runs_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Coalescer(most=0)
