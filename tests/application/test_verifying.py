"""Verifying without HTTP: batch bounds are refused before any work; each item gets a report."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from badge_issuer.application import Services, build_services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.publishing import status_list
from badge_issuer.application.verifying import (
    MAX_BATCH,
    MAX_BATCH_URLS,
    MAX_FETCHES,
    _verify_here,
    verify_batch,
)
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.errors import NotFound, ParseError, PayloadTooLarge
from badge_issuer.formats.sniff import unwrap
from tests.application.conftest import NOW, make_issuer
from tests.badges import Issuer, badge


def test_batch_bounds_are_refused(services: Services) -> None:
    with pytest.raises(ParseError):
        verify_batch(services, [])
    with pytest.raises(PayloadTooLarge):
        verify_batch(services, [{}] * (MAX_BATCH + 1))
    with pytest.raises(PayloadTooLarge):
        verify_batch(services, [{"url": "https://example.org/c"}] * (MAX_BATCH_URLS + 1))


def test_each_batch_item_gets_its_report_in_order(services: Services) -> None:
    make_issuer(services)
    request = IssueRequest.model_validate({"recipient": {"email": "ada@example.org"}})
    issued = issue_one(
        services, issuer="uni", achievement="python-data", request=request, client_id=None, scope="/t"
    )
    reports = verify_batch(services, [issued.credential, 42, "not.a.jwt"])
    assert [report.verified for report in reports] == [True, False, False]
    assert reports[1].checks[0].id == "format"


def test_a_batch_has_one_cpu_budget_for_all_its_items_and_fails_closed_past_it(
    make_settings: Callable[..., Settings],
) -> None:
    issuer = Issuer()
    items = [issuer.sign(badge(issuer)) for _ in range(48)]
    unlimited = build_services(make_settings(verify_batch_cpu_budget_seconds=0), clock=fixed_clock(NOW))
    try:
        assert all(report.verified for report in verify_batch(unlimited, items))
    finally:
        unlimited.close()
    # each item alone is far inside its 3-second budget; together they need far more than 5 ms
    # (~0.6 ms each, caches warm, on the machine where 24 items under 20 ms stopped failing)
    tight = build_services(make_settings(verify_batch_cpu_budget_seconds=0.005), clock=fixed_clock(NOW))
    try:
        reports = [report.to_json() for report in verify_batch(tight, items)]
    finally:
        tight.close()
    stopped = [
        report
        for report in reports
        if any((check.get("detail") or {}).get("reason") == "too-complex" for check in report["checks"])
    ]
    assert stopped, reports
    for report in stopped:
        assert report["verified"] is False
        failed = [check for check in report["checks"] if check["status"] == "failed"]
        assert len(failed) == 1 and "too complex" in failed[0]["message"], report
        assert {c["status"] for c in report["checks"][report["checks"].index(failed[0]) + 1 :]} <= {"skipped"}
    assert any("batch's 0.005-second CPU budget is exhausted" in str(report) for report in stopped)
    assert all(report["verified"] for report in reports if report not in stopped)


def test_only_revocation_and_suspension_lists_exist(services: Services) -> None:
    make_issuer(services)
    assert status_list(services, "uni", "revocation", 1).json_text
    with pytest.raises(NotFound):
        status_list(services, "uni", "refresh", 1)
    with pytest.raises(NotFound):
        status_list(services, "uni", "suspension", 1)  # suspension is off for this issuer


def test_an_unwrapping_under_a_looser_bound_than_the_verifiers_is_not_reused(
    make_settings: Callable[..., Settings],
) -> None:
    """The light lane's weighing may allow more bytes (BADGE_VERIFY_HEAVY_BYTES) than the verifier
    (BADGE_MAX_BODY_BYTES): then its unwrapping is dropped and the verifier's own bound holds."""
    services = build_services(make_settings(max_body_bytes=1_000), clock=fixed_clock(NOW))
    try:
        issuer = Issuer()
        data = json.dumps(issuer.sign(badge(issuer))).encode()
        assert 1_000 < len(data) < services.settings.verify_heavy_bytes
        with pytest.raises(PayloadTooLarge):
            _verify_here(services, data, None, None, None, None, MAX_FETCHES, unwrapped=unwrap(data))
    finally:
        services.close()
