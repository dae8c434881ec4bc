"""A bulk job's chunks in-process, on SQLite and PostgreSQL: the batched issuance path
(``bulk_issuing``, ``bulk_prepare``, ``db.bulk``) awards each row once, replays what was awarded
under a row's key, rejects what must be, never hands a status position out twice, and makes
credentials that verify like those issued one at a time."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from procrastinate import RetryStrategy
from sqlalchemy import delete, event, func, select, text

from badge_issuer import issuance
from badge_issuer.application import Services, build_services, bulk_issuing
from badge_issuer.application.achievements import new_achievement
from badge_issuer.application.bulk_batch import issue_many
from badge_issuer.application.bulk_issuing import (
    ChunkSpec,
    Made,
    RowIn,
    _command,
    issue_rows,
    sign_here,
)
from badge_issuer.application.bulk_prepare import Ready
from badge_issuer.application.bulk_signing import PoolSigning, Shared, Task, _made, make_slice, slices_of
from badge_issuer.application.issuing import issue_batch, issue_one
from badge_issuer.application.job_chunks import NOT_AWARDED, run_chunk
from badge_issuer.application.job_queue import InlineWorker
from badge_issuer.application.job_runner import JobRunner
from badge_issuer.application.jobs import cancel_job, get_job, job_results, retry_job, submit_job
from badge_issuer.application.pathways import new_pathway
from badge_issuer.clock import Clock, fixed_clock, system_clock
from badge_issuer.config import Settings
from badge_issuer.credential.pathway import PathwayInput
from badge_issuer.credential.requests import AchievementInput, IssueRequest
from badge_issuer.db.bulk import BulkRepository
from badge_issuer.db.migrate import upgrade
from badge_issuer.db.reservations import Reservation, ReservationRepository
from badge_issuer.db.tables import (
    Achievement,
    ApiClient,
    Claim,
    Credential,
    IdempotencyReservation,
    StatusEntry,
    StatusList,
)
from badge_issuer.errors import BadgeIssuerError, IdempotencyConflict, KeyMismatch, ValidationFailed
from badge_issuer.issuance import IssueCommand, recipient_hash
from badge_issuer.verification import verify_badge
from tests.application.conftest import NOW, make_issuer
from tests.conftest import fresh_postgres_database

SCOPE = "/api/v1/issuers/uni/achievements/python-data/credentials"


@pytest.fixture
def bulk(make_settings: Callable[..., Settings], database_url: str) -> Iterator[tuple[Services, int]]:
    """Services on the database (queue off: the chunks are run here), an issuer and its client id."""
    settings = make_settings(database_url=database_url, job_queue="thread", status_list_size=131_072)
    with deployed(settings, fixed_clock(NOW)) as made:
        yield made


@contextmanager
def deployed(settings: Settings, clock: Clock = system_clock) -> Iterator[tuple[Services, int]]:
    """Services on a migrated database with the issuer of ``make_issuer``, and its client's id."""
    services = build_services(settings, clock=clock)
    try:
        upgrade(services.engine)
        created = make_issuer(services)
        assert created.admin.api_key
        with services.readers() as session:
            client_id = session.scalars(select(ApiClient.id)).one()
        yield services, client_id
    finally:
        services.close()


@contextmanager
def on_the_queue(
    make_settings: Callable[..., Settings], postgres_url: str, chunk_rows: int
) -> Iterator[tuple[Services, int]]:
    """``deployed`` on a fresh PostgreSQL database, jobs on procrastinate in chunks of ``chunk_rows``."""
    with fresh_postgres_database(postgres_url) as database_url:
        settings = make_settings(
            database_url=database_url, job_chunk_rows=chunk_rows, job_heartbeat_seconds=0.2
        )
        with deployed(settings, fixed_clock(NOW)) as made:
            yield made


def row(n: int, **extra: Any) -> dict[str, Any]:
    return {"idempotencyKey": f"row-{n}", "recipient": {"email": f"learner{n}@example.org"}, **extra}


