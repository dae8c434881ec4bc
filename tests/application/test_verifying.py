"""Verifying without HTTP: batch bounds are refused before any work; each item gets a report."""

from __future__ import annotations

import pytest

from badge_issuer.application import Services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.publishing import status_list
from badge_issuer.application.verifying import MAX_BATCH, MAX_BATCH_URLS, verify_batch
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.errors import NotFound, ParseError, PayloadTooLarge
from tests.application.conftest import make_issuer


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


def test_only_revocation_and_suspension_lists_exist(services: Services) -> None:
    make_issuer(services)
    assert status_list(services, "uni", "revocation", 1).json_text
    with pytest.raises(NotFound):
        status_list(services, "uni", "refresh", 1)
    with pytest.raises(NotFound):
        status_list(services, "uni", "suspension", 1)  # suspension is off for this issuer
