"""Issuances per second over HTTP: the real app under uvicorn in a subprocess, driven with httpx.

Run: ``.venv/bin/python bench/issue_http.py [--requests 200] [--clients 8] [--workers 1,2]
[--postgres URL]``. SQLite in a temporary folder by default; PostgreSQL (a fresh database, dropped
afterwards) when ``--postgres URL`` is given or ``BADGE_TEST_POSTGRES_URL`` is set (``--sqlite``
forces SQLite). For each worker count, ``badge-issuer serve --workers N`` serves the same database
and the script measures single issuance (sequential, then with K concurrent clients) and
``credentials:batch`` with 100 and 1,000 items; prints p50/p99 latency and throughput, and the
machine's load average before each run (the figures mean little on a busy machine). Every phase is
bounded in count and by ``--seconds`` overall; the servers are stopped and all temporary state
removed at the end.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from badge_issuer.achievements import create_achievement
from badge_issuer.application.services import build_services
from badge_issuer.config import Settings
from badge_issuer.credential.requests import AchievementInput, ClientCreate, IssuerCreate
from badge_issuer.db.migrate import upgrade
from badge_issuer.issuers import create_client, create_issuer

ACHIEVEMENT = {
    "slug": "python-data",
    "name": "Data Analysis with Python",
    "description": "Cleans, explores and models tabular data with pandas.",
    "criteria": {"narrative": "Passed the final project with at least 70%."},
    "achievementType": "Course",
}


@dataclass
class Phase:
    name: str
    issued: int  # credentials created
    seconds: float  # wall time of the phase
    latencies: list[float]  # per HTTP request, seconds

    def row(self) -> str:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

        rate = self.issued / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<30}{len(ordered):>9}{self.issued:>8}{pct(0.5):>10.1f}{pct(0.99):>10.1f}"
            f"{rate:>12.1f}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    name = f"badge_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def database(postgres: str | None, sqlite: bool, folder: Path) -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards) when ``postgres`` is given and not ``sqlite``;
    else a SQLite file in ``folder``."""
    if postgres and not sqlite:
        with fresh_postgres_database(postgres) as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"


def bootstrap(settings: Settings) -> str:
    """The deployment key, the schema, an issuer with an achievement, and an API key (returned)."""
    services = build_services(settings)
    try:
        if not services.keystore.exists(settings.deployment_key):
            services.keystore.create(settings.deployment_key)
        upgrade(services.engine)
        now = services.clock()
        with services.sessions() as session, session.begin():
            issuer = create_issuer(
                IssuerCreate.model_validate({"slug": "bench", "name": "Bench University"}),
                session=session,
                keystore=services.keystore,
                urls=services.urls,
                status_list_size=settings.status_list_size,
                now=now,
            )
            create_achievement(
                issuer,
                AchievementInput.model_validate(ACHIEVEMENT),
                session=session,
                urls=services.urls,
                now=now,
            )
            client = create_client(
                issuer, ClientCreate(name="bench", scopes=["issue", "read"]), session=session, now=now
            )
            return client.token
    finally:
        services.close()


@contextmanager
def server(settings: Settings, port: int, workers: int) -> Iterator[str]:
    """``badge-issuer serve --workers N`` from BADGE_* settings, logging warnings only (no access log)."""
    env = os.environ | {
        "BADGE_DATABASE_URL": settings.database_url,
        "BADGE_KEYS_DIR": str(settings.keys_dir),
        "BADGE_BASE_URL": settings.base_url,
        "BADGE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "badge_issuer", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Bench:
    def __init__(self, url: str, token: str, deadline: float) -> None:
        self.issue_url = f"{url}/api/v1/issuers/bench/achievements/python-data/credentials"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.deadline = deadline
        self.counter = 0
        self.lock = threading.Lock()

    def body(self) -> dict[str, Any]:
        with self.lock:
            self.counter += 1
            n = self.counter
        return {"recipient": {"email": f"learner{n}@example.org", "name": f"Learner {n}"}}

    def _timed(self, send: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = send()
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 201):
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        return elapsed, response

    def single(self, name: str, total: int, clients: int) -> Phase:
        """``total`` single issuances from ``clients`` threads, each with its own keep-alive client."""
        share = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

        def worker(count: int) -> list[float]:
            out: list[float] = []
            with httpx.Client(headers=self.headers, timeout=60) as client:
                for _ in range(count):
                    if time.monotonic() > self.deadline:
                        break
                    out.append(self._timed(lambda: client.post(self.issue_url, json=self.body()))[0])
            return out

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            latencies = [x for part in pool.map(worker, share) for x in part]
        return Phase(name, len(latencies), time.perf_counter() - started, latencies)

    def batch(self, size: int, repeats: int) -> Phase:
        url = f"{self.issue_url}:batch"
        latencies: list[float] = []
        issued = 0
        started = time.perf_counter()
        with httpx.Client(headers=self.headers, timeout=600) as client:
            for _ in range(repeats):
                if time.monotonic() > self.deadline:
                    break
                payload = {"items": [self.body() for _ in range(size)]}
                elapsed, response = self._timed(lambda: client.post(url, json=payload))  # noqa: B023
                latencies.append(elapsed)
                summary = response.json()["summary"]
                if summary["created"] != size:
                    raise RuntimeError(f"batch of {size}: {summary}")
                issued += summary["created"]
        return Phase(f"batch of {size} (per request)", issued, time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="single issuances per phase (≤ 5000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the concurrent phase")
    parser.add_argument("--workers", default="1,2", help="comma-separated uvicorn worker counts to measure")
    parser.add_argument("--batch-repeats", type=int, default=3, help="requests of 100 items (1,000: once)")
    parser.add_argument("--seconds", type=float, default=240, help="overall time budget")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if a PostgreSQL URL is set")
    args = parser.parse_args()
    requests = max(1, min(args.requests, 5000))
    clients = max(1, min(args.clients, 64))
    deadline = time.monotonic() + args.seconds
    worker_counts = [max(1, min(int(n), 16)) for n in args.workers.split(",") if n.strip()]

    with tempfile.TemporaryDirectory(prefix="badge-bench-") as tmp:
        port = free_port()

        with database(args.postgres, args.sqlite, Path(tmp)) as database_url:
            settings = Settings(
                database_url=database_url,
                keys_dir=Path(tmp) / "keys",
                base_url=f"http://127.0.0.1:{port}",
            )
            token = bootstrap(settings)
            backend = make_url(database_url).get_backend_name()
            for workers in worker_counts:
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                with server(settings, port, workers) as url:
                    bench = Bench(url, token, deadline)
                    bench.single("warm-up", min(20 * workers, requests), workers)
                    phases = [
                        bench.single("single, sequential", requests, 1),
                        bench.single(f"single, {clients} concurrent clients", requests, clients),
                        bench.batch(100, args.batch_repeats),
                        bench.batch(1000, 1),
                    ]
                print(
                    f"backend: {backend}; eddsa-rdfc-2022 proofs; server: badge-issuer serve --workers "
                    f"{workers}, access log off; {os.cpu_count()} CPUs, load average before: {load}"
                )
                print(
                    f"{'phase':<30}{'requests':>9}{'issued':>8}{'p50 ms':>10}{'p99 ms':>10}{'issued/s':>12}"
                )
                for phase in phases:
                    print(phase.row())
                sys.stdout.flush()
    if time.monotonic() > deadline:
        print(f"(stopped early: the {args.seconds:.0f} s budget ran out)")


if __name__ == "__main__":
    main()
