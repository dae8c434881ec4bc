"""Single awards that arrive together, issued together: each request answered as if alone, on
SQLite and PostgreSQL, with real threads, signatures and databases."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from badge_issuer.application import Services, build_services, bulk_issuing
from badge_issuer.application.award_groups import award
from badge_issuer.application.issuing import IN_FLIGHT_WAIT_SECONDS, issue_command
from badge_issuer.application.verifying import verify_presented
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.statements import insert_many
from badge_issuer.db.tables import Claim, Credential, IdempotencyReservation, StatusEntry
from badge_issuer.errors import IdempotencyConflict, ValidationFailed
from badge_issuer.issuance import IssueCommand, IssuedBadge
from badge_issuer.observability.logs import AUDIT_LOGGER, current_request_id, request_id_scope
from tests.application.conftest import NOW, make_issuer, principal_of

SCOPE = "/api/v1/issuers/uni/achievements/python-data/credentials"


@pytest.fixture
def deployed(make_settings: Callable[..., Settings], database_url: str) -> Iterator[tuple[Services, int]]:
    services = build_services(make_settings(database_url=database_url), clock=fixed_clock(NOW))
    try:
        upgrade(services.engine)
        client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
        assert client_id is not None
        yield services, client_id
    finally:
        services.close()


def command(client_id: int, n: int, key: str | None = None, **fields: object) -> IssueCommand:
    request = IssueRequest.model_validate({"recipient": {"email": f"learner{n}@example.org"}, **fields})
    return issue_command(
        issuer="uni",
        achievement="python-data",
        request=request,
        client_id=client_id,
        idempotency_key=key if key is not None else f"key-{n}",
        scope=SCOPE,
    )


class HeldFirst:
    """Pathways as read for an award: none. The first award's read waits until ``others`` awards
    wait behind it, so they are issued together once it ends."""

    def __init__(self, services: Services, others: int) -> None:
        self.services, self.others = services, others
        self.calls = 0

    def __call__(self, _session: Session, issuer: str, achievement: str) -> list[str]:
        self.calls += 1
        if self.calls == 1:
            deadline = time.monotonic() + 30
            while self.services.award_groups.waiting < self.others and time.monotonic() < deadline:
                time.sleep(0.002)
        return []


def run_together(
    services: Services, commands: list[IssueCommand]
) -> tuple[IssuedBadge | BaseException, list[IssuedBadge | BaseException]]:
    """The first command alone, the others sent while it is issued; each one's award or error."""
    pathways = HeldFirst(services, len(commands) - 1)
    answers: dict[int, IssuedBadge | BaseException] = {}

    def send(index: int) -> None:
        with request_id_scope(f"request-{index}"):
            try:
                answers[index] = award(services, commands[index], pathways)[0]
            except Exception as exc:
                answers[index] = exc

    first = threading.Thread(target=send, args=(0,))
    first.start()
    while pathways.calls == 0:
        time.sleep(0.001)
    others = [threading.Thread(target=send, args=(index,)) for index in range(1, len(commands))]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=60)
    return answers[0], [answers[index] for index in range(1, len(commands))]


class AuditLines(logging.Handler):
    """The credential of each ``credential.issued`` audit line, by the request id it was told under."""

    def __init__(self) -> None:
        super().__init__()
        self.told: dict[str, str | None] = {}

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", {})
        if fields.get("event") == "credential.issued":
            self.told[fields["credential"]] = current_request_id()


