"""An award is written in two short transactions with the signature between them (#11): other
writers are not held up by a signature, a process that dies between the two leaves no record (only
a burnt status position, never handed out again), a twin request with the same Idempotency-Key
waits for the first award, and several processes issuing at once with repeated keys make every
award once, on positions no other award has."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from badge_issuer import issuance
from badge_issuer.application import Services, build_services, stacking
from badge_issuer.application import issuing as issuing_module
from badge_issuer.application.achievements import new_achievement
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.pathways import new_pathway, publish_pathway_version
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.pathway import PathwayInput
from badge_issuer.credential.requests import AchievementInput, IssueRequest
from badge_issuer.crypto.keys import Signer
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.reservations import LEASE
from badge_issuer.db.session import READ_ONLY
from badge_issuer.db.tables import Claim, Credential, IdempotencyReservation, StatusEntry
from badge_issuer.errors import IdempotencyInProgress, Issue, ValidationFailed
from tests.application.conftest import NOW, make_issuer, principal_of

SCOPE = "/api/v1/issuers/uni/achievements/python-data/credentials"


def award(email: str) -> IssueRequest:
    return IssueRequest.model_validate({"recipient": {"email": email}})


class Observed:
    """The real signer, with ``during`` run inside every signature."""

    def __init__(self, signer: Signer, during: Callable[[], None]) -> None:
        self._signer = signer
        self._during = during

    @property
    def verification_method(self) -> str:
        return self._signer.verification_method

    @property
    def public_key(self) -> bytes:
        return self._signer.public_key

    def sign(self, data: bytes) -> bytes:
        self._during()
        return self._signer.sign(data)


def observe_signing(services: Services, during: Callable[[], None]) -> None:
    """Run ``during`` inside each signature ``services`` makes from now on."""
    real = services.issuance
    observed = dataclasses.replace(
        real,
        signer_for=lambda session, issuer: Observed(real.signer_for(session, issuer), during),
        signer_of=lambda issuer, key: Observed(real.signer_of(issuer, key), during),
    )
    services._built["issuance"] = observed


def entries(services: Services) -> tuple[int, int, int]:
    """(records, status entries, status entries without a record)."""
    with services.sessions() as session:
        records = session.scalar(select(func.count()).select_from(Credential))
        taken = session.scalar(select(func.count()).select_from(StatusEntry))
        burnt = session.scalar(
            select(func.count()).select_from(StatusEntry).where(StatusEntry.credential_id.is_(None))
        )
    return int(records or 0), int(taken or 0), int(burnt or 0)


def keyed_award(client_id: int) -> dict[str, Any]:
    """``issue_one``'s arguments for one award to ada@example.org under the Idempotency-Key "k"."""
    return {
        "issuer": "uni",
        "achievement": "python-data",
        "request": award("ada@example.org"),
        "client_id": client_id,
        "idempotency_key": "k",
        "scope": SCOPE,
    }


def test_another_award_is_written_while_one_is_being_signed(services: Services) -> None:
    client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
    inner: list[str] = []

    def issue_another() -> None:
        if inner:
            return
        inner.append("started")
        # a second writer, on another thread, while the first holds its signature: were the first
        # still in its write transaction, this one could not begin (and the join would time out)
        worker = threading.Thread(
            target=lambda: inner.append(
                issue_one(
                    services,
                    issuer="uni",
                    achievement="python-data",
                    request=award("b@example.org"),
                    client_id=client_id,
                    scope=SCOPE,
                ).record.id
            )
        )
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the second award waited for the first one's signature"

    observe_signing(services, issue_another)
    outer = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award("a@example.org"),
        client_id=client_id,
        scope=SCOPE,
    )
    assert len(inner) == 2 and inner[1] != outer.record.id
    assert entries(services) == (2, 2, 0)


def _die_while_signing(overrides: dict[str, Any], client_id: int) -> None:
    """In a child process: prepare an award, then die (kill -9 alike) in the middle of its signature."""
    services = build_services(Settings(**overrides), clock=fixed_clock(NOW))
    observe_signing(services, lambda: os._exit(9))
    issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=award("ada@example.org"),
        client_id=client_id,
        idempotency_key="course-7-ada",
        scope=SCOPE,
    )


