"""Operating the service, through the real app under uvicorn: readiness, metrics, request ids,
configuration errors that never show a server path, and client disconnects."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer


def _metric(server: LiveServer, name: str, **labels: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def _issue(tenant: Tenant) -> httpx.Response:
    return httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org"}},
        headers=tenant.admin,
        timeout=30,
    )


def test_readyz_is_ready_on_a_served_database(tenant: Tenant) -> None:
    response = httpx.get(f"{tenant.server.url}/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "signing_keys": "ok"},
    }


def test_a_swapped_key_file_refuses_to_sign_and_readyz_says_why(tenant: Tenant) -> None:
    """Before: 201 with a badge signed by a key nobody published, which never verifies."""
    settings = tenant.server.settings
    [key_file] = settings.keys_dir.glob("uni-*.pem")
    key_file.write_bytes((settings.keys_dir / "dev.pem").read_bytes())
    response = _issue(tenant)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":configuration")
    assert str(settings.keys_dir) not in response.text
    assert ".pem" not in response.text
    ready = httpx.get(f"{tenant.server.url}/readyz")
    assert ready.status_code == 503
    assert "uni" in ready.json()["checks"]["signing_keys"]
    assert str(settings.keys_dir) not in ready.text


def test_a_missing_key_file_is_503_configuration_not_404(tenant: Tenant) -> None:
    settings = tenant.server.settings
    [key_file] = settings.keys_dir.glob("uni-*.pem")
    key_file.unlink()
    response = _issue(tenant)
    assert response.status_code == 503
    assert response.json()["type"].endswith(":configuration")
    assert str(settings.keys_dir) not in response.text
    assert str(settings.keys_dir.parent) not in response.text


def test_request_ids_come_back_and_are_made_when_missing(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    echoed = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "lms-7f3a"})
    assert echoed.headers["x-request-id"] == "lms-7f3a"
    made = httpx.get(f"{server.url}/no/such/route")
    assert made.status_code == 404
    assert len(made.headers["x-request-id"]) == 32
    refused = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "x" * 500})
    assert refused.headers["x-request-id"] != "x" * 500


def test_metrics_count_requests_by_route_template_and_status(tenant: Tenant) -> None:
    server = tenant.server
    for _ in range(2):
        httpx.get(f"{server.url}/issuers/uni")
    httpx.get(f"{server.url}/issuers/nobody")
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    route = {"route": "/issuers/{issuer}", "method": "GET"}
    assert _metric(server, "badge_http_requests_total", status="200", **route) == 2
    assert _metric(server, "badge_http_requests_total", status="404", **route) == 1
    assert _metric(server, "badge_http_request_duration_seconds_count", **route) == 3
    assert "/issuers/uni" not in response.text  # labels are templates, never raw paths


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected() -> Iterator[_Collect]:
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "badge_issuer")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_client_that_hangs_up_is_not_an_unhandled_error(
    live_server: Callable[..., LiveServer], collected: _Collect
) -> None:
    server = live_server()
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 5000\r\n\r\n{"credential": '
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if any("client disconnected" in r.getMessage() for r in collected.records):
            break
        time.sleep(0.05)
    messages = [(r.levelno, r.getMessage()) for r in collected.records]
    assert any(level == logging.INFO and "client disconnected" in m for level, m in messages), messages
    assert not [r for r in collected.records if r.levelno >= logging.ERROR or r.exc_info], messages
