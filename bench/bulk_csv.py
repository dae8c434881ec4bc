"""Bulk awards from a spreadsheet: the installed ``badge-issuer issue --csv`` against the real app.

Run: ``.venv/bin/python bench/bulk_csv.py [--rows 1000] [--batch-size 500] [--postgres URL]``.
Starts the app under uvicorn in a subprocess (as ``bench/issue_http.py`` does; SQLite in a
temporary folder, or a fresh PostgreSQL database), writes a CSV of ``--rows`` learners, runs the
console script on it and prints rows per second; then runs it again (every row already done, so
resuming costs only reading the results file) and prints that time too. Bounded by ``--rows``.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from badge_issuer.config import Settings
from issue_http import bootstrap, database, free_port, server

SCRIPT = str(Path(sys.executable).with_name("badge-issuer"))


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "result_value", "activity_end_date"])
        for n in range(rows):
            writer.writerow(
                [f"learner{n}@example.org", f"Learner {n}", str(60 + n % 40), "2026-06-30T00:00:00Z"]
            )


def run(sheet: Path, env: dict[str, str], batch_size: int) -> tuple[float, dict[str, object]]:
    command = [
        SCRIPT,
        "issue",
        "--csv",
        str(sheet),
        "--achievement",
        "python-data",
        "--batch-size",
        str(batch_size),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=3600)
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="rows in the CSV (≤ 100,000)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BADGE_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if a PostgreSQL URL is set")
    args = parser.parse_args()
    rows = max(1, min(args.rows, 100_000))
    with tempfile.TemporaryDirectory(prefix="badge-bulk-") as tmp:
        port = free_port()

        with database(args.postgres, args.sqlite, Path(tmp)) as database_url:
            settings = Settings(
                database_url=database_url, keys_dir=Path(tmp) / "keys", base_url=f"http://127.0.0.1:{port}"
            )
            token = bootstrap(settings)
            sheet = Path(tmp) / "awards.csv"
            write_csv(sheet, rows)
            with server(settings, port) as url:
                env = {k: v for k, v in os.environ.items() if not k.startswith("BADGE_")}
                env |= {"BADGE_BASE_URL": url, "BADGE_API_KEY": token, "BADGE_ISSUER": "bench"}
                first, summary = run(sheet, env, args.batch_size)
                again, resumed = run(sheet, env, args.batch_size)
    backend = "postgresql" if args.postgres and not args.sqlite else "sqlite"
    print(f"backend: {backend}; {rows} rows; batches of {args.batch_size}; server: uvicorn, 1 process")
    print(f"first run:  {first:7.2f} s  {rows / first:8.0f} rows/s  {summary}")
    print(f"second run: {again:7.2f} s  (nothing to do: {resumed['alreadyDone']} rows already awarded)")


if __name__ == "__main__":
    main()