def submit(services: Services, client_id: int, rows: list[dict[str, Any]]) -> str:
    view = submit_job(
        services,
        issuer="uni",
        achievement="python-data",
        rows=list(enumerate(rows, start=1)),
        client_id=client_id,
        scope=SCOPE,
    )
    return view.id


def test_a_chunk_awards_replays_and_rejects_each_row_once(bulk: tuple[Services, int]) -> None:
    services, client_id = bulk
    # row-3 awarded alone before; row-6 twice in the job (replayed); row-1's key reused for another
    # award (rejected); row-5 does not validate (rejected when submitted)
    alone = IssueRequest.model_validate({"recipient": row(3)["recipient"]})
    first = issue_one(
        services,
        issuer="uni",
        achievement="python-data",
        request=alone,
        client_id=client_id,
        idempotency_key="row-3",
        scope=SCOPE,
    )
    rows = [row(n) for n in range(1, 5)]
    rows += [{"idempotencyKey": "row-5", "recipient": {}}, row(6), row(6), {**row(1), "narrative": "Other."}]
    job_id = submit(services, client_id, rows)
    result = run_chunk(services, job_id, 1, 8, batch=3)
    assert (result.left, result.stopped) == (0, False)
    view = get_job(services, "uni", job_id)
    assert view.status == "done"
    assert view.counts == {"pending": 0, "created": 4, "replayed": 2, "rejected": 2}
    results = {line.row: line for line in job_results(services, "uni", job_id, after=0, limit=100)}
    assert results[3].state == "replayed" and results[3].credential_id == first.record.id
    assert results[7].state == "replayed" and results[7].credential_id == results[6].credential_id
    assert results[8].problem is not None and results[8].problem["code"] == "idempotency-conflict"
    assert results[5].problem is not None
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 5
        assert session.scalar(select(func.count()).select_from(Claim)) == 5
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
        attached = session.scalars(select(StatusEntry.credential_id)).all()
        assert len(attached) == 5 and None not in attached
        stored = session.get(Credential, results[2].credential_id)
        assert stored is not None and stored.idempotency_key == "row-2"
        credential = json.loads(stored.credential_json)
    report = verify_badge(credential, ctx=services.verify_context)
    assert report.verified, report.to_json()
    # the job is done: running its chunk again awards nothing more
    assert run_chunk(services, job_id, 1, 8).awarded == 0


class Overlapping:
    """A Signing working ``in_background``, as a running ``PoolSigning`` does: it makes the awards
    here, and records when each batch was begun and when its awards were waited for."""

    in_background = True

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def __call__(self, services: Services, ready: Sequence[Ready]) -> list[Made | BadgeIssuerError]:
        return sign_here(services, ready)

    def begin(
        self, services: Services, ready: Sequence[Ready]
    ) -> Callable[[], list[Made | BadgeIssuerError]]:
        number = sum(1 for event, _ in self.events if event == "begin") + 1
        self.events.append(("begin", number))
        made = sign_here(services, ready)

        def results() -> list[Made | BadgeIssuerError]:
            self.events.append(("wait", number))
            return made

        return results


def test_a_batch_is_begun_while_the_one_before_is_made_and_a_twin_in_flight_waits(
    bulk: tuple[Services, int],
) -> None:
    services, client_id = bulk
    # batches of 3: row 5 reuses row 2's key while row 2's batch is still being made
    rows = [row(1), row(2), row(3), row(4), row(2), row(6), row(7)]
    job_id = submit(services, client_id, rows)
    signing = Overlapping()
    result = run_chunk(services, job_id, 1, 7, batch=3, signing=signing)
    assert (result.awarded, result.left, result.stopped) == (7, 0, False)
    # the runner prepared the next batch before it waited for (and stored) the one before
    assert signing.events[:3] == [("begin", 1), ("begin", 2), ("wait", 1)]
    assert get_job(services, "uni", job_id).counts == {
        "pending": 0,
        "created": 6,
        "replayed": 1,
        "rejected": 0,
    }
    results = {line.row: line for line in job_results(services, "uni", job_id, after=0, limit=100)}
    assert results[5].state == "replayed" and results[5].credential_id == results[2].credential_id
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
        positions = session.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
        assert len(positions) == len(set(positions)) == 6
        stored = session.get(Credential, results[7].credential_id)
        assert stored is not None
    assert verify_badge(json.loads(stored.credential_json), ctx=services.verify_context).verified


