"""The CPU budget of a verification: it ends an expensive verification with a "too complex" result."""

from __future__ import annotations

import dataclasses
import json
import time
import zlib
from contextvars import copy_context

import pytest

from badge_issuer.budget import (
    BatchBudget,
    CpuBudget,
    batch_budget,
    batch_exhausted,
    checkpoint,
    cpu_budget,
    exhausted,
)
from badge_issuer.errors import PayloadTooLarge, TooComplex
from badge_issuer.formats.png import make_chunk
from badge_issuer.jsonld.canon import canonicalize
from badge_issuer.jsonld.context_cache import SharedContextResolver
from badge_issuer.jsonld.loader import VC_V2
from badge_issuer.jsonld.processor import _BudgetedIssuer, to_dataset
from badge_issuer.verification import verify_badge
from tests.badges import Issuer, badge, context
from tests.jsonld.test_bounds import LOADER, clr_of
from tests.test_verification import tiny_png


def spend() -> None:
    """Use a little CPU time (the budget counts CPU, not sleep)."""
    started = time.thread_time()
    while time.thread_time() - started < 0.002:
        pass


def test_a_budget_raises_once_its_deadline_has_passed() -> None:
    now = [100.0]
    budget = CpuBudget(2.0, timer=lambda: now[0])
    budget.check("start")
    now[0] = 102.0
    budget.check("at the deadline")
    assert not budget.exhausted
    now[0] = 102.5
    assert budget.exhausted
    with pytest.raises(
        TooComplex, match=r"too complex: verification stopped after its 2-second CPU budget \(x\)"
    ):
        budget.check("x")
    with pytest.raises(ValueError):
        CpuBudget(0)


def test_a_budget_reads_cpu_time_only_once_the_wall_clock_says_it_could_be_spent() -> None:
    cpu, wall, reads = [100.0], [5.0], []

    def timer() -> float:
        reads.append(cpu[0])
        return cpu[0]

    budget = CpuBudget(2.0, timer=timer, wall=lambda: wall[0])
    cpu[0], wall[0] = 101.0, 6.9  # less than 2 s of wall time: 2 s of CPU time cannot be spent
    budget.check("early")
    assert not budget.exhausted and len(reads) == 1
    wall[0] = 7.1  # it could be now: read, 1 s left, so the next read is due at 8.1
    budget.check("later")
    assert len(reads) == 2
    cpu[0], wall[0] = 102.5, 8.2  # past the deadline, and the wall clock allows it: caught
    with pytest.raises(TooComplex):
        budget.check("spent")
    assert budget.exhausted
    # the default budget reads the real clocks, and still stops real work
    real = CpuBudget(0.001)
    with pytest.raises(TooComplex):
        while True:
            real.check("loop")


def test_items_charge_their_cpu_time_to_the_batch_which_ends_them_all_once_spent() -> None:
    batch = BatchBudget(1.0)
    first_clock, second_clock = [10.0], [50.0]
    first = CpuBudget(3.0, timer=lambda: first_clock[0], batch=batch)
    second = CpuBudget(3.0, timer=lambda: second_clock[0], batch=batch)
    first_clock[0] = 10.6
    first.check("one")
    second_clock[0] = 50.3
    second.check("two")
    assert not batch.exhausted  # 0.9 s of 1 s, each item far inside its own 3 s
    second_clock[0] = 50.5
    with pytest.raises(TooComplex, match=r"the batch's 1-second CPU budget is exhausted \(two\)"):
        second.check("two")
    assert batch.exhausted and first.exhausted  # the other item stops too, at its next check
    with pytest.raises(TooComplex, match="batch"):
        first.check("one")
    with pytest.raises(ValueError):
        BatchBudget(0)


def test_a_batch_budget_reaches_the_items_run_in_copied_contexts_even_without_their_own() -> None:
    assert batch_exhausted() is None
    with batch_budget(1e-9):
        assert batch_exhausted() is None  # nothing charged yet
        with cpu_budget(None) as budget:
            assert budget is not None  # unlimited itself, but charging the batch
            spend()
            assert copy_context().run(exhausted)
            with pytest.raises(TooComplex, match="batch"):
                checkpoint("inside")
        assert (
            batch_exhausted()
            == "too complex: the batch's 1e-09-second CPU budget is exhausted (not verified)"
        )
    assert batch_exhausted() is None
    with batch_budget(None) as none, cpu_budget(None) as budget:
        assert none is None and budget is None


