"""End to end: an employer posts a badge that uses an institution's extension context to the real
server, which fetches the context over real TLS (trusting a private CA through
``BADGE_FETCH_CA_BUNDLE``) and reports it, with its hash, in a ``context`` warning."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.badges import Issuer
from tests.checks.test_remote_contexts import EXTENSION, extension_badge, sign
from tests.conftest import LiveServer
from tests.tls import Site, https_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with https_site(tmp_path_factory.mktemp("tls")) as served:
        yield served


def checks_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in body["checks"]}


def test_an_extension_context_badge_verifies_through_the_server(
    site: Site, live_server: Callable[..., LiveServer]
) -> None:
    body = json.dumps(EXTENSION).encode()
    url = site.serve("/ctx/e2e-v1.json", body).replace("contexts.example.edu", "127.0.0.1")
    issuer = Issuer()
    signed = sign(issuer, extension_badge(issuer, url, gpa="3.9", courseCode="CS-101"), {url: EXTENSION})
    server = live_server(allow_private_fetch=True, fetch_ca_bundle=site.ca, verify_rate_limit="")

    answer = httpx.post(f"{server.url}/api/v1/verify", json=signed, timeout=30)

    assert answer.status_code == 200
    report = answer.json()
    assert report["verified"] is True, report
    context = checks_of(report)["context"]
    digest = hashlib.sha256(body).hexdigest()
    assert context["status"] == "warning"
    assert context["detail"]["fetched"] == [{"url": url, "sha256": digest, "bytes": len(body)}]
    assert checks_of(report)["proof"]["status"] == "passed"
    # a changed extension value no longer matches the signature, whatever the context says
    signed["credentialSubject"]["gpa"] = "4.0"
    tampered = httpx.post(f"{server.url}/api/v1/verify", json=signed, timeout=30).json()
    assert tampered["verified"] is False and checks_of(tampered)["proof"]["status"] == "failed"


def test_without_the_private_ca_the_context_cannot_be_fetched(
    site: Site, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    url = site.serve("/ctx/e2e-untrusted.json", json.dumps(EXTENSION).encode())
    url = url.replace("contexts.example.edu", "127.0.0.1")
    issuer = Issuer()
    signed = sign(issuer, extension_badge(issuer, url, gpa="3.9"), {url: EXTENSION})
    server = live_server(allow_private_fetch=True, verify_rate_limit="")

    report = httpx.post(f"{server.url}/api/v1/verify", json=signed, timeout=30).json()

    assert report["verified"] is False
    assert checks_of(report)["context"]["status"] == "failed"
    assert "certificate" in checks_of(report)["context"]["message"].lower()
