"""Staff commands through the installed ``badge-issuer`` script against the real server: bulk
awards from a CSV (1,000 rows; killed mid-run and resumed without duplicates), achievements, revoke."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer

SCRIPT = str(Path(sys.executable).with_name("badge-issuer"))


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(), "bulk")
    created = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert created.status_code == 201, created.text
    return tenant


def environment(tenant: Tenant) -> dict[str, str]:
    key = tenant.admin["Authorization"].removeprefix("Bearer ")
    base = {k: v for k, v in os.environ.items() if not k.startswith("BADGE_")}
    return {**base, "BADGE_BASE_URL": tenant.server.url, "BADGE_API_KEY": key, "BADGE_ISSUER": tenant.slug}


def badge_issuer(tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args], env=environment(tenant), capture_output=True, text=True, timeout=300, check=False
    )


def write_csv(path: Path, count: int, start: int = 0) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name", "result_value", "Activity End Date"])
        for n in range(start, start + count):
            writer.writerow(
                [f"learner{n}@example.org", f"Learner {n}", str(60 + n % 40), "2026-06-30T00:00:00Z"]
            )
    return path


def records(tenant: Tenant) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(tenant.url("/credentials"), params=params, headers=tenant.admin).json()
        found += page["items"]
        cursor = page["next"]
        if not cursor:
            return found


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_thousand_rows_are_awarded_once_even_when_killed_and_resumed(
    tenant: Tenant, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "awards.csv", 1000)
    results = tmp_path / "awards.csv.results.csv"
    command = [SCRIPT, "issue", "--csv", str(sheet), "--achievement", "python-data", "--batch-size", "50"]
    quiet = subprocess.DEVNULL
    first = subprocess.Popen(command, env=environment(tenant), stdout=quiet, stderr=quiet)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not results.exists() or len(results_of(results)) < 100):
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # no chance to tidy up
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    partial = results_of(results)
    assert 100 <= len(partial) < 1000, "the first run was not interrupted"

    started = time.monotonic()
    second = badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "python-data")
    elapsed = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["alreadyDone"] == len(partial)
    assert summary["created"] + summary["replayed"] + summary["alreadyDone"] == 1000
    final = results_of(results)
    assert [int(line["row"]) for line in final] == list(range(2, 1002))  # one line a row, in order
    assert {line["status"] for line in final} <= {"created", "replayed"}
    assert all(line["url"].startswith(tenant.server.url + "/credentials/") for line in final)
    assert all(line["baked_png"] == line["url"] + "/baked.png" for line in final)
    awarded = records(tenant)
    assert len(awarded) == 1000  # nobody twice
    assert len({line["credential_id"] for line in final}) == 1000
    print(f"resumed {1000 - len(partial)} rows in {elapsed:.1f} s")

    again = badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "python-data")
    assert again.returncode == 0 and json.loads(again.stdout)["alreadyDone"] == 1000
    assert len(records(tenant)) == 1000


def test_dry_run_validates_every_row_and_sends_nothing(tenant: Tenant, tmp_path: Path) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "email,name,valid_until\n"
        "ada@example.org,Ada,2027-01-01T00:00:00Z\n"
        "not-an-email,Bob,\n"
        "cy@example.org,Cy,next year\n"
        "ada@example.org,Ada,2027-01-01T00:00:00Z\n"
    )
    checked = badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "python-data", "--dry-run")
    assert checked.returncode == 1
    assert "line 3: recipient.email" in checked.stderr and "line 4: validUntil" in checked.stderr
    assert "line 5: same idempotency key as line 2" in checked.stderr
    assert "2 valid row(s), 2 invalid" in checked.stderr
    assert records(tenant) == []
    assert not (tmp_path / "bad.csv.results.csv").exists()

    issued = badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "python-data")
    assert issued.returncode == 1  # some rows could not be awarded
    statuses = {line["row"]: line["status"] for line in results_of(tmp_path / "bad.csv.results.csv")}
    assert statuses == {"2": "created", "3": "invalid", "4": "invalid", "5": "duplicate"}
    assert len(records(tenant)) == 1


def test_unusable_files_are_one_line_refusals(tenant: Tenant, tmp_path: Path) -> None:
    sheet = tmp_path / "odd.csv"
    sheet.write_text("email,shoe_size\nada@example.org,42\n")
    refused = badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "python-data")
    assert refused.returncode == 2 and "unknown column(s) shoe_size" in refused.stderr
    assert refused.stderr.count("\n") == 1
    unknown = write_csv(tmp_path / "ok.csv", 2)
    missing = badge_issuer(tenant, "issue", "--csv", str(unknown), "--achievement", "no-such-badge")
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")


def test_achievements_and_revocation(tenant: Tenant, tmp_path: Path) -> None:
    made = badge_issuer(
        tenant,
        "achievements",
        "create",
        "sql-basics",
        "--name",
        "SQL Basics",
        "--description",
        "Writes joins.",
        "--criteria",
        "Passed the quiz.",
    )
    assert made.returncode == 0, made.stderr
    listed = badge_issuer(tenant, "achievements", "list")
    slugs = [json.loads(line)["slug"] for line in listed.stdout.splitlines()]
    assert sorted(slugs) == ["python-data", "sql-basics"]

    sheet = write_csv(tmp_path / "one.csv", 1)
    assert badge_issuer(tenant, "issue", "--csv", str(sheet), "--achievement", "sql-basics").returncode == 0
    [line] = results_of(tmp_path / "one.csv.results.csv")
    url = line["url"]
    assert line["claim"].startswith(tenant.server.url + "/claims/")  # the learner's claim link
    revoked = badge_issuer(tenant, "revoke", url, "--reason", "issued in error")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert badge_issuer(tenant, "revoke", url, "--reason", "again").returncode == 0  # safe to repeat
    refused = badge_issuer(tenant, "revoke", url, "--reason", "x", "--action", "unsuspend")
    assert refused.returncode == 2 and "revoked" in refused.stderr