def test_a_process_dying_between_the_transactions_leaves_no_record_and_its_retry_issues_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'badges.sqlite3'}",
        "keys_dir": str(tmp_path / "keys"),
        "base_url": "http://127.0.0.1:8000",
    }
    now = [NOW]
    services = build_services(Settings(**overrides), clock=lambda: now[0])
    try:
        upgrade(services.engine)
        client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
        assert client_id is not None
        child = multiprocessing.get_context("spawn").Process(
            target=_die_while_signing, args=(overrides, client_id)
        )
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 9
        assert entries(services) == (0, 1, 1)  # no record; its position is taken (burnt)
        with services.sessions() as session:
            assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 1

        # a retry within the lease: the award may still be in flight, so it is not issued again
        monkeypatch.setattr(issuing_module, "IN_FLIGHT_WAIT_SECONDS", 0.2)
        retry: dict[str, Any] = {
            "issuer": "uni",
            "achievement": "python-data",
            "request": award("ada@example.org"),
            "client_id": client_id,
            "idempotency_key": "course-7-ada",
            "scope": SCOPE,
        }
        with pytest.raises(IdempotencyInProgress) as in_progress:
            issue_one(services, **retry)
        assert in_progress.value.retry_after >= 1
        assert entries(services) == (0, 1, 1)

        # once the lease ran out, the retry takes the key over and issues exactly once
        now[0] = NOW + LEASE + timedelta(seconds=1)
        issued = issue_one(services, **retry)
        again = issue_one(services, **retry)
        assert not issued.replayed and again.replayed and again.record.id == issued.record.id
        assert entries(services) == (1, 2, 1)
        with services.sessions() as session:
            assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
            [burnt] = session.scalars(select(StatusEntry.position).where(StatusEntry.credential_id.is_(None)))
        assert int(issued.credential["credentialStatus"]["statusListIndex"]) != burnt
    finally:
        services.close()


def test_a_failed_signature_releases_the_key_and_burns_the_position(services: Services) -> None:
    client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
    failures = [RuntimeError("the key vault is down")]

    def fail_once() -> None:
        if failures:
            raise failures.pop()

    observe_signing(services, fail_once)
    request = keyed_award(client_id)
    with pytest.raises(RuntimeError, match="key vault"):
        issue_one(services, **request)
    assert entries(services) == (0, 1, 1)
    issued = issue_one(services, **request)  # at once: the key was released
    assert not issued.replayed
    assert entries(services) == (1, 2, 1)


def test_a_twin_stored_between_the_read_and_the_reservation_is_replayed_and_the_key_released(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A twin that stored its award between the award's read and its reservation is found once
    the key is reserved, and replayed: nothing is signed, no position taken, no key left held."""
    client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
    request = keyed_award(client_id)
    real_plan = issuance.plan_badge
    twins: list[Any] = []

    def plan_after_a_twin_stored(*args: Any, **kwargs: Any) -> Any:
        if not twins:  # after our read found no earlier award: a twin's whole award lands
            twins.append(None)
            worker = threading.Thread(target=lambda: twins.append(issue_one(services, **request)))
            worker.start()
            worker.join(timeout=30)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(issuing_module, "plan_badge", plan_after_a_twin_stored)
    issued = issue_one(services, **request)
    twin = twins[1]
    assert not twin.replayed
    assert issued.replayed and issued.record.id == twin.record.id and issued.credential == twin.credential
    assert entries(services) == (1, 1, 0)
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0


class RefuseOnce:
    """The real schema validator, refusing the first credential it is shown."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.refused = False

    def validate_credential(self, credential: dict[str, Any]) -> None:
        if not self.refused:
            self.refused = True
            raise ValidationFailed("refused once", [Issue("/credentialSubject", "refused once")])
        self._real.validate_credential(credential)


def test_the_credential_is_built_after_the_write_and_a_refusal_burns_the_position(
    services: Services,
) -> None:
    client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
    writes: list[bool] = []  # for each write transaction begun: was a record built by then?
    built: list[bool] = []
    validator = RefuseOnce(services.issuance.schemas)

    class Watching:
        def validate_credential(self, credential: dict[str, Any]) -> None:
            built.append(True)
            validator.validate_credential(credential)

    services._built["issuance"] = dataclasses.replace(services.issuance, schemas=Watching())  # type: ignore[arg-type]

    @event.listens_for(services.engine, "begin")
    def _begin(connection: Any) -> None:
        if not connection.get_execution_options().get(READ_ONLY, False):
            writes.append(bool(built))

    request = keyed_award(client_id)
    with pytest.raises(ValidationFailed, match="refused once"):
        issue_one(services, **request)
    # the positions were taken before the credential was built; the refusal released the key
    assert writes == [False, True] and entries(services) == (0, 1, 1)
    writes.clear()
    issued = issue_one(services, **request)  # at once: the key was released
    assert writes == [True, True]  # positions (built before: the refused one), then the record
    assert not issued.replayed and entries(services) == (1, 2, 1)
    writes.clear()
    assert issue_one(services, **request).replayed
    assert writes == []  # a replay is answered from a read: nothing is written


def test_an_award_through_pathways_reads_once_and_writes_twice(services: Services) -> None:
    """The pathways an award may advance are read in the award's own read transaction (#11), its
    claim is opened in its second write; a pathway requiring the achievement is still found."""
    client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
    begun: list[str] = []

    @event.listens_for(services.engine, "begin")
    def _begin(connection: Any) -> None:
        begun.append("read" if connection.get_execution_options().get(READ_ONLY, False) else "write")

    found: list[list[str]] = []
    real = stacking._requiring_in

    def requiring(session: Any, issuer: str, achievement: str) -> list[str]:
        found.append(real(session, issuer, achievement))
        return found[-1]

    request = keyed_award(client_id)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stacking, "_requiring_in", requiring)
        issued = stacking.issue_one(services, **request)
        assert begun == ["read", "write", "write"] and found == [[]]
        begun.clear()
        assert stacking.issue_one(services, **request).replayed
        assert begun == ["read"] and found == [[], []]  # a replay looks too (it advances them again)
    with services.sessions() as session:
        claims = session.scalars(select(Claim.credential_id)).all()
        assert claims == [issued.record.id]
    for slug in ("cert", "stats"):
        course = {"slug": slug, "name": slug, "description": "A course.", "criteria": {"narrative": "Done."}}
        new_achievement(services, "uni", AchievementInput.model_validate(course))

    def pathway(step: str) -> PathwayInput:
        steps = [{"type": "achievement", "achievement": step}]
        data = {"slug": "track", "name": "T", "target": "cert"}
        return PathwayInput.model_validate(data | {"requirements": {"type": "allOf", "requirements": steps}})

    new_pathway(services, "uni", pathway("python-data"))
    with services.readers() as session:
        assert stacking._requiring_in(session, "uni", "python-data") == ["track"]
        assert stacking._requiring_in(session, "nobody", "python-data") == []
    publish_pathway_version(services, "uni", "track", pathway("stats"))  # its current version counts
    with services.readers() as session:
        assert stacking._requiring_in(session, "uni", "python-data") == []
        assert stacking._requiring_in(session, "uni", "stats") == ["track"]


