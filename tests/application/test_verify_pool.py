"""The heavy lane's worker processes: the report a worker gives is the one the serving process
gives (our own badges, read from SQLite or PostgreSQL by the worker; a CLR; a batch); one job per
client; a bounded queue; a worker that dies; start and close."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from badge_issuer.application import Services, build_services
from badge_issuer.application.issuing import issue_one
from badge_issuer.application.records import change_record_status
from badge_issuer.application.verify_pool import VerifyPool
from badge_issuer.application.verifying import verify_batch_request, verify_presented
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.db.migrate import upgrade
from badge_issuer.errors import Busy, ConfigurationError, RateLimited
from badge_issuer.observability.metrics import Metrics
from tests.application.conftest import NOW, make_issuer
from tests.badges import Issuer, badge
from tests.checks.test_clr import clr, nested_badge


def hold(services: Services, gate: str) -> int:
    """A job that waits in its worker until the file ``gate`` exists; the worker's process id."""
    deadline = time.monotonic() + 60
    while not Path(gate).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{gate} never appeared")
        time.sleep(0.01)
    return os.getpid()


def database_of(services: Services) -> tuple[str, int]:
    """The database the worker's own Services uses, and the worker's process id."""
    return services.settings.database_url, os.getpid()


def niceness(services: Services) -> int:
    return os.nice(0)


def frozen(services: Services) -> int:
    """How many objects the worker froze out of full garbage collections (``heap.py``)."""
    return gc.get_freeze_count()


def die(services: Services) -> None:
    os._exit(3)


def unbuildable(settings: Settings, *, clock: object) -> Services:
    raise RuntimeError("this worker cannot build its Services")


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def pooled(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Services]:
    """Services whose every verification is heavy, with one worker process, started."""
    settings = make_settings(
        database_url=database_url, verify_workers=1, verify_queue=1, verify_heavy_bytes=1
    )
    services = build_services(settings, clock=fixed_clock(NOW))
    upgrade(services.engine)
    services.verify_pool.start()
    yield services
    services.close()


@pytest.fixture
def in_process(pooled: Services) -> Iterator[Services]:
    """Services on the same database and clock that verify everything in their own process."""
    services = build_services(
        pooled.settings.model_copy(update={"verify_workers": 0}), clock=fixed_clock(NOW)
    )
    yield services
    services.close()


def test_a_worker_gives_the_report_the_serving_process_gives(pooled: Services, in_process: Services) -> None:
    make_issuer(pooled)
    request = IssueRequest.model_validate({"recipient": {"email": "ada@example.org"}})
    issued = issue_one(
        pooled, issuer="uni", achievement="python-data", request=request, client_id=None, scope="/t"
    )
    ours = json.dumps(issued.credential).encode()  # our own issuer: DID document and status list from the DB
    issuer = Issuer()
    transcript = json.dumps(clr(issuer, [nested_badge(issuer, "one"), nested_badge(issuer, "two")])).encode()
    for data, verified in ((ours, True), (transcript, True), (b"not a badge", False)):
        before = pooled.verify_pool.completed
        report = verify_presented(pooled, data, client="a")
        assert pooled.verify_pool.completed == before + 1  # a worker verified it
        assert report.verified is verified, report.to_json()
        assert report.to_json() == verify_presented(in_process, data).to_json()

    change_record_status(pooled, "uni", issued.record.id, "revoke", reason="fraud", client_id=None)
    revoked = verify_presented(pooled, ours, client="a")
    assert {check.id: check.status for check in revoked.checks}["status"] == "failed"
    assert revoked.to_json() == verify_presented(in_process, ours).to_json()

    batch = json.dumps({"items": [issued.credential, badge(issuer), 42]}).encode()
    reports = [report.to_json() for report in verify_batch_request(pooled, batch, client="a")]
    assert reports == [report.to_json() for report in verify_batch_request(in_process, batch)]
    assert [report["verified"] for report in reports] == [False, False, False]  # revoked, unsigned, junk
    assert pooled.verify_pool.run("a", database_of)[0] == pooled.settings.database_url