def test_a_runner_told_to_stop_stores_nothing_more_and_the_next_run_awards_the_dropped_batch(
    bulk: tuple[Services, int],
) -> None:
    services, client_id = bulk
    job_id = submit(services, client_id, [row(n) for n in range(1, 8)])
    # the lease is lost (or the job cancelled) at the fourth look: one at the start, one per batch
    answers = iter([True, True, True, False])
    signing = Overlapping()
    stopped = run_chunk(services, job_id, 1, 7, batch=3, signing=signing, keep_going=lambda: next(answers))
    # batch 1 was stored; batch 2, begun before the runner learned to stop, was dropped
    assert (stopped.awarded, stopped.left, stopped.stopped) == (3, 0, True)
    assert signing.events == [("begin", 1), ("begin", 2), ("wait", 1)]
    assert get_job(services, "uni", job_id).counts["created"] == 3
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 3
        taken = session.scalar(select(func.count()).select_from(StatusEntry))
    # the chunk's next run releases the dropped batch's keys and awards every row left, once
    done = run_chunk(services, job_id, 1, 7, batch=3, signing=Overlapping())
    assert (done.awarded, done.left, done.stopped) == (4, 0, False)
    assert get_job(services, "uni", job_id).counts == {
        "pending": 0,
        "created": 7,
        "replayed": 0,
        "rejected": 0,
    }
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
        entries = session.execute(
            select(StatusEntry.list_id, StatusEntry.position, StatusEntry.credential_id)
        ).all()
    # the dropped batch's positions stay burnt (taken, never attached), never handed out again
    assert taken == 6 and len(entries) == 6 + 4 and len({(e[0], e[1]) for e in entries}) == 10
    assert sum(1 for entry in entries if entry[2] is None) == 3


def test_retry_puts_rejected_rows_back_and_cancel_stops_the_chunk(bulk: tuple[Services, int]) -> None:
    services, client_id = bulk
    job_id = submit(services, client_id, [row(1), {**row(2), "validUntil": "2000-01-01T00:00:00Z"}, row(3)])
    run_chunk(services, job_id, 1, 3)
    assert get_job(services, "uni", job_id).counts["rejected"] == 1
    retried = retry_job(services, "uni", job_id, client_id=client_id)
    assert retried.status == "queued" and retried.counts["pending"] == 1
    run_chunk(services, job_id, 1, 3)
    assert get_job(services, "uni", job_id).counts == {
        "pending": 0,
        "created": 2,
        "replayed": 0,
        "rejected": 1,
    }
    other = submit(services, client_id, [row(n) for n in range(10, 20)])
    assert cancel_job(services, "uni", other, client_id=client_id).status == "cancelled"
    stopped = run_chunk(services, other, 1, 10)
    assert stopped.stopped and stopped.awarded == 0
    assert get_job(services, "uni", other).counts["pending"] == 10


def test_a_row_whose_key_a_request_holds_waits_and_a_dead_holders_key_is_taken_over(
    bulk: tuple[Services, int],
) -> None:
    services, client_id = bulk
    spec = ChunkSpec("uni", "python-data", client_id, SCOPE)
    rows = [RowIn(n, n, row(n), f"row-{n}") for n in (1, 2, 3)]
    # a request holds row-1's key (being signed now): the row waits; another request holds row-2's
    # (a conflict); a request that died an hour ago held row-3's: taken over
    hashes = [_command(spec, one).request_hash for one in rows]
    with services.sessions() as session, session.begin():
        reservations = ReservationRepository(session)
        reservations.take(client_id, "row-1", hashes[0], now=NOW)
        reservations.take(client_id, "row-2", "another request", now=NOW)
        reservations.take(client_id, "row-3", hashes[2], now=NOW - timedelta(hours=1))
    outcomes = issue_rows(services, spec, rows)
    assert [outcome.state for outcome in outcomes] == ["pending", "rejected", "created"]
    assert isinstance(outcomes[1].error, IdempotencyConflict)
    with services.readers() as session:
        held = session.scalars(select(IdempotencyReservation.idempotency_key)).all()
    assert sorted(held) == ["row-1", "row-2"]  # row-3's was released with its award


