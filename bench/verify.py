"""Verifications per second of a typical OB 3.0 badge: in-process and over HTTP, next to raw Ed25519;
then how hostile inputs are answered, and what they do to honest requests.

Run: ``.venv/bin/python bench/verify.py [--seconds 2] [--requests 200] [--latency-requests 200]``.
The HTTP figures start the real server (``badge-issuer serve``) in its own process on 127.0.0.1 (a
temporary database and key folder, the rate limit off so that the bench measures the work bounds and
the lanes, the other settings as deployed) and post the badge to ``/api/v1/verify`` from one client,
sequentially. Bodies are encoded once, so the clients spend little CPU of the machine. Then:

- each hostile input (blank-node stars, a 27 KB PNG expanding to 9,000 identifiers, a CLR inside the
  bounds but expensive) is posted alone and its answer time reported;
- honest requests (the typical badge, sequential) are timed for p50/p99, first alone, then while
  4 clients post hostile inputs in a loop, concurrently, against the same server; each hostile
  client connects from its own loopback address (127.0.0.2 …), so the server sees 4 clients.

Standard error also says how the hostile requests sent during that run were answered (statuses,
p50 and slowest time). Extra ``BADGE_*`` variables in the environment reach the server (e.g.
``BADGE_VERIFY_WORKERS=0`` verifies everything in the serving process, as before the two lanes).

Last, ``verify_http.py``: verifications per second of distinct, freshly issued badges from 8
keep-alive clients, with ``serve --workers 1`` and ``2`` (``--throughput-seconds 0`` skips it).

Loops are bounded by time and by count.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.badges import Issuer, badge, context
from tests.jsonld.test_bounds import clr_of
from tests.test_verification import tiny_png

import verify_http
from badge_issuer.formats.png import make_chunk
from badge_issuer.verification import verify_badge


def rate(operation: Callable[[], object], seconds: float, limit: int = 1_000_000) -> float:
    operation()  # warm caches (processed contexts, compiled schemas)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds and count < limit:
        operation()
        count += 1
    return count / elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def star(identifiers: int) -> dict[str, Any]:
    """A signed-looking badge whose subject holds ``identifiers`` blank-node identifiers (a star)."""
    issuer = Issuer()
    document = issuer.sign(badge(issuer))
    document["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityHash": str(n), "identityType": "emailAddress", "hashed": False}
        for n in range(identifiers)
    ]
    return document


def hostile_png(identifiers: int = 9_000) -> bytes:
    """A small PNG whose compressed iTXt expands to a badge with ``identifiers`` identifiers."""
    document = star(identifiers)
    chunk = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(json.dumps(document).encode(), 9)
    return tiny_png()[:33] + make_chunk(b"iTXt", chunk) + tiny_png()[33:]


def as_json(document: object) -> dict[str, Any]:
    """httpx.post keyword arguments posting ``document`` as JSON, encoded once."""
    return {"content": json.dumps(document).encode(), "headers": {"Content-Type": "application/json"}}


def hostile_inputs() -> dict[str, dict[str, Any]]:
    """name → httpx.post keyword arguments."""
    inputs: dict[str, dict[str, Any]] = {
        "badge with a blank-node star, 3,000 nodes": as_json(star(3_000)),
        "badge with a blank-node star, 6,000 nodes": as_json(star(6_000)),
        "badge with a blank-node star, 1,000 nodes": as_json(star(1_000)),
        "CLR of 12 complete examples (in bounds)": as_json(clr_of(12)),
    }
    png = hostile_png()
    inputs[f"PNG {len(png) // 1024} KB, iTXt of 9,000 identifiers"] = {
        "files": {"file": ("badge.png", png, "image/png")}
    }
    return inputs


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def honest_latency(client: httpx.Client, document: object, count: int, seconds: float) -> list[float]:
    samples: list[float] = []
    posted = as_json(document)
    start = time.perf_counter()
    while len(samples) < count and time.perf_counter() - start < seconds:
        began = time.perf_counter()
        response = client.post("/api/v1/verify", **posted)
        samples.append(time.perf_counter() - began)
        assert response.json()["verified"], response.text
    return samples


def under_attack(
    url: str, document: object, inputs: dict[str, dict[str, Any]], count: int, seconds: float
) -> tuple[list[float], int]:
    """Honest latencies while 4 clients post hostile inputs in a loop; and how many they sent."""
    stop = threading.Event()
    sent = [0]
    answers: dict[int, int] = {}
    took: list[float] = []

    def attacker(kwargs: dict[str, Any], address: str) -> None:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(base_url=url, timeout=120, transport=transport) as hostile:
            while not stop.is_set():
                began = time.perf_counter()
                status = hostile.post("/api/v1/verify", **kwargs).status_code
                took.append(time.perf_counter() - began)
                sent[0] += 1
                answers[status] = answers.get(status, 0) + 1

    chosen = list(inputs.values())
    attackers = [
        threading.Thread(target=attacker, args=(chosen[n % len(chosen)], f"127.0.0.{n + 2}"))
        for n in range(4)
    ]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            samples = honest_latency(client, document, count, seconds)
    finally:
        stop.set()
        for thread in attackers:
            thread.join()
    print(
        f"hostile answers by status: {dict(sorted(answers.items()))}; answered in "
        f"p50 {statistics.median(took):.3f} s, max {max(took):.3f} s",
        file=sys.stderr,
    )
    return samples, sent[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-requests", type=int, default=200)
    parser.add_argument("--throughput-seconds", type=float, default=5.0, help="0: no throughput run")
    parser.add_argument("--throughput-badges", type=int, default=1000)
    parser.add_argument("--throughput-workers", default="1,2")
    args = parser.parse_args()

    key = Ed25519PrivateKey.generate()
    message, public = bytes(64), key.public_key()
    signature = key.sign(message)
    raw = rate(lambda: public.verify(signature, message), args.seconds)

    issuer = Issuer()
    ctx = context()
    results: list[tuple[str, float]] = [("raw Ed25519 verify", raw)]
    hostile: list[tuple[str, float, int, str]] = []
    signed = {}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed[suite] = issuer.sign(badge(issuer), suite)
        report = verify_badge(signed[suite], ctx=ctx)
        assert report.verified, report.to_json()
        document = signed[suite]
        results.append(
            (
                f"verify_badge in-process ({suite})",
                rate(functools.partial(verify_badge, document, ctx=ctx), args.seconds),
            )
        )

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(folder, port)
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for suite, document in signed.items():
                    posted = client.post("/api/v1/verify", json=document)
                    assert posted.json()["verified"], posted.text
                    body = as_json(document)

                    def call(kwargs: dict[str, Any] = body) -> None:
                        client.post("/api/v1/verify", **kwargs)

                    results.append(
                        (f"POST /api/v1/verify over HTTP ({suite})", rate(call, args.seconds, args.requests))
                    )
                inputs = hostile_inputs()
                for name, kwargs in inputs.items():
                    began = time.perf_counter()
                    answer = client.post("/api/v1/verify", **kwargs)
                    elapsed = time.perf_counter() - began
                    hostile.append((name, elapsed, answer.status_code, _outcome(answer)))
                typical = signed["eddsa-rdfc-2022"]
                alone = honest_latency(client, typical, args.latency_requests, 60)
            attacked, sent = under_attack(url, typical, inputs, args.latency_requests, 60)
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"{'operation':<52}{'per second':>12}{'x slower than raw':>20}")
    for name, per_second in results:
        print(f"{name:<52}{per_second:>12.0f}{raw / per_second:>20.0f}")
    print()
    print(f"{'hostile input (alone)':<52}{'answered in':>12}  answer")
    for name, elapsed, status, outcome in hostile:
        print(f"{name:<52}{elapsed:>11.3f}s  {status} {outcome}")
    print()
    print(f"{'honest POST /api/v1/verify (eddsa-rdfc-2022)':<52}{'p50 ms':>10}{'p99 ms':>10}{'n':>6}")
    for name, samples in (("alone", alone), (f"with 4 hostile clients ({sent} hostile sent)", attacked)):
        p50, p99 = percentiles(samples)
        print(f"{name:<52}{p50:>10.1f}{p99:>10.1f}{len(samples):>6}")
    if args.throughput_seconds > 0:  # distinct freshly issued badges, 1 and N uvicorn workers
        print()
        counts = [int(n) for n in args.throughput_workers.split(",") if n.strip()]
        rows = [verify_http.measure(n, args.throughput_badges, 8, args.throughput_seconds) for n in counts]
        verify_http.report(rows, args.throughput_badges, 8)


def start_server(folder: str, port: int) -> subprocess.Popen[bytes]:
    """``badge-issuer serve`` in its own process, on a temporary database and key folder."""
    env = {
        **os.environ,
        "BADGE_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "BADGE_KEYS_DIR": f"{folder}/keys",
        "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGE_VERIFY_RATE_LIMIT": "off",
        "BADGE_LOG_LEVEL": os.environ.get("BADGE_LOG_LEVEL", "WARNING"),
    }
    command = [sys.executable, "-m", "badge_issuer"]
    subprocess.run([*command, "init"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([*command, "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not become ready")


def _outcome(response: httpx.Response) -> str:
    """The failing check's message (or the problem's detail), shortened."""
    body = response.json()
    if "checks" in body:
        failed = [check for check in body["checks"] if check["status"] == "failed"]
        text = f"{failed[0]['id']}: {failed[0]['message']}" if failed else "verified"
    else:
        text = str(body.get("detail", ""))
    return text[:90]


if __name__ == "__main__":
    main()
