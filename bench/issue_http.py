"""Single issuance over HTTP: the real app under ``badge-issuer serve --workers N``, driven on loopback.

Run: ``.venv/bin/python bench/issue_http.py [--backends sqlite,postgres] [--workers 1,2]
[--rates 50,100,200,400] [--rate-seconds 4] [--seconds 240]``. SQLite in a temporary folder;
PostgreSQL (a fresh database, dropped afterwards) when ``--postgres URL`` is given or
``BADGE_TEST_POSTGRES_URL`` is set. For each backend and worker count the script measures:

- **closed loop**: ``--clients`` connections each sending the next request when the last one was
  answered, for ``--closed-seconds``: the most the server sustains (issued/s), and the server's
  CPU per request (its processes' user+system time from /proc, which a busy machine inflates far
  less than wall time);
- **open loop**: requests sent at a fixed offered rate whatever the answers (a scheduler hands each
  one at its time to a pool of connections), for ``--rate-seconds`` per rate; latency is counted
  from the time the request was *due*, so a server that falls behind shows it (no coordinated
  omission). The ladder stops after a rate the server could not keep up with.
- one ``credentials:batch`` of 100 items (per-credential cost of the batch path).

Every request is one award with its own Idempotency-Key; every answer must be 201 (else it counts
as an error). The client is ``http.client`` on keep-alive connections (little CPU, so the server
gets the cores). The load average before each server is printed: on a shared machine the figures
mean little without it. Everything is bounded in count and by ``--seconds`` overall; servers are
stopped and all temporary state removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
ISSUE_PATH = "/api/v1/issuers/bench/achievements/python-data/credentials"


@dataclass
class Phase:
    name: str
    seconds: float  # wall time from the first send to the last answer
    latencies: list[float] = field(default_factory=list)  # answered 201, seconds
    errors: int = 0
    issued: int = 0  # credentials created (a batch counts its items)
    offered: float | None = None  # requests/s (open loop)
    cpu_ms: float | None = None  # server CPU per credential

    def row(self) -> str:
        ordered = sorted(self.latencies)

        def pct(p: float) -> str:
            if not ordered:
                return f"{'-':>9}"
            return f"{ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000:>9.1f}"

        rate = self.issued / self.seconds if self.seconds else 0.0
        offered = f"{self.offered:>8.0f}" if self.offered is not None else f"{'-':>8}"
        cpu = f"{self.cpu_ms:>8.2f}" if self.cpu_ms is not None else f"{'-':>8}"
        worst = f"{ordered[-1] * 1000:>9.1f}" if ordered else f"{'-':>9}"
        return (
            f"{self.name:<26}{offered}{len(ordered) + self.errors:>7}{self.errors:>7}{rate:>10.1f}"
            f"{pct(0.5)}{pct(0.99)}{worst}{cpu}"
        )


HEADER = (
    f"{'phase':<26}{'offered':>8}{'sent':>7}{'errors':>7}{'issued/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    f"{'max ms':>9}{'CPU ms':>8}"
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
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards) for a URL, else a SQLite file in ``folder``."""
    if postgres:
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


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (uvicorn's worker processes), from /proc."""
    total = 0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            pids = [pid, *(int(child) for child in children.read().split())]
        for each in pids:
            with open(f"/proc/{each}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:  # not Linux, or a process just ended
        return float("nan")
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(settings: Settings, port: int, workers: int) -> Iterator[tuple[str, int]]:
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
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Load:
    """Issue requests against one server: closed loop, open loop, one batch."""

    def __init__(self, url: str, token: str, server_pid: int, deadline: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token
        self.server_pid = server_pid
        self.deadline = deadline
        self.counter = 0
        self.lock = threading.Lock()
        self.run = uuid.uuid4().hex[:8]

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _send(self, connection: http.client.HTTPConnection, path: str, body: object, key: str) -> int:
        payload = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        connection.request("POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status

    def issue(self, connection: http.client.HTTPConnection) -> bool:
        """One award (a new learner, a new key); True when it answered 201."""
        n = self._next()
        body = {"recipient": {"email": f"learner{n}@example.org", "name": f"Learner {n}"}}
        try:
            return self._send(connection, ISSUE_PATH, body, f"bench-{self.run}-{n}") == 201
        except (OSError, http.client.HTTPException):
            connection.close()  # reconnects on the next request
            return False

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def closed(self, name: str, clients: int, seconds: float, limit: int) -> Phase:
        """``clients`` connections, each sending its next request once answered, for ``seconds``."""
        stop = min(time.monotonic() + seconds, self.deadline)
        phase = Phase(name, 0.0)
        budget = threading.Semaphore(limit)

        def client() -> None:
            connection = self.connection()
            try:
                while time.monotonic() < stop and budget.acquire(blocking=False):
                    started = time.perf_counter()
                    ok = self.issue(connection)
                    elapsed = time.perf_counter() - started
                    with self.lock:
                        if ok:
                            phase.latencies.append(elapsed)
                        else:
                            phase.errors += 1
            finally:
                connection.close()

        cpu = server_cpu_seconds(self.server_pid)
        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        phase.seconds = time.perf_counter() - started
        phase.issued = len(phase.latencies)
        if phase.issued:
            phase.cpu_ms = (server_cpu_seconds(self.server_pid) - cpu) * 1000 / phase.issued
        return phase

    def open(self, rate: float, seconds: float, connections: int) -> Phase:
        """``rate × seconds`` requests, each sent at its due time by a free connection; latency is
        measured from the due time."""
        total = max(1, round(rate * seconds))
        phase = Phase(f"open loop {rate:.0f}/s", 0.0, offered=rate)
        due: queue.Queue[float | None] = queue.Queue()

        def sender() -> None:
            connection = self.connection()
            try:
                while (at := due.get()) is not None:
                    if time.monotonic() > self.deadline:
                        continue  # out of time: drain the schedule without sending
                    ok = self.issue(connection)
                    elapsed = time.monotonic() - at
                    with self.lock:
                        if ok:
                            phase.latencies.append(elapsed)
                        else:
                            phase.errors += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(connections)]
        for thread in threads:
            thread.start()
        cpu = server_cpu_seconds(self.server_pid)
        start = time.monotonic()
        for i in range(total):
            at = start + i / rate
            pause = at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            due.put(at)
        for _ in threads:
            due.put(None)
        for thread in threads:
            thread.join()
        phase.seconds = time.monotonic() - start
        phase.issued = len(phase.latencies)
        if phase.issued:
            phase.cpu_ms = (server_cpu_seconds(self.server_pid) - cpu) * 1000 / phase.issued
        return phase

    def batch(self, size: int) -> Phase:
        phase = Phase(f"batch of {size} (1 request)", 0.0)
        items = []
        for _ in range(size):
            n = self._next()
            items.append({"recipient": {"email": f"learner{n}@example.org"}, "idempotencyKey": f"b-{n}"})
        connection = self.connection()
        cpu = server_cpu_seconds(self.server_pid)
        started = time.perf_counter()
        try:
            status = self._send(connection, f"{ISSUE_PATH}:batch", {"items": items}, f"batch-{self.run}")
        finally:
            connection.close()
        phase.seconds = time.perf_counter() - started
        if status == 200:
            phase.latencies.append(phase.seconds)
            phase.issued = size
            phase.cpu_ms = (server_cpu_seconds(self.server_pid) - cpu) * 1000 / size
        else:
            phase.errors = 1
        return phase


def measure(args: argparse.Namespace, backend: str, postgres: str | None, deadline: float) -> None:
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    worker_counts = [max(1, min(int(n), 16)) for n in args.workers.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="badge-bench-") as tmp:
        port = free_port()
        with database(postgres, Path(tmp)) as database_url:
            settings = Settings(
                database_url=database_url, keys_dir=Path(tmp) / "keys", base_url=f"http://127.0.0.1:{port}"
            )
            token = bootstrap(settings)
            for workers in worker_counts:
                if time.monotonic() > deadline:
                    break
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                phases: list[Phase] = []
                with server(settings, port, workers) as (url, pid):
                    bench = Load(url, token, pid, deadline)
                    bench.closed("warm-up", 2 * workers, 1.0, 50 * workers)
                    phases.append(
                        bench.closed(
                            f"closed loop, {args.clients} clients", args.clients, args.closed_seconds, 5000
                        )
                    )
                    for rate in rates:
                        if time.monotonic() > deadline:
                            break
                        phase = bench.open(rate, args.rate_seconds, args.connections)
                        phases.append(phase)
                        if phase.errors or phase.issued / phase.seconds < 0.9 * rate:
                            break  # saturated: a higher rate only queues more
                    phases.append(bench.batch(100))
                print(
                    f"\n{backend}, badge-issuer serve --workers {workers} (access log off), eddsa-rdfc-2022;"
                    f" {os.cpu_count()} CPUs, load average before: {load}"
                )
                print(HEADER)
                for phase in phases:
                    print(phase.row())
                sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite and/or postgres (if a URL)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", default="1,2", help="comma-separated `serve --workers` counts")
    parser.add_argument("--clients", type=int, default=8, help="connections of the closed loop")
    parser.add_argument("--closed-seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="50,100,200,400", help="offered requests/s of the open loop")
    parser.add_argument("--rate-seconds", type=float, default=4.0, help="how long each rate is offered")
    parser.add_argument("--connections", type=int, default=32, help="connections of the open loop")
    parser.add_argument("--seconds", type=float, default=240, help="overall time budget")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 64))
    args.connections = max(1, min(args.connections, 128))
    deadline = time.monotonic() + args.seconds
    for backend in (b.strip() for b in args.backends.split(",")):
        if backend == "postgres" and not args.postgres:
            print("\npostgres: skipped (no --postgres URL or BADGE_TEST_POSTGRES_URL)")
            continue
        if backend not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown backend {backend!r}")
        measure(args, backend, args.postgres if backend == "postgres" else None, deadline)
    if time.monotonic() > deadline:
        print(f"(stopped early: the {args.seconds:.0f} s budget ran out)")


if __name__ == "__main__":
    main()
