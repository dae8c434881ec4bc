"""Issuing without HTTP: one badge, idempotent retries, and batches with per-item outcomes."""

from __future__ import annotations

import pytest

from badge_issuer.application import Services
from badge_issuer.application.issuing import issue_batch, issue_one
from badge_issuer.application.records import get_record
from badge_issuer.application.verifying import verify_presented
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.errors import IdempotencyConflict, NotFound, ValidationFailed
from tests.application.conftest import make_issuer, principal_of

SCOPE = "/api/v1/issuers/uni/achievements/python-data/credentials"


def award(email: str = "ada@example.org", **fields: object) -> IssueRequest:
    return IssueRequest.model_validate({"recipient": {"email": email}, **fields})


def test_an_issued_badge_is_stored_and_verifies(services: Services) -> None:
    created = make_issuer(services)
    caller = principal_of(services, created.admin.api_key)
    issued = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award(),
        client_id=caller.client_id,
        scope=SCOPE,
    )
    assert not issued.replayed
    assert issued.credential["issuer"]["id"] == created.issuer.did
    assert get_record(services, "uni", issued.record.id).credential == issued.credential
    report = verify_presented(services, issued.record.credential_json.encode())
    assert report.verified, report.to_json()


def test_a_retry_replays_and_another_request_under_the_key_conflicts(services: Services) -> None:
    caller = principal_of(services, make_issuer(services).admin.api_key)
    first = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award(),
        client_id=caller.client_id,
        idempotency_key="k1",
        scope=SCOPE,
    )
    again = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award(),
        client_id=caller.client_id,
        idempotency_key="k1",
        scope=SCOPE,
    )
    assert again.replayed
    assert again.credential == first.credential
    with pytest.raises(IdempotencyConflict):
        issue_one(
            services,
            issuer="uni",
            achievement="python-data",
            request=award("grace@example.org"),
            client_id=caller.client_id,
            idempotency_key="k1",
            scope=SCOPE,
        )


def test_an_unknown_achievement_is_not_found(services: Services) -> None:
    make_issuer(services)
    with pytest.raises(NotFound):
        issue_one(services, issuer="uni", achievement="nope", request=award(), client_id=None, scope=SCOPE)


def test_a_batch_reports_each_item_and_replays_under_its_derived_key(services: Services) -> None:
    caller = principal_of(services, make_issuer(services).admin.api_key)
    items = [{"recipient": {"email": "ada@example.org"}}, {"recipient": {"email": "not an email"}}]

    def run() -> list[str]:
        outcomes = issue_batch(
            services,
            issuer="uni",
            achievement="python-data",
            items=items,
            client_id=caller.client_id,
            idempotency_key="batch-1",
            scope=SCOPE,
        )
        assert [outcome.index for outcome in outcomes] == [0, 1]
        assert isinstance(outcomes[1].error, ValidationFailed)
        assert outcomes[1].error.message.startswith("item 1:")
        return [outcome.status for outcome in outcomes]

    assert run() == ["created", "rejected"]
    assert run() == ["replayed", "rejected"]
    # the batch item's key is "<batch key>:<index>", and its request is the same award issued alone
    alone = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award(),
        client_id=caller.client_id,
        idempotency_key="batch-1:0",
        scope=SCOPE,
    )
    assert alone.replayed
