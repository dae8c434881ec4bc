"""Concurrent issuing against the real app under uvicorn: PostgreSQL (FOR UPDATE) and SQLite (BEGIN
IMMEDIATE). Many clients at once must never share a credential id or a status position, never lose a
record, and retries of one Idempotency-Key must make exactly one award."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from badge_issuer import status_list
from badge_issuer.db.tables import Credential, StatusEntry, StatusList
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer, fresh_postgres_database


@pytest.fixture
def server(database_url: str, live_server: Callable[..., LiveServer]) -> LiveServer:
    # the database fixture is set up before, and so torn down after, the server that uses it
    return live_server(database_url=database_url)


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    with fresh_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture
def pg_server(pg_database: str, live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(database_url=pg_database)


def tenant_on(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def in_parallel(workers: int, job: Callable[[int], list[httpx.Response]]) -> list[list[httpx.Response]]:
    """Run ``job(worker)`` on ``workers`` threads released together by a barrier."""
    barrier = threading.Barrier(workers)

    def run(worker: int) -> list[httpx.Response]:
        barrier.wait(timeout=30)
        return job(worker)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


def all_records(tenant: Tenant, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "200", **params, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(tenant.url("/credentials"), params=query, headers=headers, timeout=30)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items


def db_counts(server: LiveServer) -> tuple[int, int, int]:
    """(credentials, status entries, sum of ``allocated`` over all lists), read straight from the DB."""
    engine = create_engine(server.settings.database_url)
    try:
        with engine.connect() as connection:
            credentials = connection.scalar(select(func.count()).select_from(Credential))
            entries = connection.scalar(select(func.count()).select_from(StatusEntry))
            allocated = connection.scalar(select(func.coalesce(func.sum(StatusList.allocated), 0)))
        return int(credentials or 0), int(entries or 0), int(allocated or 0)
    finally:
        engine.dispose()


def issue_concurrently(server: LiveServer, workers: int, each: int) -> None:
    tenant = tenant_on(server)
    lms = tenant.client("issue", "read")
    url = tenant.url("/achievements/python-data/credentials")

    def job(worker: int) -> list[httpx.Response]:
        with httpx.Client(headers=lms, timeout=60) as client:
            return [
                client.post(url, json={"recipient": {"email": f"w{worker}-{i}@example.org"}})
                for i in range(each)
            ]

    responses = [response for batch in in_parallel(workers, job) for response in batch]
    total = workers * each
    assert [r.status_code for r in responses] == [201] * total, next(
        (r.text for r in responses if r.status_code != 201), ""
    )
    bodies = [r.json() for r in responses]
    record_ids = {body["id"] for body in bodies}
    credential_ids = {body["credential"]["id"] for body in bodies}
    assert len(record_ids) == len(credential_ids) == total
    positions = set()
    for body in bodies:
        status = body["credential"]["credentialStatus"]
        [entry] = status if isinstance(status, list) else [status]
        positions.add((entry["statusListCredential"], int(entry["statusListIndex"])))
    assert len(positions) == total, "a status position was handed out twice"

    records = all_records(tenant, lms)
    assert len(records) == total
    assert {record["id"] for record in records} == record_ids
    assert db_counts(server) == (total, total, total)


@pytest.mark.postgres
def test_eight_clients_issuing_at_once_on_postgresql(pg_server: LiveServer) -> None:
    issue_concurrently(pg_server, workers=8, each=25)


def test_four_clients_issuing_at_once_on_sqlite(live_server: Callable[..., LiveServer]) -> None:
    issue_concurrently(live_server(), workers=4, each=10)


def test_concurrent_retries_of_one_idempotency_key_make_one_award(server: LiveServer) -> None:
    tenant = tenant_on(server)
    lms = tenant.client("issue", "read")
    url = tenant.url("/achievements/python-data/credentials")
    body = {"recipient": {"email": "grace@example.org"}}
    headers = {**lms, "Idempotency-Key": "course-7-grace"}

    def job(_: int) -> list[httpx.Response]:
        return [httpx.post(url, json=body, headers=headers, timeout=60)]

    responses = [batch[0] for batch in in_parallel(8, job)]
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    first = responses[0].json()
    assert all(r.json() == first for r in responses)
    assert sum(1 for r in responses if r.headers.get("idempotent-replayed") != "true") == 1
    [record] = all_records(tenant, lms)
    assert record["id"] == first["id"]
    assert record["idempotencyKey"] == "course-7-grace"
    # the losers' transactions rolled back completely: one record, one position, one allocation
    assert db_counts(server) == (1, 1, 1)


def test_concurrent_revocations_all_land_in_the_status_list(server: LiveServer) -> None:
    tenant = tenant_on(server)
    lms = tenant.client("issue", "revoke")
    url = tenant.url("/achievements/python-data/credentials")
    issued = []
    for i in range(16):
        response = httpx.post(url, json={"recipient": {"id": f"did:example:{i}"}}, headers=lms, timeout=30)
        assert response.status_code == 201, response.text
        issued.append(response.json())

    def job(worker: int) -> list[httpx.Response]:
        return [
            httpx.post(
                tenant.url(f"/credentials/{record['id']}/revoke"),
                json={"reason": "test"},
                headers=lms,
                timeout=60,
            )
            for record in issued[worker::8]
        ]

    responses = [response for batch in in_parallel(8, job) for response in batch]
    assert [r.status_code for r in responses] == [200] * 16, [r.text for r in responses]
    entries = [record["credential"]["credentialStatus"] for record in issued]
    [list_url] = {entry["statusListCredential"] for entry in entries}
    served = httpx.get(list_url, timeout=30)
    assert served.status_code == 200, served.text
    bits = status_list.decode(served.json()["credentialSubject"]["encodedList"])
    revoked = [int(entry["statusListIndex"]) for entry in entries]
    assert [bits.get(index) for index in revoked] == [True] * 16, "a concurrent revocation was lost"
    assert sum(bin(byte).count("1") for byte in bits.to_bytes()) == 16
