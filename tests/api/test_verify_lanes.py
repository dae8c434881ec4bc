"""The two verification lanes through the real app under uvicorn: heavy requests go to the worker
processes the lifespan started and come back with the report the serving process would give; a
full heavy lane is a 503 and a second heavy request of one client a 429 (both problem+json with
Retry-After), while light requests are still served."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from badge_issuer.application import build_services
from badge_issuer.application.verifying import verify_batch_request, verify_presented
from badge_issuer.clock import fixed_clock
from tests.api.test_verify import DocumentServer
from tests.application.test_verify_pool import hold, wait_until
from tests.badges import NOW, Issuer, badge, status_entry, status_list
from tests.checks.test_clr import clr, nested_badge
from tests.conftest import LiveServer
from tests.jsonld.test_bounds import clr_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def post(server: LiveServer, path: str = "/api/v1/verify", **kwargs: Any) -> httpx.Response:
    return httpx.post(server.url + path, timeout=60, **kwargs)


CLOCK = fixed_clock(NOW)


def fetches(server: LiveServer) -> float:
    text = httpx.get(server.url + "/metrics").text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith('badge_outbound_fetches_total{outcome="fetched"}')
    )
    return float(line.split()[-1])


def in_process(server: LiveServer) -> Any:
    """Services on the server's database, settings and clock that verify everything in-process."""
    return build_services(server.settings.model_copy(update={"verify_workers": 0}), clock=CLOCK)


def test_heavy_requests_are_verified_by_a_worker_with_the_same_report(
    live_server: Callable[..., LiveServer], documents: DocumentServer
) -> None:
    server = live_server(CLOCK, verify_workers=1, verify_queue=0, allow_private_fetch=True)
    pool = server.app.state.services.verify_pool
    assert pool.running  # started by the lifespan
    issuer = Issuer()
    five = clr(issuer, [nested_badge(issuer, str(n)) for n in range(5)])  # heavy: more than 4 credentials
    long = clr_of(12)  # heavy: 200 KB
    documents.documents["/transcript"] = five
    local = in_process(server)
    try:
        for document in (five, long):
            data = json.dumps(document).encode()
            before = pool.completed
            answer = post(server, content=data, headers={"Content-Type": "application/json"})
            assert answer.status_code == 200 and pool.completed == before + 1
            assert answer.json() == verify_presented(local, data).to_json()
        assert post(server, json=five).json()["verified"] is True
        # a URL is fetched by the serving process, then weighed by what it served
        before = pool.completed
        fetched = post(server, json={"url": f"{documents.base}/transcript"}).json()
        assert pool.completed == before + 1
        assert fetched == verify_presented(local, b"", url=f"{documents.base}/transcript").to_json()
        # what a worker fetched (a status list) is counted in the serving process's /metrics
        list_url = f"{documents.base}/status/1"
        documents.documents["/status/1"] = status_list(issuer, list_url, set_bits=(8,))
        revoked = issuer.sign(
            badge(issuer, description="x" * 70_000, credentialStatus=status_entry(8, list_url))
        )  # heavy: 70 KB
        before, fetched_before = pool.completed, fetches(server)
        report = post(server, json=revoked).json()
        assert pool.completed == before + 1 and fetches(server) == fetched_before + 1
        assert report["verified"] is False and "revoked" in str(report)
        items = {"items": [badge(issuer) for _ in range(5)]}  # heavy: five items
        before = pool.completed
        batch = post(server, "/api/v1/verify:batch", json=items).json()
        assert pool.completed == before + 1
        assert batch["items"] == [
            r.to_json() for r in verify_batch_request(local, json.dumps(items).encode())
        ]
    finally:
        local.close()


def test_a_full_heavy_lane_answers_503_and_a_second_heavy_request_429_light_ones_still_verify(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server(verify_workers=1, verify_queue=0)
    pool = server.app.state.services.verify_pool
    issuer = Issuer()
    light = issuer.sign(badge(issuer))
    heavy = clr_of(12)
    with ThreadPoolExecutor(max_workers=1) as threads:
        for holder, status, code in (("someone else", 503, "busy"), ("127.0.0.1", 429, "rate-limited")):
            gate = tmp_path / f"open-{status}"
            held = threads.submit(pool.run, holder, hold, str(gate))
            wait_until(lambda: pool.admitted == 1)
            refused = post(server, json=heavy)
            assert refused.status_code == status, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "3"
            assert refused.json()["type"].endswith(f":{code}") and refused.json()["status"] == status
            batch = post(server, "/api/v1/verify:batch", json={"items": [light] * 5})
            assert batch.status_code == status  # a heavy batch is refused alike
            assert post(server, json=light).json()["verified"] is True  # the light lane is unaffected
            gate.touch()
            held.result()
    answer = post(server, json=heavy)
    assert answer.status_code == 200 and answer.json()["checks"][0]["status"] == "passed"
