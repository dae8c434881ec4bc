"""OB 2.0 through POST /api/v1/verify, end to end: real app under uvicorn, documents over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.api.test_verify import DocumentServer, checks, post
from tests.conftest import LiveServer
from tests.ob2.publisher import EMAIL, Publisher
from tests.ob2.test_baked import ob2_png

pytestmark = pytest.mark.e2e


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def publish(publisher: Publisher, server: DocumentServer) -> None:
    for url, document in publisher.served.items():
        server.documents[urlsplit(url).path] = document


def test_ob2_hosted_and_signed_with_a_recipient(
    live_server: Callable[..., LiveServer], documents: DocumentServer
) -> None:
    server = live_server(allow_private_fetch=True)
    publisher = Publisher(documents.base)
    hosted = publisher.host(publisher.assertion())
    token = publisher.sign(publisher.assertion(method="signed"))
    publish(publisher, documents)

    body = post(server, json=hosted, params={"recipient": EMAIL}).json()
    assert body["verified"] is True, body
    assert checks(body)["recipient"] == "passed"
    assert body["summary"]["format"] == "Open Badges 2.0 (hosted)"

    body = post(server, json={"url": hosted["id"], "recipient": "eve@example.org"}).json()
    assert body["verified"] is False and checks(body)["recipient"] == "failed"

    png = ob2_png(hosted["id"])
    body = post(server, files={"file": ("badge.png", png, "image/png")}, data={"recipient": EMAIL}).json()
    assert body["verified"] is True and checks(body)["recipient"] == "passed"

    body = post(server, content=token, headers={"Content-Type": "text/plain"}).json()
    assert body["verified"] is True, body
    assert checks(body)["recipient"] == "skipped"

    forged = json.loads(json.dumps(hosted))
    forged["badge"] = f"{documents.base}/badges/medicine"
    assert post(server, json=forged).json()["verified"] is False


def test_a_bad_recipient_field_is_a_problem_not_a_500(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    response = post(server, json={"url": "https://example.org/a", "recipient": 7})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    response = post(server, json={"url": "https://example.org/a"}, params={"recipient": "x" * 400})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
