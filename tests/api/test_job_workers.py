"""Bulk jobs on procrastinate (PostgreSQL), with `badge-issuer worker` processes beside the server
(its in-process worker off): two workers share one job's chunks, each row awarded exactly once;
a worker killed with SIGKILL mid-job loses and duplicates nothing, and another worker finishes
its chunks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer.config import Settings
from badge_issuer.db.tables import Credential, StatusEntry
from tests.api.test_issuing import ACHIEVEMENT
from tests.api.test_jobs import NDJSON, lines, row, wait_for
from tests.conftest import free_port, fresh_postgres_database, run_cli, serve_process

pytestmark = pytest.mark.postgres


@dataclass
class Deployment:
    env: dict[str, str]
    admin: dict[str, str]
    base: str
    database_url: str
    logs: Path

    def worker(self, concurrency: int, log: str) -> subprocess.Popen[bytes]:
        with (self.logs / log).open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "badge_issuer", "worker", "--concurrency", str(concurrency)],
                env={**os.environ, **self.env, "BADGE_LOG_LEVEL": "INFO"},
                stdout=out,
                stderr=out,
            )

    def submit(self, rows: int) -> dict[str, str]:
        answer = httpx.post(
            f"{self.base}/achievements/python-data/credentials:jobs",
            content=lines([row(n) for n in range(rows)]),
            headers={**self.admin, **NDJSON},
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        return dict(answer.json()["links"])

    def assert_each_row_awarded_once(self, rows: int) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                assert connection.scalar(select(func.count()).select_from(Credential)) == rows
                keys = connection.scalars(select(Credential.idempotency_key)).all()
                assert sorted(str(key) for key in keys) == sorted(f"row-{n}" for n in range(rows))
                positions = connection.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
                assert len(positions) == len(set(positions))  # no position handed out twice
                attached = connection.scalars(
                    select(StatusEntry.credential_id).where(StatusEntry.credential_id.is_not(None))
                ).all()
                assert len(attached) == len(set(attached)) == rows
        finally:
            engine.dispose()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def deployment(postgres_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """The server and its database; jobs in chunks of 40 rows, or of ``request.param`` (indirect)."""
    chunk_rows = getattr(request, "param", 40)
    port = free_port()
    with fresh_postgres_database(postgres_url) as database_url:
        env = {
            "BADGE_DATABASE_URL": database_url,
            "BADGE_KEYS_DIR": str(tmp_path / "keys"),
            "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
            "BADGE_JOB_INLINE_WORKER": "false",  # only the workers below run chunks
            "BADGE_JOB_CHUNK_ROWS": str(chunk_rows),
            "BADGE_JOB_HEARTBEAT_SECONDS": "0.5",
            "BADGE_VERIFY_WORKERS": "0",
            "BADGE_LOG_LEVEL": "WARNING",
        }
        settings = Settings(
            database_url=database_url, keys_dir=tmp_path / "keys", base_url=env["BADGE_BASE_URL"]
        )
        server = serve_process(env, port, tmp_path / "serve.log")
        try:
            created = run_cli(settings, "issuers", "create", "uni", "--name", "Uni").strip().splitlines()[-1]
            admin = {"Authorization": f"Bearer {json.loads(created)['adminApiKey']}"}
            base = f"http://127.0.0.1:{port}/api/v1/issuers/uni"
            answer = httpx.post(f"{base}/achievements", json=ACHIEVEMENT, headers=admin, timeout=30)
            assert answer.status_code == 201, answer.text
            yield Deployment(env, admin, base, database_url, tmp_path)
        finally:
            stop(server)


def test_two_workers_share_one_job_and_award_each_row_once(deployment: Deployment) -> None:
    rows = 240
    links = deployment.submit(rows)  # six chunks, queued with the job
    workers = deployment.worker(2, "workers.log")
    try:
        done = wait_for(links["self"], deployment.admin, lambda body: body["status"] == "done", seconds=120)
    finally:
        stop(workers)
    assert done["counts"] == {"pending": 0, "created": rows, "replayed": 0, "rejected": 0}
    deployment.assert_each_row_awarded_once(rows)
    log = (deployment.logs / "workers.log").read_text()
    chunks = [line for line in log.splitlines() if "awarded by" in line]
    assert {"worker-1", "worker-2"} <= {line.rsplit(" ", 1)[-1] for line in chunks}, log[-3000:]


#: chunks of three batches, so that a kill can be timed to land inside one (a chunk of a single
#: batch is seen awarded only once it has ended, when the worker may be between two chunks)
KILLED_CHUNK_ROWS = 300


@pytest.mark.parametrize("deployment", [KILLED_CHUNK_ROWS], indirect=True)
def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(deployment: Deployment) -> None:
    rows = 3 * KILLED_CHUNK_ROWS
    links = deployment.submit(rows)
    first = deployment.worker(1, "first.log")

    def mid_chunk(body: dict[str, Any]) -> bool:  # a batch of the chunk stored, the next under way
        created = int(body["counts"]["created"])
        return created >= 30 and created % KILLED_CHUNK_ROWS != 0

    try:
        before = wait_for(links["self"], deployment.admin, mid_chunk)
        first.send_signal(signal.SIGKILL)  # mid-chunk: a batch signed or being stored, its chunk "doing"
        first.wait(timeout=30)
    finally:
        stop(first)
    assert before["counts"]["pending"] > 200, "the job ended before the kill: nothing was resumed"
    second = deployment.worker(1, "second.log")  # hands the dead worker's chunk out again
    try:
        done = wait_for(links["self"], deployment.admin, lambda body: body["status"] == "done", seconds=120)
    finally:
        stop(second)
    assert done["counts"] == {"pending": 0, "created": rows, "replayed": 0, "rejected": 0}
    deployment.assert_each_row_awarded_once(rows)
    assert "its worker stopped; running it again" in (deployment.logs / "second.log").read_text()
