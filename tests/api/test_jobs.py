"""Bulk issuance jobs over HTTP against the real app: 202 with a job resource, progress, per-row
results as JSON lines, cancel, retry; and a server killed with SIGKILL in the middle of a job,
whose job the next server resumes, losing and duplicating nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer.application.job_runner import CHUNK
from badge_issuer.config import Settings
from badge_issuer.db.tables import Credential, IssuanceJobRow, StatusEntry
from badge_issuer.signing import random_credential_id
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer, free_port, run_cli, serve_process

NDJSON = {"Content-Type": "application/x-ndjson"}


def lines(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def row(n: int, **extra: Any) -> dict[str, Any]:
    return {"idempotencyKey": f"row-{n}", "recipient": {"email": f"learner{n}@example.org"}, **extra}


def wait_for(
    url: str, headers: dict[str, str], done: Callable[[dict[str, Any]], bool], seconds: float = 60
) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        body = httpx.get(url, headers=headers, timeout=30).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


@pytest.fixture
def tenant(database_url: str, live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(database_url=database_url, job_inline_worker=True), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def test_a_job_awards_each_row_once_and_reports_every_row(tenant: Tenant) -> None:
    lms = tenant.client("issue", "read")
    # row 3 was awarded alone before (same key and body: replayed), row 5 does not validate, row 7
    # repeats row 6's key and body (replayed), row 8 reuses row 1's key for another award (rejected)
    alone = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": row(3)["recipient"]},
        headers={**lms, "Idempotency-Key": "row-3"},
        timeout=30,
    )
    assert alone.status_code == 201, alone.text
    rows = [row(n) for n in range(1, 5)]
    rows += [{"idempotencyKey": "row-5", "recipient": {}}, row(6), row(6), {**row(1), "narrative": "Other."}]
    answer = httpx.post(
        tenant.url("/achievements/python-data/credentials:jobs"),
        content=lines(rows),
        headers={**lms, **NDJSON},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == job["links"]["self"]
    assert job["total"] == 8 and job["status"] in {"queued", "running", "done"}
    done = wait_for(job["links"]["self"], lms, lambda body: body["status"] == "done")
    assert done["counts"] == {"pending": 0, "created": 4, "replayed": 2, "rejected": 2}

    results = httpx.get(job["links"]["results"], headers=lms, timeout=30)
    assert results.status_code == 200 and results.headers["content-type"].startswith("application/x-ndjson")
    got = [json.loads(line) for line in results.text.splitlines()]
    assert [line["row"] for line in got] == list(range(1, 9))
    assert [line["status"] for line in got] == [
        "created", "created", "replayed", "created", "rejected", "created", "replayed", "rejected",
    ]  # fmt: skip
    assert got[2]["credentialId"] == alone.json()["id"]
    assert got[6]["credentialId"] == got[5]["credentialId"]
    assert got[4]["problem"]["code"] == "validation-failed"
    assert got[7]["problem"]["code"] == "idempotency-conflict"
    assert httpx.get(got[0]["url"], timeout=30).status_code == 200

    # retry puts the rejected rows back; they are judged again (and still refused)
    retried = httpx.post(job["links"]["retry"], headers=lms, timeout=30)
    assert retried.status_code == 200, retried.text
    again = wait_for(
        job["links"]["self"], lms, lambda body: body["status"] == "done" and not body["counts"]["pending"]
    )
    assert again["counts"] == done["counts"]

    # an awarded row forgets its item (the address in clear); a rejected one keeps it for a retry
    engine = create_engine(tenant.server.settings.database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(select(IssuanceJobRow.row_number, IssuanceJobRow.item_json)).all()
            kept = {int(number): str(item) for number, item in stored}
    finally:
        engine.dispose()
    assert all(kept[n] == "{}" for n in (1, 2, 3, 4, 6, 7))
    assert "learner1@example.org" in kept[8] and json.loads(kept[5])["idempotencyKey"] == "row-5"


def test_a_job_without_keys_or_in_another_format_is_refused_whole(tenant: Tenant) -> None:
    url = tenant.url("/achievements/python-data/credentials:jobs")
    keyless = httpx.post(
        url,
        content=lines([row(1), {"recipient": {"email": "a@example.org"}}]),
        headers={**tenant.admin, **NDJSON},
    )
    assert keyless.status_code == 422 and keyless.json()["pointer"] == "/2/idempotencyKey", keyless.text
    broken = httpx.post(url, content=b'{"idempotencyKey": "k"}\n{nope\n', headers={**tenant.admin, **NDJSON})
    assert broken.status_code == 400 and "line 2" in broken.json()["detail"], broken.text
    as_json = httpx.post(url, json=[row(1)], headers=tenant.admin)
    assert as_json.status_code == 415
    other = tenant.client("read")
    assert httpx.post(url, content=lines([row(1)]), headers={**other, **NDJSON}).status_code == 403
    assert httpx.get(tenant.url("/jobs/nope"), headers=tenant.admin).status_code == 404


def test_a_csv_job_takes_the_columns_of_the_command_line(tenant: Tenant) -> None:
    csv = (
        "Email,Name,Idempotency Key,credits_earned\n"
        "ada@example.org,Ada Lovelace,csv-1,\n"
        "\n"
        "grace@example.org,Grace Hopper,,2.5\n"
        "not-an-address,Nobody,csv-3,\n"
    )
    answer = httpx.post(
        tenant.url("/achievements/python-data/credentials:jobs"),
        content=csv.encode(),
        headers={**tenant.admin, "Content-Type": "text/csv; charset=utf-8"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    done = wait_for(job["links"]["self"], tenant.admin, lambda body: body["status"] == "done")
    assert done["counts"] == {"pending": 0, "created": 2, "replayed": 0, "rejected": 1}
    got = [
        json.loads(line)
        for line in httpx.get(job["links"]["results"], headers=tenant.admin).text.splitlines()
    ]
    assert [(line["row"], line["status"]) for line in got] == [
        (2, "created"),
        (4, "created"),
        (5, "rejected"),
    ]
    assert got[0]["idempotencyKey"] == "csv-1" and got[1]["idempotencyKey"].startswith("csv-")
    unusable = httpx.post(
        tenant.url("/achievements/python-data/credentials:jobs"),
        content=b"colour\nblue\n",
        headers={**tenant.admin, "Content-Type": "text/csv"},
    )
    assert unusable.status_code == 400 and "unknown column" in unusable.json()["detail"], unusable.text


class Gate:
    """A provider of credential ids that, once ``armed``, hands out ``passing`` ids and then waits
    (for ``opened``, 30 s at most) before each next one: a job's second batch waits at its first
    award until the test has cancelled the job, so the cancel always lands mid-job."""

    def __init__(self, passing: int) -> None:
        self.passing = passing
        self.armed = False
        self.opened = threading.Event()
        self.waited = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self.armed:
                self.passing -= 1
            waits = self.armed and self.passing < 0
        if waits:
            self.waited.set()
            self.opened.wait(30)
        return random_credential_id()


def test_a_cancelled_job_awards_no_more_rows(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    gate = Gate(passing=CHUNK)
    tenant = bootstrap(live_server(database_url=database_url, job_inline_worker=True, new_id=gate), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    gate.armed = True
    answer = httpx.post(
        tenant.url("/achievements/python-data/credentials:jobs"),
        content=lines([row(n) for n in range(3 * CHUNK)]),
        headers={**tenant.admin, **NDJSON},
        timeout=30,
    )
    job = answer.json()
    assert gate.waited.wait(30), "the job's second batch never began"
    wait_for(job["links"]["self"], tenant.admin, lambda body: body["counts"]["created"] >= CHUNK)
    cancelled = httpx.post(job["links"]["cancel"], headers=tenant.admin, timeout=30).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["counts"]["created"] == CHUNK
    gate.opened.set()
    time.sleep(1.5)
    final = httpx.get(job["links"]["self"], headers=tenant.admin, timeout=30).json()
    # the runner looks for a cancel between batches: the batch it was making lands, no other
    assert final["counts"]["pending"] >= CHUNK
    assert final["counts"]["created"] <= 2 * CHUNK
    assert httpx.post(job["links"]["retry"], headers=tenant.admin, timeout=30).status_code == 409


# --- a killed server ----------------------------------------------------------------------------

ROWS = 400


def test_a_job_resumes_after_its_server_is_killed_and_awards_every_row_once(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "BADGE_DATABASE_URL": database_url,
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGE_JOB_LEASE_SECONDS": "2",
        # PostgreSQL: procrastinate's in-process worker; a worker silent for 3 heartbeats is stalled
        "BADGE_JOB_HEARTBEAT_SECONDS": "0.5",
        "BADGE_JOB_CHUNK_ROWS": "50",
        "BADGE_LOG_LEVEL": "WARNING",
        "BADGE_VERIFY_WORKERS": "0",  # nothing here verifies: no verification pool to start twice
    }
    settings = Settings(database_url=database_url, keys_dir=tmp_path / "keys", base_url=env["BADGE_BASE_URL"])
    log = tmp_path / "serve.log"
    process = serve_process(env, port, log)
    try:
        created = json.loads(
            run_cli(settings, "issuers", "create", "uni", "--name", "Uni").strip().splitlines()[-1]
        )
        admin = {"Authorization": f"Bearer {created['adminApiKey']}"}
        base = f"http://127.0.0.1:{port}/api/v1/issuers/uni"
        assert (
            httpx.post(f"{base}/achievements", json=ACHIEVEMENT, headers=admin, timeout=30).status_code == 201
        )
        answer = httpx.post(
            f"{base}/achievements/python-data/credentials:jobs",
            content=lines([row(n) for n in range(ROWS)]),
            headers={**admin, **NDJSON},
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        job = answer.json()
        before = wait_for(job["links"]["self"], admin, lambda body: body["counts"]["created"] >= 20)
        process.send_signal(signal.SIGKILL)  # mid-job: a row in flight, its outcome unrecorded
        process.wait(timeout=30)
        assert before["counts"]["pending"] > 100, "the job ended before the kill: nothing was resumed"
        process = serve_process(env, port, log)  # its successor resumes the job once the lease ran out
        done = wait_for(job["links"]["self"], admin, lambda body: body["status"] == "done", seconds=180)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert done["counts"]["pending"] == done["counts"]["rejected"] == 0
    assert done["counts"]["created"] + done["counts"]["replayed"] == ROWS
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert (
                connection.scalar(select(func.count()).select_from(Credential)) == ROWS
            )  # none lost, none twice
            keys = connection.scalars(select(Credential.idempotency_key)).all()
            assert sorted(str(key) for key in keys) == sorted(f"row-{n}" for n in range(ROWS))
            positions = connection.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
            assert len(positions) == len(set(positions))
    finally:
        engine.dispose()