# --- several processes at once ------------------------------------------------------------------

PROCESSES = 4
KEYS = 30  # each process issues every key: 4 × 30 requests, 30 awards


def _issue_all(overrides: dict[str, Any], client_id: int, seed: int) -> list[tuple[str, str, bool]]:
    """In a child process: every key once, in this process's own order → [(key, record id, replayed)]."""
    import random

    services = build_services(Settings(**overrides))
    try:
        keys = [f"row-{n}" for n in range(KEYS)]
        random.Random(seed).shuffle(keys)
        out = []
        for key in keys:
            issued = issue_one(
                services,
                issuer="uni",
                achievement="python-data",
                request=award(f"{key}@example.org"),
                client_id=client_id,
                idempotency_key=key,
                scope=SCOPE,
            )
            out.append((key, issued.record.id, issued.replayed))
        return out
    finally:
        services.close()


@pytest.fixture
def shared_settings(database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield {
        "database_url": database_url,
        "keys_dir": str(tmp_path / "keys"),
        "base_url": "http://127.0.0.1:8000",
    }


def test_processes_issuing_at_once_with_repeated_keys_make_each_award_once(
    shared_settings: dict[str, Any],
) -> None:
    services = build_services(Settings(**shared_settings))
    try:
        upgrade(services.engine)
        client_id = principal_of(services, make_issuer(services).admin.api_key).client_id
        with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
            results = pool.starmap(
                _issue_all, [(shared_settings, client_id, seed) for seed in range(PROCESSES)]
            )
            # let the workers finish and exit on their own: the context's terminate() would send
            # SIGTERM, and a worker killed holding the task queue's lock leaves the others
            # waiting for it, and the join with them (seen under coverage)
            pool.close()
            pool.join()
        by_key: dict[str, set[str]] = {}
        for key, record_id, _ in (row for rows in results for row in rows):
            by_key.setdefault(key, set()).add(record_id)
        assert len(by_key) == KEYS and all(len(ids) == 1 for ids in by_key.values()), "a key was issued twice"
        created = Counter(key for rows in results for key, _, replayed in rows if not replayed)
        assert created == Counter({f"row-{n}": 1 for n in range(KEYS)})
        with services.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Credential)) == KEYS
            positions = session.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
            assert len(positions) == len(set(positions))
            attached = session.scalars(
                select(StatusEntry.credential_id).where(StatusEntry.credential_id.is_not(None))
            )
            awarded = sorted(ids.pop() for ids in by_key.values())
            assert sorted(str(record_id) for record_id in attached) == awarded
            assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
    finally:
        services.close()