def test_positions_taken_together_are_distinct_and_a_full_list_opens_the_next(
    make_settings: Callable[..., Settings],
) -> None:
    services = build_services(make_settings(status_list_size=131_072), clock=fixed_clock(NOW))
    upgrade(services.engine)
    make_issuer(services)
    try:
        with services.sessions() as session, session.begin():
            issuer_id = session.scalars(select(StatusList.issuer_id)).first()
            assert issuer_id is not None
            repository = BulkRepository(session)
            size = 131_072
            batch = repository.allocate(issuer_id, "revocation", 5000, size=size, now=NOW, rng=services.rng)
            # a batch that would pass the list's fill limit is taken one at a time, into a new list
            full = session.scalars(select(StatusList).where(StatusList.issuer_id == issuer_id)).first()
            assert full is not None
            full.allocated = int(size * 0.75) - 2
            spill = repository.allocate(issuer_id, "revocation", 4, size=size, now=NOW, rng=services.rng)
            assert repository.allocate(issuer_id, "revocation", 0, size=size, now=NOW, rng=services.rng) == []
            taken = [(status_list.id, position) for status_list, position in batch + spill]
            assert len(taken) == len(set(taken)) == 5004
            assert len({status_list.sequence for status_list, _ in spill}) == 2
            positions = session.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
            assert len(positions) == len(set(positions)) == 5004
    finally:
        services.close()


def test_keys_are_reserved_together(bulk: tuple[Services, int]) -> None:
    services, client_id = bulk
    with services.sessions() as session, session.begin():
        ReservationRepository(session).take(client_id, "held", "h", now=NOW)
        ReservationRepository(session).take(client_id, "stale", "h", now=NOW - timedelta(hours=1))
        answers = BulkRepository(session).reserve(
            client_id, [("new", "h"), ("held", "h"), ("stale", "h"), ("other", "x")], now=NOW
        )
        assert answers["new"] is Reservation.TAKEN and answers["stale"] is Reservation.TAKEN
        assert answers["held"] is Reservation.IN_FLIGHT
        again = BulkRepository(session).reserve(client_id, [("new", "other hash")], now=NOW)
        assert isinstance(again["new"], IdempotencyConflict)
        assert BulkRepository(session).reserve(client_id, [], now=NOW) == {}


