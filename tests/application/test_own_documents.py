"""Our own DID documents and status lists as verification reads them: kept between verifications,
yet a change committed by another process (two Services on one database, as ``serve --workers 2``
or a verification worker) is seen by the very next verification — fail closed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from badge_issuer.application import Services, build_services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.records import change_record_status, get_record
from badge_issuer.application.tenants import new_key
from badge_issuer.application.verifying import verify_presented
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.verification import VerificationReport
from tests.application.conftest import NOW, make_issuer


@pytest.fixture
def other(services: Services, make_settings: Callable[..., Settings]) -> Iterator[Services]:
    """A second application on the same database (another worker process's Services)."""
    built = build_services(make_settings(), clock=fixed_clock(NOW))
    assert built.settings.database_url == services.settings.database_url
    yield built
    built.close()


def issue(services: Services, email: str) -> str:
    request = IssueRequest.model_validate({"recipient": {"email": email}})
    return issue_one(
        services, issuer="uni", achievement="python-data", request=request, client_id=None, scope="/t"
    ).record.id


def verify(services: Services, record_id: str) -> VerificationReport:
    credential = get_record(services, "uni", record_id).credential
    return verify_presented(services, json.dumps(credential).encode())


def status_of(report: VerificationReport) -> str:
    return next(check for check in report.checks if check.id == "status").status


def test_a_revocation_in_one_process_fails_the_next_verification_in_another(
    services: Services, other: Services
) -> None:
    make_issuer(services, "uni", suspension=True)
    ada, grace = issue(services, "ada@example.org"), issue(services, "grace@example.org")
    for _ in range(2):  # the other process has read (and kept) the list and the DID document
        assert verify(other, ada).verified and verify(other, grace).verified
    assert verify(services, ada).verified

    change_record_status(services, "uni", ada, "revoke", reason="plagiarism", client_id=None)
    report = verify(other, ada)
    assert not report.verified and status_of(report) == "failed", report.to_json()
    assert "revoked" in json.dumps(report.to_json())
    assert not verify(services, ada).verified  # and in the revoking process, whose list was kept too
    assert verify(other, grace).verified  # the same list, another bit

    change_record_status(services, "uni", grace, "suspend", reason="appeal", client_id=None)
    assert not verify(other, grace).verified
    change_record_status(services, "uni", grace, "unsuspend", reason="", client_id=None)
    assert verify(other, grace).verified
    assert not verify(other, ada).verified  # revocation is permanent


def test_a_key_added_in_one_process_is_in_the_next_document_another_reads(
    services: Services, other: Services
) -> None:
    make_issuer(services, "uni")
    before = issue(services, "ada@example.org")
    assert verify(other, before).verified  # the other process has the one-key DID document

    new_key(services, "uni", client_id=None)
    after = issue(services, "grace@example.org")  # signed with the new key
    assert verify(other, after).verified
    assert verify(other, before).verified  # older keys stay in the document