def test_checkpoints_outside_a_budget_never_raise_and_budgets_do_not_leak() -> None:
    checkpoint("no budget")
    assert not exhausted()
    with cpu_budget(1e-9):
        spend()
        assert exhausted()
        with pytest.raises(TooComplex):
            checkpoint("inside")
        assert copy_context().run(exhausted)  # worker threads of a batch carry it along
    checkpoint("after")
    with cpu_budget(None) as budget:
        assert budget is None
        checkpoint("unlimited")


def test_a_spent_budget_ends_the_verification_with_a_failed_too_complex_check() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    assert verify_badge(signed, ctx=context()).verified
    ctx = dataclasses.replace(context(), cpu_budget=1e-9)
    report = verify_badge(signed, ctx=ctx).to_json()
    assert report["verified"] is False
    first = report["checks"][0]
    assert first["status"] == "failed" and first["message"].startswith("too complex")
    assert first["detail"] == {"reason": "too-complex"}
    assert {check["status"] for check in report["checks"][1:]} == {"skipped"}
    assert [check["id"] for check in report["checks"]] == [
        check["id"] for check in verify_badge(signed, ctx=context()).to_json()["checks"]
    ]  # the report keeps its shape


def test_json_ld_processing_within_the_bounds_stops_at_the_budget() -> None:
    # 40 complete OB 3.0 examples in one CLR: inside the JSON-LD bounds, but seconds of pyld work;
    # pyld cannot be interrupted, so it checks the budget at every scoped context and blank node
    transcript = clr_of(40)
    started = time.thread_time()
    with cpu_budget(0.2), pytest.raises(TooComplex, match=r"\(JSON-LD "):
        to_dataset(transcript, loader=LOADER)
    assert time.thread_time() - started < 3  # CPU time (load stretches wall time); unbudgeted: seconds


def test_pyld_checks_the_budget_at_each_context_resolution_and_blank_node_label() -> None:
    resolver = SharedContextResolver(LOADER.context_cache, LOADER)
    initial = {"_uuid": "initial", "processingMode": "json-ld-1.1", "mappings": {}}
    assert resolver.resolve(initial, VC_V2, "")
    labels = _BudgetedIssuer("_:b")
    assert labels.get_id("_:x") == "_:b0"
    with cpu_budget(1e-9):
        spend()
        with pytest.raises(TooComplex, match="JSON-LD context processing"):
            resolver.resolve(initial, VC_V2, "")
        with pytest.raises(TooComplex, match="JSON-LD node map"):
            labels.get_id("_:y")
        with pytest.raises(TooComplex, match="JSON-LD context loading"):
            LOADER(VC_V2)


def test_canonicalization_stops_at_the_budget() -> None:
    issuer = Issuer()
    dataset = to_dataset(badge(issuer), loader=LOADER)
    canonicalize(dataset)
    with cpu_budget(1e-9), pytest.raises(TooComplex, match=r"RDFC-1\.0"):
        spend()
        canonicalize(dataset)


def test_waiting_does_not_spend_the_budget() -> None:
    # an honest verification waiting for a status list, or for a core on a busy machine, goes on
    with cpu_budget(0.05):
        time.sleep(0.2)
        checkpoint("after waiting")
        spend()
        spend()


def hostile_png(identifiers: int = 9_000) -> bytes:
    """A small baked PNG whose compressed iTXt expands to a badge with ``identifiers`` identifiers."""
    issuer = Issuer()
    document = badge(issuer)
    template = document["credentialSubject"]["identifier"][0]
    document["credentialSubject"]["identifier"] = [dict(template, salt=f"{n}") for n in range(identifiers)]
    text = json.dumps(document).encode()
    chunk = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(text, 9)
    return tiny_png()[:33] + make_chunk(b"iTXt", chunk) + tiny_png()[33:]


def test_a_small_png_that_expands_to_thousands_of_identifiers_is_answered_at_once() -> None:
    png = hostile_png()
    assert len(png) < 40_000
    started = time.thread_time()
    report = verify_badge(png, content_type="image/png", ctx=context()).to_json()
    assert time.thread_time() - started < 5  # CPU time; was 20 s of pyld work
    assert report["verified"] is False
    failed = [check for check in report["checks"] if check["status"] == "failed"]
    assert failed[0]["message"].startswith("too complex"), failed
    # in the service the expansion is also capped at the body limit: the request is refused
    with pytest.raises(PayloadTooLarge, match="expands beyond"):
        verify_badge(png, ctx=dataclasses.replace(context(), max_presented_bytes=1_000_000))
