"""Verifications per second of a typical OB 3.0 badge: in-process and over HTTP, next to raw Ed25519.

Run: ``.venv/bin/python bench/verify.py [--seconds 2] [--requests 200]``. The HTTP figure starts the
real app under uvicorn on 127.0.0.1 (a temporary database and key folder) and posts the badge to
``/api/v1/verify`` from one client, sequentially. Loops are bounded by time and by count.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.badges import Issuer, badge, context

from badge_issuer.api.app import create_app
from badge_issuer.config import Settings
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    key = Ed25519PrivateKey.generate()
    message, public = bytes(64), key.public_key()
    signature = key.sign(message)
    raw = rate(lambda: public.verify(signature, message), args.seconds)

    issuer = Issuer()
    ctx = context()
    results: list[tuple[str, float]] = [("raw Ed25519 verify", raw)]
    signed = {}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        signed[suite] = issuer.sign(badge(issuer), suite)
        report = verify_badge(signed[suite], ctx=ctx)
        assert report.verified, report.to_json()
        document = signed[suite]
        results.append(
            (
                f"verify_badge in-process ({suite})",
                rate(lambda d=document: verify_badge(d, ctx=ctx), args.seconds),
            )  # type: ignore[misc]
        )

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.sqlite3",
            keys_dir=Path(folder) / "keys",
            base_url=f"http://127.0.0.1:{port}",
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for suite, document in signed.items():
                    posted = client.post("/api/v1/verify", json=document)
                    assert posted.json()["verified"], posted.text

                    def call(d: object = document) -> None:
                        client.post("/api/v1/verify", json=d)

                    results.append(
                        (f"POST /api/v1/verify over HTTP ({suite})", rate(call, args.seconds, args.requests))
                    )
        finally:
            server.should_exit = True
            thread.join(timeout=20)

    print(f"{'operation':<52}{'per second':>12}{'x slower than raw':>20}")
    for name, per_second in results:
        print(f"{name:<52}{per_second:>12.0f}{raw / per_second:>20.0f}")


if __name__ == "__main__":
    main()
