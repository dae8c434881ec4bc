"""Metrics live on a registry per app: two apps in one process count separately."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from badge_issuer.observability.metrics import Metrics


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.request("/issuers/{issuer}", "GET", 200, 0.02)
    first.verified(False, ["proof", "status"])
    first.fetched("refused")
    first.issued(3)
    first.resigned()
    samples = _samples(first)
    assert (
        samples[
            (
                "badge_http_requests_total",
                (("method", "GET"), ("route", "/issuers/{issuer}"), ("status", "200")),
            )
        ]
        == 1
    )
    assert samples[("badge_verifications_total", (("outcome", "failed"),))] == 1
    assert samples[("badge_verification_failed_checks_total", (("check", "proof"),))] == 1
    assert samples[("badge_outbound_fetches_total", (("outcome", "refused"),))] == 1
    assert samples[("badge_issuances_total", (("outcome", "issued"),))] == 3
    assert samples[("badge_status_list_resigns_total", ())] == 1
    assert _samples(second)[("badge_issuances_total", (("outcome", "issued"),))] == 0
    assert (
        "badge_http_requests_total",
        (("method", "GET"), ("route", "/issuers/{issuer}"), ("status", "200")),
    ) not in _samples(second)
