"""The badge page's verdict cache: kept for its TTL per key, bounded, never an incomplete report,
and consistent under many threads."""

from __future__ import annotations

import threading

import pytest

from badge_issuer.application.verdict_cache import VerdictCache
from badge_issuer.checks import INDETERMINATE, PASSED, CheckResult
from badge_issuer.errors import RateLimited
from badge_issuer.verification import VerificationReport


def report(name: str, status: str = PASSED) -> VerificationReport:
    return VerificationReport(status == PASSED, {"name": name}, (CheckResult("status", status, name),))  # type: ignore[arg-type]


def test_a_report_is_kept_for_its_ttl_and_by_its_record_version() -> None:
    now = [100.0]
    cache = VerdictCache(ttl=60, clock=lambda: now[0])
    verified: list[str] = []

    def verify(name: str) -> VerificationReport:
        verified.append(name)
        return report(name)

    active, revoked = ("id", "active", "t1"), ("id", "revoked", "t2")
    first = cache.verdict(active, lambda: verify("a"), before_verifying=lambda: None)
    assert cache.verdict(active, lambda: verify("b"), before_verifying=lambda: None) is first
    assert cache.verdict(revoked, lambda: verify("c"), before_verifying=lambda: None).summary == {"name": "c"}
    now[0] += 60
    assert cache.verdict(active, lambda: verify("d"), before_verifying=lambda: None).summary == {"name": "d"}
    assert verified == ["a", "c", "d"]


def test_an_incomplete_report_is_not_kept_and_the_bound_is_counted_only_when_verifying() -> None:
    cache = VerdictCache()
    counted: list[int] = []
    for _ in range(3):
        cache.verdict("k", lambda: report("x", INDETERMINATE), before_verifying=lambda: counted.append(1))
    assert len(counted) == 3 and len(cache) == 0

    def refuse() -> None:
        raise RateLimited("too many", retry_after=1)

    with pytest.raises(RateLimited):
        cache.verdict("other", lambda: report("y"), before_verifying=refuse)
    cache.put("kept", report("z"))
    assert cache.verdict("kept", lambda: report("never"), before_verifying=refuse).summary == {"name": "z"}


def test_many_threads_see_one_consistent_bounded_cache() -> None:
    cache = VerdictCache(maxsize=50)
    errors: list[str] = []

    def worker(number: int) -> None:
        for iteration in range(2_000):
            key = (f"credential-{(number * 7 + iteration) % 120}", "active", "t")
            name = key[0]
            got = cache.verdict(key, lambda: report(name), before_verifying=lambda: None)  # noqa: B023
            if got.summary != {"name": key[0]}:
                errors.append(f"{key} got {got.summary}")
            if len(cache) > 50:
                errors.append(f"{len(cache)} kept")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 0 < len(cache) <= 50
