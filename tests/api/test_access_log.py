"""`badge-issuer serve` as operators run it: JSON log lines, request ids, no personal data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def _serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {
        **os.environ,
        "BADGE_DATABASE_URL": f"sqlite:///{tmp_path / 'badges.sqlite3'}",
        "BADGE_KEYS_DIR": str(tmp_path / "keys"),
        "BADGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BADGE_VERIFY_WORKERS": "0",  # no verification here: no pool to start
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "badge_issuer", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    return err.decode()


def test_access_log_is_json_with_request_ids_and_no_recipient_in_clear(tmp_path: Path) -> None:
    process, url = _serve(tmp_path, BADGE_LOG_FORMAT="json")
    try:
        _wait_until_up(process, url)
        response = httpx.get(
            f"{url}/api/v1/issuers/uni/credentials?recipient=ada@example.org&limit=5",
            headers={"X-Request-ID": "trace-ada-1"},
        )
        assert response.headers["x-request-id"] == "trace-ada-1"
        httpx.get(f"{url}/issuers/uni?contact=grace.hopper%40example.org")
    finally:
        output = _stop(process)
    assert "ada@example.org" not in output
    assert "ada%40example.org" not in output
    assert "grace" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "badge_issuer.access"]
    [traced] = [line for line in access if line.get("request_id") == "trace-ada-1"]
    assert traced["target"] == "/api/v1/issuers/uni/credentials?recipient=[redacted]&limit=5"
    assert traced["route"] == "/api/v1/issuers/{issuer}/credentials"
    assert traced["status"] == 401
    assert all(line["level"] in {"debug", "info", "warning", "error"} for line in lines)