def test_one_job_per_client_and_a_bounded_queue(pooled: Services, tmp_path: Path) -> None:
    pool = pooled.verify_pool
    gate = tmp_path / "open"
    with ThreadPoolExecutor(max_workers=2) as threads:
        first = threads.submit(pool.run, "a", hold, str(gate))
        wait_until(lambda: pool.admitted == 1)
        with pytest.raises(RateLimited, match="already has a large verification running") as again:
            pool.run("a", hold, str(gate))
        assert again.value.retry_after == 3  # the verification CPU budget, rounded up
        queued = threads.submit(pool.run, "b", hold, str(gate))  # one worker, a queue of one
        wait_until(lambda: pool.admitted == 2)
        with pytest.raises(Busy, match="the queue is full") as full:
            pool.run("c", hold, str(gate))
        assert full.value.retry_after == 3
        with pytest.raises(Busy):
            pool.run(None, hold, str(gate))  # an unnamed client: only the bound applies
        gate.touch()
        assert first.result() == queued.result() != os.getpid()
    assert pool.admitted == 0
    assert pool.run("a", hold, str(gate)) == first.result()  # a's turn again, on the same worker
    gate.unlink()
    with ThreadPoolExecutor(max_workers=2) as threads:  # unnamed callers are not one client
        unnamed = [threads.submit(pool.run, None, hold, str(gate)) for _ in range(2)]
        wait_until(lambda: pool.admitted == 2)
        gate.touch()
        assert {future.result() for future in unnamed} == {first.result()}


def test_a_worker_that_dies_is_answered_busy_and_replaced(pooled: Services) -> None:
    pool = pooled.verify_pool
    with pytest.raises(Busy, match="a verification worker stopped"):
        pool.run("a", die)
    database, worker = pool.run("a", database_of)
    assert database == pooled.settings.database_url and worker != os.getpid()
    assert pool.run("a", niceness) == min(19, os.nice(0) + pooled.settings.verify_worker_nice)
    assert verify_presented(pooled, b"not a badge", client="a").to_json()["checks"][0]["status"] == "failed"


def test_a_worker_freezes_what_its_start_made_when_the_settings_say_so(
    make_settings: Callable[..., Settings],
) -> None:
    for freeze in (True, False):
        settings = make_settings(verify_workers=1, gc_freeze=freeze)
        services = build_services(settings, clock=fixed_clock(NOW))
        try:
            services.verify_pool.start()
            count = services.verify_pool.run("a", frozen)
        finally:
            services.close()
        assert count > 100_000 if freeze else count == 0


def test_the_pool_runs_only_between_start_and_close(make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings(verify_workers=1, verify_heavy_bytes=1), clock=fixed_clock(NOW))
    pool = services.verify_pool
    try:
        assert not pool.running  # nothing starts when the Services are built
        issuer = Issuer()
        signed = json.dumps(issuer.sign(badge(issuer))).encode()
        report = verify_presented(services, signed)  # not started: verified in-process
        assert report.verified, [(c.id, c.status, c.message) for c in report.checks if c.status != "passed"]
        assert pool.completed == 0
        with pytest.raises(Busy, match="not being accepted"):
            pool.run("a", database_of)
        pool.start()
        pool.start()  # idempotent
        assert pool.running and verify_presented(services, signed).verified and pool.completed == 1
    finally:
        services.close()
    assert not pool.running
    pool.close()  # twice is fine
    for settings in (make_settings(verify_workers=0), make_settings(database_url="sqlite://")):
        none = build_services(settings, clock=fixed_clock(NOW))
        none.verify_pool.start()  # no workers asked for; a database the workers could not share
        assert not none.verify_pool.running
        none.close()


def test_workers_that_cannot_start_stop_the_start_with_a_configuration_error(
    make_settings: Callable[..., Settings],
) -> None:
    pool = VerifyPool(make_settings(), fixed_clock(NOW), unbuildable, metrics=Metrics(), workers=1, queue=0)
    with pytest.raises(ConfigurationError, match="the verification workers did not start"):
        pool.start()
    assert not pool.running


#: a serving process: Services with one verification worker, which prints the worker's process id
_SERVING = """
import sys, time
from datetime import datetime, timezone
from pathlib import Path
from badge_issuer.application import build_services
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.db.migrate import upgrade
from tests.application.test_verify_pool import database_of

folder = Path(sys.argv[1])
settings = Settings(
    database_url=f"sqlite:///{folder / 'badges.sqlite3'}", keys_dir=folder / "keys",
    base_url="http://127.0.0.1:8000", verify_workers=1, verify_queue=1, job_inline_worker=False,
)
services = build_services(settings, clock=fixed_clock(datetime(2026, 1, 1, tzinfo=timezone.utc)))
upgrade(services.engine)
services.verify_pool.start()
print(services.verify_pool.run("client", database_of)[1], flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_a_worker_ends_when_its_serving_process_is_killed(tmp_path: Path) -> None:
    """kill -9 of the serving process stops nobody: its workers notice on their own and end."""
    command = [sys.executable, "-c", _SERVING, str(tmp_path)]
    serving = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert serving.stdout is not None
        worker = int(serving.stdout.readline())
        assert _running(worker)  # there while its serving process is
    finally:
        serving.kill()
        serving.wait()
        if serving.stdout is not None:
            serving.stdout.close()
    deadline = time.monotonic() + 30
    while _running(worker):
        assert time.monotonic() < deadline, "the orphaned worker is still running"
        time.sleep(0.1)