@pytest.fixture
def audit_lines() -> Iterator[AuditLines]:
    handler = AuditLines()
    logger = logging.getLogger(AUDIT_LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def group_sizes(services: Services) -> dict[str, float]:
    samples = services.metrics.registry.get_sample_value
    return {le: samples("badge_issue_group_size_bucket", {"le": le}) or 0.0 for le in ("1.0", "8.0", "+Inf")}


def stored(services: Services) -> dict[str, Any]:
    with services.readers() as session:
        return {
            "records": session.scalar(select(func.count()).select_from(Credential)),
            "claims": session.scalar(select(func.count()).select_from(Claim)),
            "attached": session.scalar(
                select(func.count()).select_from(StatusEntry).where(StatusEntry.credential_id.is_not(None))
            ),
            "burnt": session.scalar(
                select(func.count()).select_from(StatusEntry).where(StatusEntry.credential_id.is_(None))
            ),
            "reserved": session.scalar(select(func.count()).select_from(IdempotencyReservation)),
        }


def test_awards_that_arrive_together_are_issued_together_each_answered_as_if_alone(
    deployed: tuple[Services, int], audit_lines: AuditLines
) -> None:
    services, client_id = deployed
    earlier = award(services, command(client_id, 90, key="taken"), HeldFirst(services, 0))[0]
    commands = [
        command(client_id, 0),
        *(command(client_id, n) for n in range(1, 6)),  # 1-5: new awards
        command(client_id, 3),  # a twin of 3, in the same group
        command(client_id, 90, key="taken"),  # a retry of an earlier award: replayed
        command(client_id, 91, key="taken"),  # another award under that key: a conflict
        command(client_id, 7, validUntil="2020-01-01T00:00:00Z"),  # ends before it starts
    ]
    alone, together = run_together(services, commands)
    assert isinstance(alone, IssuedBadge) and not alone.replayed
    assert group_sizes(services)["1.0"] == 2  # the earlier award and the first, each alone
    assert group_sizes(services)["8.0"] == 2 and group_sizes(services)["+Inf"] == 3  # then the 9 others
    new, twin, retry, conflict, invalid = together[:5], together[5], together[6], together[7], together[8]
    assert all(isinstance(one, IssuedBadge) and not one.replayed for one in new)
    emails = [
        one.credential["credentialSubject"]["identifier"] for one in new if isinstance(one, IssuedBadge)
    ]
    assert len({str(email) for email in emails}) == 5  # each its own recipient
    assert isinstance(twin, IssuedBadge) and isinstance(new[2], IssuedBadge)
    assert twin.credential == new[2].credential  # the twin waited for 3's award, and replayed it
    assert isinstance(retry, IssuedBadge) and retry.replayed and retry.credential == earlier.credential
    assert isinstance(conflict, IdempotencyConflict)
    assert isinstance(invalid, ValidationFailed)
    assert stored(services) == {"records": 7, "claims": 7, "attached": 7, "burnt": 0, "reserved": 0}
    # each new award told once, by its own request (its audit line carries that request's id)
    told = {index: one.record.id for index, one in enumerate([alone, *new]) if isinstance(one, IssuedBadge)}
    assert {credential: audit_lines.told[credential] for credential in told.values()} == {
        credential: f"request-{index}" for index, credential in told.items()
    }
    assert len(audit_lines.told) == 7  # the earlier award too; no replay or rejection is audited
    for one in (alone, new[0], new[4]):
        assert isinstance(one, IssuedBadge)
        report = verify_presented(services, one.record.credential_json.encode())
        assert report.verified, report.to_json()


def test_a_group_that_fails_as_a_whole_is_issued_award_by_award(
    deployed: tuple[Services, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, client_id = deployed
    signed_together = bulk_issuing.sign_here

    def fails_once(services: Services, ready: Any) -> Any:
        monkeypatch.setattr(bulk_issuing, "sign_here", signed_together)
        raise RuntimeError("an unexpected failure while the group was signed")

    monkeypatch.setattr(bulk_issuing, "sign_here", fails_once)
    started = time.monotonic()
    alone, together = run_together(services, [command(client_id, n) for n in range(4)])
    # the group's keys were released when it failed: an award alone would otherwise have waited
    # IN_FLIGHT_WAIT_SECONDS for its own key, then answered "in progress"
    assert time.monotonic() - started < IN_FLIGHT_WAIT_SECONDS
    assert isinstance(alone, IssuedBadge)
    assert all(isinstance(one, IssuedBadge) and not one.replayed for one in together)
    # the positions the group took stay burnt
    assert stored(services) == {"records": 4, "claims": 4, "attached": 4, "burnt": 3, "reserved": 0}


def test_a_group_that_fails_while_it_is_stored_issues_no_award_twice(
    deployed: tuple[Services, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, client_id = deployed
    stored_together = insert_many

    def fails_once(session: Session, records: Any) -> None:
        monkeypatch.setattr(bulk_issuing, "insert_many", stored_together)
        raise RuntimeError("the connection dropped while the group was stored")

    monkeypatch.setattr(bulk_issuing, "insert_many", fails_once)
    keyless = issue_command(
        issuer="uni",
        achievement="python-data",
        request=IssueRequest.model_validate({"recipient": {"email": "nokey@example.org"}}),
        client_id=client_id,
        idempotency_key=None,
        scope=SCOPE,
    )
    alone, together = run_together(services, [command(client_id, 0), command(client_id, 1), keyless])
    assert isinstance(alone, IssuedBadge)
    # the keyed award is issued alone (it would have replayed, had the group stored it); the
    # keyless one, which nothing could tell from a second award, is answered with the error
    assert isinstance(together[0], IssuedBadge) and not together[0].replayed
    assert isinstance(together[1], RuntimeError)
    assert stored(services) == {"records": 2, "claims": 2, "attached": 2, "burnt": 2, "reserved": 0}


def test_with_groups_of_one_every_award_is_issued_alone_in_its_own_thread(
    make_settings: Callable[..., Settings],
) -> None:
    services = build_services(make_settings(issue_group_max=1), clock=fixed_clock(NOW))
    try:
        upgrade(services.engine)
        client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
        assert client_id is not None
        threads: list[str] = []

        def read_in_own_thread(_session: Session, issuer: str, achievement: str) -> list[str]:
            threads.append(threading.current_thread().name)
            return []

        answers: dict[str, IssuedBadge] = {}

        def send(n: int) -> None:
            answers[threading.current_thread().name] = award(
                services, command(client_id, n), read_in_own_thread
            )[0]

        started = [threading.Thread(target=send, args=(n,), name=f"request-{n}") for n in range(4)]
        for thread in started:
            thread.start()
        for thread in started:
            thread.join(timeout=60)
        assert sorted(threads) == sorted(answers) == [f"request-{n}" for n in range(4)]
        assert group_sizes(services)["+Inf"] == 0  # the coalescer was never asked
        assert stored(services)["records"] == 4
    finally:
        services.close()
