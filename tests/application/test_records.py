"""Records and status changes without HTTP: filters, tenancy, audit history, the status list."""

from __future__ import annotations

import json

import pytest

from badge_issuer.application import Services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.records import RecordQuery, change_record_status, get_record, list_records
from badge_issuer.application.verifying import verify_presented
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.errors import NotFound, StateConflict
from tests.application.conftest import make_issuer


def issue(services: Services, issuer: str, email: str) -> str:
    request = IssueRequest.model_validate({"recipient": {"email": email}})
    return issue_one(
        services, issuer=issuer, achievement="python-data", request=request, client_id=None, scope="/t"
    ).record.id


def test_records_are_found_by_recipient_and_status_and_stay_with_their_issuer(services: Services) -> None:
    make_issuer(services, "uni")
    make_issuer(services, "other")
    ada = issue(services, "uni", "ada@example.org")
    issue(services, "uni", "grace@example.org")
    theirs = issue(services, "other", "ada@example.org")

    page = list_records(services, "uni", RecordQuery(recipient="ADA@example.org"))
    assert [record.id for record in page.items] == [ada]
    assert page.next_cursor is None
    assert page.items[0].achievement_slug == "python-data"
    assert page.items[0].achievement_version == 1
    assert page.items[0].history is None

    first = list_records(services, "uni", RecordQuery(limit=1))
    second = list_records(services, "uni", RecordQuery(limit=1, cursor=first.next_cursor))
    assert first.next_cursor is not None
    assert len(second.items) == 1
    assert ada in {first.items[0].id, second.items[0].id}
    assert first.items[0].id != second.items[0].id
    with pytest.raises(NotFound):
        get_record(services, "uni", theirs)


def test_revocation_is_audited_permanent_and_published(services: Services) -> None:
    make_issuer(services, "uni", suspension=True)
    record_id = issue(services, "uni", "ada@example.org")

    suspended = change_record_status(services, "uni", record_id, "suspend", reason="appeal", client_id=None)
    assert suspended.status == "suspended"
    revoked = change_record_status(services, "uni", record_id, "revoke", reason="plagiarism", client_id=None)
    assert revoked.status == "revoked"
    assert revoked.history is not None
    assert [(e.action, e.reason) for e in revoked.history] == [
        ("suspend", "appeal"),
        ("revoke", "plagiarism"),
    ]
    with pytest.raises(StateConflict, match="revocation is permanent"):
        change_record_status(services, "uni", record_id, "unsuspend", reason="", client_id=None)
    again = change_record_status(services, "uni", record_id, "revoke", reason="retry", client_id=None)
    assert again == revoked  # retry-safe: the same state, no second audit event
    assert list_records(services, "uni", RecordQuery(status="revoked")).items[0].id == record_id

    credential = get_record(services, "uni", record_id).credential
    report = verify_presented(services, json.dumps(credential).encode())
    status = next(check for check in report.checks if check.id == "status")
    assert status.status == "failed", status
    assert not report.verified
