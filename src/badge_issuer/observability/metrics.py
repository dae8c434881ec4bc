"""Prometheus metrics of one application instance, on its own ``CollectorRegistry``.

Never the library's global default registry: several apps in one process (tests, workers) each
count their own. The spines and use cases receive a ``Metrics`` (or nothing) and call its methods;
no counter is a module global.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

#: seconds; from a cached public document to a 1,000-credential batch
#: what an outbound fetch can come to
FETCH_OUTCOMES = ("fetched", "failed", "refused")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """The counters and histograms the service exposes at ``/metrics``."""

    #: the classic text format ``generate_latest`` writes, which every Prometheus version reads
    content_type = CONTENT_TYPE_PLAIN_0_0_4

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "badge_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "badge_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.issuances = Counter(
            "badge_issuances",
            "Credentials issued (issued: newly signed; replayed: an Idempotency-Key answered again)",
            ["outcome"],
            registry=registry,
        )
        self.issue_groups = Histogram(
            "badge_issue_group_size",
            "Single awards issued together because they arrived together (1: an award alone)",
            buckets=GROUP_BUCKETS,
            registry=registry,
        )
        self.status_changes = Counter(
            "badge_status_changes",
            "Revocations, suspensions and unsuspensions",
            ["action"],
            registry=registry,
        )
        self.verifications = Counter(
            "badge_verifications",
            "Credentials verified, by outcome (verified, failed)",
            ["outcome"],
            registry=registry,
        )
        self.failed_checks = Counter(
            "badge_verification_failed_checks",
            "Verification checks that failed, by check id",
            ["check"],
            registry=registry,
        )
        self.fetches = Counter(
            "badge_outbound_fetches",
            "Outbound fetches of the verifier (fetched, failed, refused by policy)",
            ["outcome"],
            registry=registry,
        )
        self.resigns = Counter(
            "badge_status_list_resigns",
            "Status list credentials signed again (after a change or when stale)",
            registry=registry,
        )
        # pre-declare the label values that matter, so they read 0 rather than missing
        for outcome in ("issued", "replayed"):
            self.issuances.labels(outcome)
        for outcome in ("verified", "failed"):
            self.verifications.labels(outcome)
        for outcome in FETCH_OUTCOMES:
            self.fetches.labels(outcome)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def issued(self, count: int = 1, *, replayed: bool = False) -> None:
        self.issuances.labels("replayed" if replayed else "issued").inc(count)

    def issued_together(self, count: int) -> None:
        self.issue_groups.observe(count)

    def status_changed(self, action: str) -> None:
        self.status_changes.labels(action).inc()

    def verified(self, verified: bool, failed_checks: Iterable[str] = ()) -> None:
        self.verifications.labels("verified" if verified else "failed").inc()
        for check in failed_checks:
            self.failed_checks.labels(check).inc()

    def fetched(self, outcome: str) -> None:
        """``outcome``: fetched, failed or refused."""
        self.fetches.labels(outcome).inc()

    def resigned(self) -> None:
        self.resigns.inc()

    def worker_counts(self) -> dict[str, float]:
        """The counts a verification worker process keeps for the serving process: its outbound
        fetches by outcome and its status list signatures (see ``add_worker_counts``)."""
        counts = {
            outcome: self.registry.get_sample_value("badge_outbound_fetches_total", {"outcome": outcome})
            or 0.0
            for outcome in FETCH_OUTCOMES
        }
        counts["resigned"] = self.registry.get_sample_value("badge_status_list_resigns_total") or 0.0
        return counts

    def add_worker_counts(self, before: dict[str, float], after: dict[str, float]) -> None:
        """Count here what a worker counted between ``before`` and ``after`` (``worker_counts``)."""
        for outcome in FETCH_OUTCOMES:
            if after[outcome] > before[outcome]:
                self.fetches.labels(outcome).inc(after[outcome] - before[outcome])
        if after["resigned"] > before["resigned"]:
            self.resigns.inc(after["resigned"] - before["resigned"])

    def render(self) -> bytes:
        """The text exposition format of every metric."""
        return generate_latest(self.registry)