def test_a_worker_slice_builds_and_signs_as_this_process_does_and_loads_the_key_once(
    bulk: tuple[Services, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make_slice`` (what a signing process runs, here in-process) gives the credentials and
    records this process makes, reads and checks the issuer's key file once per slice, passes a
    build's error back for its row alone, and refuses a key file that does not hold the public key
    the awards were planned with."""
    services, client_id = bulk
    loads: list[str] = []
    signer = services.keystore.signer

    def counted(name: str, method: str, *, expected_public_key: bytes) -> Any:
        loads.append(name)
        return signer(name, method, expected_public_key=expected_public_key)

    monkeypatch.setattr(services.keystore, "signer", counted)
    sliced: list[tuple[Shared, list[Task]]] = []
    here: list[Made | BadgeIssuerError] = []

    def in_slices(services: Services, ready: Sequence[Ready]) -> list[Made | BadgeIssuerError]:
        loads.clear()  # the prepare step's own load (cached by Services) is not the slices'
        sliced.extend(slices_of(services, ready, 2))
        here.extend(sign_here(services, ready))  # what this process makes of the same awards
        return [_made(outcome) for shared, tasks in sliced for outcome in make_slice(services, shared, tasks)]

    spec = ChunkSpec("uni", "python-data", client_id, SCOPE)
    build = issuance.build_badge

    def failing_for_row_2(command: IssueCommand, *args: Any, **kwargs: Any) -> Any:
        if command.idempotency_key == "slice-2":  # e.g. a badge class whose stored text is refused
            raise ValidationFailed("the credential cannot be built")
        return build(command, *args, **kwargs)

    monkeypatch.setattr(bulk_issuing, "build_badge", failing_for_row_2)
    rows = [RowIn(n, n, row(n), f"slice-{n}") for n in range(5)]
    outcomes = issue_rows(services, spec, rows, signing=in_slices)
    assert [len(tasks) for _, tasks in sliced] == [3, 2] and len(loads) == 2  # once per slice
    assert [outcome.state for outcome in outcomes] == ["created", "created", "rejected", "created", "created"]
    for outcome in outcomes:
        if outcome.issued is not None:
            report = verify_badge(outcome.issued.credential, ctx=services.verify_context)
            assert report.verified, report.to_json()
    with services.readers() as session:  # the failed row's key was released with the others
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
        assert session.scalar(select(func.count()).select_from(Credential)) == 4
    for outcome, made in zip(outcomes, here, strict=True):  # the same records but for their ids
        if outcome.issued is None:
            assert isinstance(made, ValidationFailed)
            continue
        assert isinstance(made, Made)
        columns = [c.key for c in Credential.__table__.columns if c.key not in ("id", "credential_json")]
        assert [getattr(outcome.issued.record, key) for key in columns] == [
            getattr(made.record, key) for key in columns
        ]
        assert outcome.issued.credential["issuer"] == made.credential["issuer"]
        assert (
            outcome.issued.credential["credentialSubject"]["achievement"]
            == (made.credential["credentialSubject"]["achievement"])
        )
    shared, tasks = sliced[0]
    with pytest.raises(KeyMismatch):
        make_slice(services, dataclasses.replace(shared, public_key=bytes(32)), tasks)


def test_a_pool_of_processes_signs_what_verifies(
    make_settings: Callable[..., Settings], tmp_path: Any
) -> None:
    services = build_services(make_settings(job_queue="thread"), clock=fixed_clock(NOW))
    upgrade(services.engine)
    make_issuer(services)
    with services.readers() as session:
        client_id = session.scalars(select(ApiClient.id)).one()
    pool = PoolSigning(services, 2)
    pool.start()
    try:
        spec = ChunkSpec("uni", "python-data", client_id, SCOPE)
        outcomes = issue_rows(
            services, spec, [RowIn(n, n, row(n), f"row-{n}") for n in range(6)], signing=pool
        )
    finally:
        pool.close()
        services.close()
    assert [outcome.state for outcome in outcomes] == ["created"] * 6
    issued = outcomes[4].issued
    assert issued is not None
    services = build_services(make_settings(job_queue="thread"), clock=fixed_clock(NOW))
    try:
        report = verify_badge(issued.credential, ctx=services.verify_context)
        assert report.verified, report.to_json()
    finally:
        services.close()


@pytest.mark.postgres
def test_an_inline_worker_runs_the_queued_chunks_and_those_of_a_dead_worker(
    make_settings: Callable[..., Settings], postgres_url: str
) -> None:
    """In-process, on procrastinate: the chunks deferred with the job run on the serving process's
    worker; a chunk a dead worker held ("doing", its heartbeat an hour old) is handed out again."""
    with on_the_queue(make_settings, postgres_url, chunk_rows=4) as (services, client_id):
        job_id = submit(services, client_id, [row(n) for n in range(10)])  # three chunks
        with services.sessions() as session, session.begin():
            dead = session.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') "
                    "RETURNING id"
                )
            ).scalar_one()
            taken = session.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :dead WHERE id = "
                    "(SELECT min(id) FROM procrastinate_jobs) RETURNING args"
                ),
                {"dead": dead},
            ).scalar_one()
        assert taken["first"] == 1
        worker = InlineWorker(services)
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while get_job(services, "uni", job_id).status != "done":
                assert time.monotonic() < deadline, get_job(services, "uni", job_id)
                time.sleep(0.1)
            assert get_job(services, "uni", job_id).counts["created"] == 10
        finally:
            worker.stop()
            worker._thread.join(30)


def failing_signer(calls: list[int]) -> Callable[[Services, Any], list[Any]]:
    """A signing step that fails every time (a fault no retry cures), counting its calls."""

    def fail(services: Services, ready: Any) -> list[Any]:
        calls.append(1)
        raise RuntimeError("the signing step broke")

    return fail


def wait_until_done(services: Services, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while get_job(services, "uni", job_id).status != "done":
        assert time.monotonic() < deadline, get_job(services, "uni", job_id)
        time.sleep(0.05)


def given_up(services: Services, job_id: str) -> list[int]:
    """The rows rejected because their part of the job kept failing."""
    return [
        line.row
        for line in job_results(services, "uni", job_id, after=0, limit=100)
        if line.problem is not None and line.problem["code"] == NOT_AWARDED
    ]


def test_a_job_that_fails_every_time_gives_its_rows_up_after_the_last_attempt_and_a_retry_awards_them(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    """The lease runner (no queue): three failed runs in a row, and the job ends with its pending
    rows rejected (the cause in each row's problem, no internals), not pending for ever; a retry
    once the fault is gone awards them."""
    settings = make_settings(database_url=database_url, job_queue="thread", status_list_size=131_072)
    with deployed(settings) as (services, client_id):
        calls: list[int] = []
        runner = JobRunner(
            services, lease_seconds=0.05, poll_seconds=0.01, signing=failing_signer(calls), attempts=3
        )
        job_id = submit(services, client_id, [row(1), {"idempotencyKey": "row-2", "recipient": {}}, row(3)])
        runner.start()
        try:
            wait_until_done(services, job_id)
            assert len(calls) == 3
            assert get_job(services, "uni", job_id).counts == {
                "pending": 0,
                "created": 0,
                "replayed": 0,
                "rejected": 3,
            }
            assert given_up(services, job_id) == [1, 3]  # row 2 was rejected when submitted
            line = job_results(services, "uni", job_id, after=0, limit=1)[0]
            assert line.problem is not None
            assert line.problem["detail"] == (
                "not awarded after 3 attempts to run its part of the job: "
                "an internal error (in the server's log)"
            )
            runner.signing = sign_here  # the fault is fixed
            retry_job(services, "uni", job_id, client_id=client_id)
            runner.wake()
            wait_until_done(services, job_id)
            assert get_job(services, "uni", job_id).counts["created"] == 2
        finally:
            runner.stop()


@pytest.mark.postgres
def test_a_chunk_whose_last_attempt_fails_gives_its_rows_up_on_procrastinate(
    make_settings: Callable[..., Settings], postgres_url: str
) -> None:
    """On the queue, a chunk run again by procrastinate's retry strategy: after the last attempt
    its pending rows are rejected and the job ends; the other chunks are awarded."""
    with on_the_queue(make_settings, postgres_url, chunk_rows=2) as (services, client_id):
        calls: list[int] = []
        fail = failing_signer(calls)

        def failing_for_row_3(services: Services, ready: Any) -> list[Any]:
            if any(item.command.idempotency_key == "row-3" for item in ready):
                return fail(services, ready)
            return sign_here(services, ready)

        job_id = submit(services, client_id, [row(n) for n in range(1, 6)])  # chunks 1-2, 3-4, 5
        worker = InlineWorker(services, failing_for_row_3, retry=RetryStrategy(max_attempts=1))
        worker.start()
        try:
            wait_until_done(services, job_id)
        finally:
            worker.stop()
            worker._thread.join(30)
        assert len(calls) == 2  # the first run and one retry
        assert given_up(services, job_id) == [3, 4]
        assert get_job(services, "uni", job_id).counts["created"] == 3


@pytest.mark.postgres
def test_migration_0011_brings_procrastinates_schema_and_takes_it_away(postgres_url: str) -> None:
    from alembic import command

    from badge_issuer.db.migrate import alembic_config
    from badge_issuer.db.session import make_engine

    def queue_objects(engine: Any) -> tuple[int, int]:
        with engine.connect() as connection:
            tables = connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE left(tablename, 14) = 'procrastinate_'")
            )
            functions = connection.scalar(
                text("SELECT count(*) FROM pg_proc WHERE left(proname, 14) = 'procrastinate_'")
            )
            return int(tables), int(functions)

    with fresh_postgres_database(postgres_url) as database_url:
        engine = make_engine(database_url)
        try:
            upgrade(engine)
            assert queue_objects(engine) >= (4, 10)
            command.downgrade(alembic_config(engine), "0010")
            assert queue_objects(engine) == (0, 0)
            upgrade(engine)  # and again, on a database that had it once
            assert queue_objects(engine) >= (4, 10)
        finally:
            engine.dispose()


def test_a_twin_that_stores_first_while_the_batch_is_signed_is_replayed(bulk: tuple[Services, int]) -> None:
    """The batch's one INSERT fails on a key a twin request stored meanwhile (its reservation taken
    over, as after a lease ran out): the batch is stored row by row, the twin's award replayed."""
    services, client_id = bulk
    spec = ChunkSpec("uni", "python-data", client_id, SCOPE)

    def signing_with_a_twin(services: Services, prepared: Any) -> list[Any]:
        with services.sessions() as session, session.begin():
            session.execute(delete(IdempotencyReservation))
        twin = issue_one(
            services,
            issuer="uni",
            achievement="python-data",
            request=IssueRequest.model_validate({"recipient": row(2)["recipient"]}),
            client_id=client_id,
            idempotency_key="row-2",
            scope=SCOPE,
        )
        twins.append(twin.record.id)
        return sign_here(services, prepared)

    twins: list[str] = []
    outcomes = issue_rows(
        services, spec, [RowIn(n, n, row(n), f"row-{n}") for n in (1, 2, 3)], signing=signing_with_a_twin
    )
    assert [outcome.state for outcome in outcomes] == ["created", "replayed", "created"]
    replayed = outcomes[1].issued
    assert replayed is not None and replayed.record.id == twins[0]
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 3
        assert session.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0


@pytest.mark.postgres
def test_a_chunk_cut_short_by_a_stopping_server_is_finished_by_the_next_worker(
    make_settings: Callable[..., Settings], postgres_url: str
) -> None:
    with on_the_queue(make_settings, postgres_url, chunk_rows=1000) as (services, client_id):

        def stopping_while_signing(services: Services, prepared: Any) -> list[Any]:
            first._stopping.set()  # the server is asked to stop while the first batch is signed
            return sign_here(services, prepared)

        first = InlineWorker(services, stopping_while_signing)
        job_id = submit(services, client_id, [row(n) for n in range(150)])  # one chunk, two batches
        first.start()
        try:
            deadline = time.monotonic() + 60
            while get_job(services, "uni", job_id).counts["created"] < 100:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            first.stop()
            first._thread.join(30)  # its chunk's thread is done with the database
        assert get_job(services, "uni", job_id).counts["pending"] == 50  # the batch after the stop waits
        second = InlineWorker(services)
        second.start()
        try:
            deadline = time.monotonic() + 60
            while get_job(services, "uni", job_id).status != "done":
                assert time.monotonic() < deadline, get_job(services, "uni", job_id)
                time.sleep(0.1)
            assert get_job(services, "uni", job_id).counts["created"] == 150
        finally:
            second.stop()
            second._thread.join(30)


def test_a_batch_on_the_batched_path_answers_as_credentials_batch_does(bulk: tuple[Services, int]) -> None:
    """``issue_many`` (the batched path) and ``issue_batch`` (one award at a time) give the same
    outcomes for the same items: keys of their own or derived from the batch's, replays, rejects."""
    services, client_id = bulk
    items: list[dict[str, Any]] = [
        {"recipient": {"email": "a@example.org"}},
        {"idempotencyKey": "own", "recipient": {"email": "b@example.org"}},
        {"recipient": {}},
        {"idempotencyKey": "own", "recipient": {"email": "b@example.org"}},
        {"idempotencyKey": "own", "recipient": {"email": "c@example.org"}},
    ]
    one_by_one = issue_batch(
        services,
        issuer="uni",
        achievement="python-data",
        items=items,
        client_id=client_id,
        idempotency_key="b1",
        scope=SCOPE,
    )
    batched = issue_many(
        services,
        issuer="uni",
        achievement="python-data",
        items=[*items, {"idempotencyKey": "new", "recipient": {"email": "d@example.org"}}],
        client_id=client_id,
        idempotency_key="b1",
        scope=SCOPE,
    )
    assert [o.status for o in one_by_one] == ["created", "created", "rejected", "replayed", "rejected"]
    assert [o.status for o in batched] == [
        "replayed",
        "replayed",
        "rejected",
        "replayed",
        "rejected",
        "created",
    ]
    for alone, together in zip(one_by_one, batched, strict=False):
        if alone.issued is not None:
            assert together.issued is not None and together.issued.record.id == alone.issued.record.id
        else:
            assert alone.error is not None and together.error is not None
            assert alone.error.code == together.error.code


def test_a_job_completes_the_pathways_its_rows_finish_as_the_issue_endpoints_do(
    bulk: tuple[Services, int],
) -> None:
    services, client_id = bulk
    new_achievement(
        services,
        "uni",
        AchievementInput.model_validate(
            {
                "slug": "data-certificate",
                "name": "Data Certificate",
                "description": "Stacks the data courses.",
                "criteria": {"narrative": "Holds every step."},
            }
        ),
    )
    requirements = {"type": "allOf", "requirements": [{"type": "achievement", "achievement": "python-data"}]}
    new_pathway(
        services,
        "uni",
        PathwayInput.model_validate(
            {"name": "Data", "target": "data-certificate", "requirements": requirements}
        ),
    )
    job_id = submit(services, client_id, [row(1), row(2)])
    assert run_chunk(services, job_id, 1, 2).awarded == 2
    with services.readers() as session:
        targets = session.scalars(
            select(Credential).join(Achievement).where(Achievement.slug == "data-certificate")
        ).all()
    assert len(targets) == 2  # one certificate per learner whose row completed the pathway
    assert {target.recipient_hash for target in targets} == {
        recipient_hash(f"learner{n}@example.org", services.issuance.recipient_pepper) for n in (1, 2)
    }
    job_id = submit(services, client_id, [row(1), row(2)])  # replayed rows award nothing new
    run_chunk(services, job_id, 1, 2)
    with services.readers() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 4


def test_a_batch_costs_the_same_statements_whatever_its_size(bulk: tuple[Services, int]) -> None:
    services, client_id = bulk
    spec = ChunkSpec("uni", "python-data", client_id, SCOPE)
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    statements = []
    for first, size in ((1, 2), (3, 7)):
        rows = [RowIn(n, n, row(n), f"row-{n}") for n in range(first, first + size)]
        event.listen(services.engine, "before_cursor_execute", count)
        try:
            outcomes = issue_rows(services, spec, rows)
        finally:
            event.remove(services.engine, "before_cursor_execute", count)
        assert [outcome.state for outcome in outcomes] == ["created"] * size
        statements.append(len(sent))
        sent.clear()
    # a replay look-up, the badge class, the keys, the positions; the records, their positions,
    # their claims, the keys released (SQLite: a BEGIN IMMEDIATE more for each of the two writes)
    assert statements[0] == statements[1] <= 10
