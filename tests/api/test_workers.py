"""`badge-issuer serve --workers N`: several uvicorn worker processes on one database (SQLite and
PostgreSQL). Many clients issuing at once, with every Idempotency-Key sent by several of them,
get every award made once, on a status position no other award has, whichever worker answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer.config import Settings
from badge_issuer.db.tables import Credential, IdempotencyReservation, StatusEntry
from tests.conftest import free_port, run_cli

WORKERS = 3
CLIENTS = 8
KEYS = 40


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    port = free_port()
    env = {
        "BADGE_DATABASE_URL": database_url,
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGE_WEB_CONCURRENCY": str(WORKERS),
        "BADGE_VERIFY_WORKERS": "0",  # no verification pool per worker: nothing here verifies
    }
    settings = Settings(database_url=database_url, keys_dir=tmp_path / "keys", base_url=env["BADGE_BASE_URL"])
    log = (tmp_path / "serve.log").open("wb")  # a pipe nobody reads would fill and stall the workers
    process = subprocess.Popen(
        [sys.executable, "-m", "badge_issuer", "serve", "--init", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the workers did not start"
            try:
                if (
                    httpx.get(f"{url}/healthz", timeout=2).status_code == 200
                    and len(children(process.pid)) >= WORKERS
                ):
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url, settings
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # sockets, not the database
def test_workers_answer_without_a_nagle_delay(served: tuple[str, Settings]) -> None:
    # worker processes got their connections with Nagle on: every answer waited for the client's
    # delayed ACK (40 ms), /healthz took 44 ms instead of 1 ms
    url, _ = served
    timings = []
    with httpx.Client(timeout=30) as client:
        for _ in range(21):
            started = time.perf_counter()
            assert client.get(f"{url}/healthz").status_code == 200
            timings.append(time.perf_counter() - started)
    assert sorted(timings)[10] < 0.030, sorted(timings)


def test_workers_issue_every_key_once_on_distinct_positions(served: tuple[str, Settings]) -> None:
    url, settings = served
    created = json.loads(
        run_cli(settings, "issuers", "create", "uni", "--name", "Uni").strip().splitlines()[-1]
    )
    admin = {"Authorization": f"Bearer {created['adminApiKey']}"}
    achievement = {
        "slug": "python-data",
        "name": "Data Analysis with Python",
        "description": "Pandas basics.",
        "criteria": {"narrative": "Passed."},
    }
    response = httpx.post(
        f"{url}/api/v1/issuers/uni/achievements", json=achievement, headers=admin, timeout=30
    )
    assert response.status_code == 201, response.text
    issue_url = f"{url}/api/v1/issuers/uni/achievements/python-data/credentials"

    def client(number: int) -> list[tuple[str, int, str]]:
        # each client sends every key, starting at its own offset: the keys race across workers
        out = []
        with httpx.Client(headers=admin, timeout=60) as http:
            for step in range(KEYS):
                key = f"row-{(step + number * 5) % KEYS}"
                answer = http.post(
                    issue_url,
                    json={"recipient": {"email": f"{key}@example.org"}},
                    headers={"Idempotency-Key": key},
                )
                assert answer.status_code == 201, answer.text
                out.append((key, answer.status_code, answer.json()["id"]))
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [row for rows in pool.map(client, range(CLIENTS)) for row in rows]
    by_key: dict[str, set[str]] = {}
    for key, _, record_id in results:
        by_key.setdefault(key, set()).add(record_id)
    assert len(by_key) == KEYS
    assert all(len(ids) == 1 for ids in by_key.values()), "a key was issued twice"

    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Credential)) == KEYS
            positions = connection.execute(select(StatusEntry.list_id, StatusEntry.position)).all()
            assert len(positions) == len(set(positions)), "a status position was handed out twice"
            attached = connection.scalar(
                select(func.count()).select_from(StatusEntry).where(StatusEntry.credential_id.is_not(None))
            )
            assert attached == KEYS
            assert connection.scalar(select(func.count()).select_from(IdempotencyReservation)) == 0
    finally:
        engine.dispose()
