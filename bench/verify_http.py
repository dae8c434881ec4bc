"""Public verifications per second over HTTP: ``POST /api/v1/verify`` of distinct, freshly issued badges.

Run: ``.venv/bin/python bench/verify_http.py [--badges 2000] [--seconds 5] [--clients 8] [--workers 1,2]``
(``bench/verify.py`` runs it too). On a temporary SQLite database an issuer with one achievement
is made, and for each worker count ``badge-issuer serve --workers N`` (rate limit off, access log
off) issues ``--badges`` badges through ``credentials:batch``; then ``--clients`` threads, each on
its own keep-alive connection, post those badges in turn (a different badge each request, pre-encoded
so the clients spend little CPU) for ``--seconds``. Every answer must be a 200 whose report says
``verified: true``: the status list and the issuer's DID are our own, read by the server from its
database. Prints verifications per second, p50/p99 latency, the server's CPU per request (user +
system time of its processes, from /proc: far less sensitive to other load than the rate) and the
load average before the run (the machine is shared: compare ratios, and profiles, rather than
absolute figures).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from badge_issuer.config import Settings
from issue_http import bootstrap, free_port, server, server_cpu_seconds

ISSUE_PATH = "/api/v1/issuers/bench/achievements/python-data/credentials:batch"


def issue(url: str, token: str, count: int) -> list[bytes]:
    """``count`` freshly issued badges, each as the JSON body of a verify request."""
    host = urlsplit(url)
    connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=600)
    bodies: list[bytes] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while len(bodies) < count:
        size = min(1000, count - len(bodies))
        first = len(bodies)
        items = [
            {"recipient": {"email": f"learner{first + i}@example.org", "name": f"Learner {first + i}"}}
            for i in range(size)
        ]
        connection.request("POST", ISSUE_PATH, json.dumps({"items": items}), headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200 or answer["summary"]["created"] != size:
            raise RuntimeError(f"issuing failed: {response.status} {str(answer)[:300]}")
        bodies += [json.dumps(result["credential"]).encode() for result in answer["results"]]
    connection.close()
    return bodies


def load(url: str, bodies: list[bytes], clients: int, seconds: float) -> tuple[int, list[float], float]:
    """(verified answers, latencies, elapsed) of ``clients`` threads posting ``bodies`` in turn."""
    host = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        mine = latencies[number]
        turn = number
        start.wait()
        while time.perf_counter() < deadline[0]:
            body = bodies[turn % len(bodies)]
            turn += clients
            began = time.perf_counter()
            connection.request("POST", "/api/v1/verify", body, headers)
            response = connection.getresponse()
            answer = response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200 or b'"verified":true' not in answer[:40]:
                failures.append(f"{response.status} {answer[:300]!r}")
                return
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"a verification did not verify: {failures[0]}")
    samples = [x for part in latencies for x in part]
    return len(samples), samples, elapsed


def measure(workers: int, badges: int, clients: int, seconds: float) -> dict[str, Any]:
    """The figures of one server with ``workers`` processes on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="badge-verify-bench-") as tmp:
        port = free_port()
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            keys_dir=Path(tmp) / "keys",
            base_url=f"http://127.0.0.1:{port}",
        )
        token = bootstrap(settings)
        os.environ["BADGE_VERIFY_RATE_LIMIT"] = "off"
        with server(settings, port, workers) as (url, pid):
            bodies = issue(url, token, badges)
            load(url, bodies, clients, min(1.0, seconds))  # warm every worker
            average = " ".join(f"{x:.2f}" for x in os.getloadavg())
            cpu = server_cpu_seconds(pid)
            count, samples, elapsed = load(url, bodies, clients, seconds)
            cpu = server_cpu_seconds(pid) - cpu
    ordered = sorted(samples)
    return {
        "workers": workers,
        "per_second": count / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
        "count": count,
        "cpu_ms": cpu * 1000 / max(count, 1),
        "load": average,
    }


def report(rows: list[dict[str, Any]], badges: int, clients: int) -> None:
    print(
        f"POST /api/v1/verify, {badges} distinct freshly issued badges, {clients} keep-alive clients, "
        f"SQLite, rate limit off, {os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':<10}{'verified/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'n':>8}{'CPU ms/req':>12}"
        "  load average before"
    )
    for row in rows:
        print(
            f"{row['workers']:<10}{row['per_second']:>12.0f}{row['p50']:>10.1f}{row['p99']:>10.1f}"
            f"{row['count']:>8}{row['cpu_ms']:>12.2f}  {row['load']}"
        )
    if len(rows) > 1:
        print(f"{rows[-1]['workers']} workers / 1: {rows[-1]['per_second'] / rows[0]['per_second']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=2000, help="distinct badges issued (≤ 20,000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="load per worker count")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="comma-separated uvicorn worker counts")
    args = parser.parse_args()
    badges = max(1, min(args.badges, 20_000))
    clients = max(1, min(args.clients, 64))
    counts = [max(1, min(int(n), 16)) for n in args.workers.split(",") if n.strip()]
    report([measure(n, badges, clients, min(args.seconds, 60)) for n in counts], badges, clients)


if __name__ == "__main__":
    main()
