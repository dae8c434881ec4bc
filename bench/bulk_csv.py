"""Bulk awards from a spreadsheet: a CSV job (``POST …/credentials:jobs``) against the real app.

Run: ``.venv/bin/python bench/bulk_csv.py [--rows 20000] [--workers 1,2] [--backends sqlite,postgresql]
[--postgres URL] [--seconds 600] [--cli-rows 0]``.

For each backend and worker count: a fresh database (SQLite in a temporary folder, or a fresh
PostgreSQL database), ``badge-issuer serve`` in a subprocess, a CSV of ``--rows`` learners sent as
one job; the time from the POST until the job is done gives credentials per second. "Workers" are
what signs: on PostgreSQL, ``badge-issuer worker --concurrency N`` processes (the serving process's
inline worker off); on SQLite, the serving process's lease runner signing with N processes
(BADGE_JOB_SIGN_PROCESSES=N; 1 = in the runner's own process). The load average is printed next
to each figure (the machine may be shared). ``--cli-rows`` > 0 also times ``badge-issuer issue
--csv`` (synchronous ``credentials:batch`` requests) on that many rows. Bounded by ``--rows``
(≤ 100,000) and ``--seconds`` (a job not done by then is reported as such).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from badge_issuer.config import Settings
from issue_http import bootstrap, database, free_port

SCRIPT = str(Path(sys.executable).with_name("badge-issuer"))


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "result_value", "activity_end_date"])
        for n in range(rows):
            writer.writerow(
                [f"learner{n}@example.org", f"Learner {n}", str(60 + n % 40), "2026-06-30T00:00:00Z"]
            )


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGE_")}
    return env | {
        "BADGE_DATABASE_URL": settings.database_url,
        "BADGE_KEYS_DIR": str(settings.keys_dir),
        "BADGE_BASE_URL": settings.base_url,
        "BADGE_LOG_LEVEL": "WARNING",
        "BADGE_MAX_BODY_BYTES": str(64 * 1024 * 1024),
        **extra,
    }


@contextmanager
def processes(*commands: tuple[list[str], dict[str, str]]) -> Iterator[None]:
    started = [subprocess.Popen(command, env=env) for command, env in commands]
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start within 120 s")


def run_job(url: str, token: str, sheet: Path, deadline: float) -> tuple[float, float, dict[str, Any]]:
    """(seconds to submit, seconds until done, the job) for one CSV job."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    answer = httpx.post(
        f"{url}/api/v1/issuers/bench/achievements/python-data/credentials:jobs",
        content=sheet.read_bytes(),
        headers=headers | {"Content-Type": "text/csv"},
        timeout=600,
    )
    answer.raise_for_status()
    submitted = time.perf_counter() - started
    job = answer.json()
    while job["status"] not in ("done", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.25)
        job = httpx.get(job["links"]["self"], headers=headers, timeout=60).json()
    return submitted, time.perf_counter() - started, job


def measure(args: argparse.Namespace, backend: str, workers: int, tmp: Path, deadline: float) -> str:
    port = free_port()
    postgres = None if backend == "sqlite" else args.postgres
    with database(postgres, tmp / f"{backend}-{workers}") as database_url:
        (tmp / f"{backend}-{workers}").mkdir(exist_ok=True)
        settings = Settings(
            database_url=database_url,
            keys_dir=tmp / f"keys-{backend}-{workers}",
            base_url=f"http://127.0.0.1:{port}",
        )
        token = bootstrap(settings)
        sheet = tmp / "awards.csv"
        serve = [SCRIPT, "serve", "--port", str(port)]
        if backend == "sqlite":
            signers = "0" if workers == 1 else str(workers)
            commands = [(serve, environment(settings, BADGE_JOB_SIGN_PROCESSES=signers))]
        else:
            commands = [
                (serve, environment(settings, BADGE_JOB_INLINE_WORKER="false")),
                ([SCRIPT, "worker", "--concurrency", str(workers)], environment(settings)),
            ]
        with processes(*commands):
            wait_healthy(settings.base_url)
            time.sleep(3 if backend == "postgresql" else 1)  # the workers start (and spawn theirs)
            load = os.getloadavg()[0]
            submitted, seconds, job = run_job(settings.base_url, token, sheet, deadline)
            if args.cli_rows:
                cli_line = cli_run(settings.base_url, token, tmp, args.cli_rows)
    counts = job["counts"]
    awarded = int(job["total"]) - int(counts["pending"])  # all of them unless the budget ran out
    line = (
        f"{backend:10} {workers} worker(s): {awarded} rows in {seconds:7.2f} s "
        f"(submit {submitted:5.2f} s) = {awarded / seconds:7.0f} credentials/s; "
        f"status {job['status']}, {counts}; load average {load:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    return line + (f"\n{cli_line}" if args.cli_rows else "")


def cli_run(url: str, token: str, tmp: Path, rows: int) -> str:
    """``badge-issuer issue --csv`` (synchronous batches) on ``rows`` other learners."""
    sheet = tmp / "cli.csv"
    with sheet.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name"])
        for n in range(rows):
            writer.writerow([f"cli{n}@example.org", f"Cli {n}"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGE_")}
    env |= {"BADGE_BASE_URL": url, "BADGE_API_KEY": token, "BADGE_ISSUER": "bench"}
    command = [SCRIPT, "issue", "--csv", str(sheet), "--achievement", "python-data", "--batch-size", "500"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=3600)
    seconds = time.perf_counter() - started
    summary = json.loads(done.stdout)
    return f"{'':10} issue --csv: {rows} rows in {seconds:7.2f} s = {rows / seconds:7.0f} rows/s {summary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the CSV job (≤ 100,000)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--seconds", type=float, default=600, help="overall time budget")
    parser.add_argument("--cli-rows", type=int, default=0, help="also time `issue --csv` on this many rows")
    args = parser.parse_args()
    rows = max(1, min(args.rows, 100_000))
    deadline = time.monotonic() + args.seconds
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if "postgresql" in backends and not args.postgres:
        print("no PostgreSQL URL (--postgres or BADGE_TEST_POSTGRES_URL): PostgreSQL skipped")
        backends.remove("postgresql")
    print(f"bulk job of {rows} CSV rows; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="badge-bulk-") as folder:
        tmp = Path(folder)
        write_csv(tmp / "awards.csv", rows)
        for backend in backends:
            for workers in [max(1, min(int(n), 16)) for n in args.workers.split(",") if n.strip()]:
                if time.monotonic() > deadline:
                    print(f"{backend:10} {workers} worker(s): skipped (time budget spent)")
                    continue
                print(measure(args, backend, workers, tmp, deadline), flush=True)


if __name__ == "__main__":
    main()
