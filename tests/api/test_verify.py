"""POST /api/v1/verify and /api/v1/verify:batch end to end, through the real app under uvicorn."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from badge_issuer.formats.png import bake_png
from badge_issuer.formats.vcjwt import encode_vc_jwt
from tests.badges import Issuer, badge, present, status_entry, status_list
from tests.conftest import LiveServer
from tests.test_verification import tiny_png

pytestmark = pytest.mark.e2e


class DocumentServer:
    """A plain HTTP server on 127.0.0.1 serving fixed JSON documents by path."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        documents = self.documents

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                if self.path not in documents:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(documents[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def post(server: LiveServer, path: str = "/api/v1/verify", **kwargs: Any) -> httpx.Response:
    return httpx.post(server.url + path, timeout=30, **kwargs)


def checks(body: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in body["checks"]}


def test_every_input_form(live_server: Callable[..., LiveServer], issuer: Issuer) -> None:
    server = live_server()
    signed = issuer.sign(badge(issuer))
    token = encode_vc_jwt(badge(issuer), private_key=issuer.key, kid=issuer.signer.verification_method)

    as_json = post(server, json=signed)
    assert as_json.status_code == 200
    assert as_json.json()["verified"] is True, as_json.json()
    assert as_json.json()["summary"]["issuer"]["name"] == "Example University"

    as_text = post(server, content=token, headers={"Content-Type": "text/plain"})
    assert as_text.json()["verified"] is True
    assert post(server, json={"jwt": token}).json()["verified"] is True

    png = bake_png(tiny_png(), json.dumps(signed))
    upload = post(server, files={"file": ("badge.png", png, "image/png")})
    assert upload.status_code == 200 and upload.json()["verified"] is True

    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": [signed, token]}
    body = post(server, json=presentation).json()
    assert body["verified"] is True and len(body["credentials"]) == 2

    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    body = post(server, json=tampered).json()
    assert body["verified"] is False and checks(body)["proof"] == "failed"

    batch = post(server, "/api/v1/verify:batch", json={"items": [signed, token, tampered, 42]}).json()
    assert [item["verified"] for item in batch["items"]] == [True, True, False, False]
    assert batch["verified"] == 2 and batch["total"] == 4


def test_url_input_and_status_over_real_http(
    live_server: Callable[..., LiveServer], issuer: Issuer, documents: DocumentServer
) -> None:
    server = live_server(allow_private_fetch=True)
    list_url = f"{documents.base}/status/1"
    documents.documents["/status/1"] = status_list(issuer, list_url, set_bits=(8,))
    good = issuer.sign(badge(issuer, credentialStatus=status_entry(7, list_url)))
    revoked = issuer.sign(badge(issuer, credentialStatus=status_entry(8, list_url)))
    documents.documents["/badges/good"] = good

    body = post(server, json={"url": f"{documents.base}/badges/good"}).json()
    assert body["verified"] is True, body
    assert checks(body)["status"] == "passed"

    body = post(server, json=revoked).json()
    assert body["verified"] is False
    assert "the status list says revoked" in next(c["message"] for c in body["checks"] if c["id"] == "status")

    # fail closed: a list that cannot be fetched is "could not be checked", not a pass (#8)
    gone = issuer.sign(badge(issuer, credentialStatus=status_entry(8, f"{documents.base}/status/404")))
    body = post(server, json=gone).json()
    assert checks(body)["status"] == "indeterminate" and body["verified"] is False
    status = next(c for c in body["checks"] if c["id"] == "status")
    assert "could not check whether it is revoked" in status["message"]
    assert "404" in status["detail"]["entries"][0]["reason"]

    # offline mode is explicit, and the report says status was not checked
    body = post(server, params={"status": "skip"}, json=gone).json()
    assert checks(body)["status"] == "skipped" and body["verified"] is True
    assert "offline mode" in next(c["message"] for c in body["checks"] if c["id"] == "status")
    batch = post(server, "/api/v1/verify:batch", params={"status": "skip"}, json={"items": [gone]}).json()
    assert batch["verified"] == 1
    refused = post(server, params={"status": "maybe"}, json=gone)
    assert refused.status_code in (400, 422)
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_presentations_with_challenge_domain_and_holder_binding(
    live_server: Callable[..., LiveServer], issuer: Issuer
) -> None:
    server = live_server()
    ada = Issuer("Ada")
    credential = badge(issuer)
    credential["credentialSubject"] = {**credential["credentialSubject"], "id": ada.did}
    vp = present(ada, [issuer.sign(credential)], challenge="n-42", domain="hr.example")
    asked = {"challenge": "n-42", "domain": "hr.example", "subject": "holder"}

    body = post(server, params=asked, json=vp).json()
    assert body["verified"] is True, body
    assert checks(body) == {"format": "passed", "presentation_proof": "passed", "holder": "passed"}
    assert body["summary"]["holder"] == ada.did and body["credentials"][0]["verified"] is True

    body = post(server, params={**asked, "challenge": "n-43"}, json=vp).json()
    assert body["verified"] is False and checks(body)["presentation_proof"] == "failed"

    unsigned = {key: value for key, value in vp.items() if key != "proof"}
    body = post(server, params={"challenge": "n-42"}, json=unsigned).json()
    assert body["verified"] is False
    assert "no proof on the presentation" in next(
        c["message"] for c in body["checks"] if c["id"] == "presentation_proof"
    )

    mallory = present(Issuer("Mallory"), [issuer.sign(credential)], challenge="n-42", domain="hr.example")
    body = post(server, params=asked, json=mallory).json()
    assert body["verified"] is False and checks(body)["holder"] == "failed"

    refused = post(server, params={"subject": "someone"}, json=vp)
    assert refused.status_code in (400, 422)


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/credential",
        "https://localhost/credential",
        "https://10.0.0.1/credential",
        "https://[::1]/credential",
        "http://example.org/credential",
        "file:///etc/passwd",
    ],
)
def test_ssrf_targets_are_refused_and_the_service_keeps_answering(
    live_server: Callable[..., LiveServer], issuer: Issuer, url: str
) -> None:
    server = live_server()
    body = post(server, json={"url": url}).json()
    assert body["verified"] is False
    assert "could not be fetched" in body["checks"][0]["message"]
    assert "not fetched" in body["checks"][0]["message"] or "only https" in body["checks"][0]["message"]
    honest = post(server, json=issuer.sign(badge(issuer))).json()
    assert honest["verified"] is True, honest


def test_size_bounds_and_garbage_never_give_500(
    live_server: Callable[..., LiveServer], issuer: Issuer
) -> None:
    server = live_server(max_body_bytes=200_000)
    too_big = b"{" + b" " * 300_000 + b"}"
    response = post(server, content=too_big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b" " * 10_000

    response = post(server, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413  # chunked: no Content-Length, counted as it streams

    upload = post(server, files={"file": ("big.png", b"\x89PNG" + b"0" * 300_000, "image/png")})
    assert upload.status_code == 413

    deep = post(
        server,
        content=b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert deep.status_code == 413
    wide = post(
        server,
        content=json.dumps({"items": list(range(20_000))}),
        headers={"Content-Type": "application/json"},
    )
    assert wide.status_code == 413
    assert post(server, "/api/v1/verify:batch", json={"items": [1] * 101}).status_code == 413

    assert post(server, content=b"", headers={"Content-Type": "application/json"}).status_code == 400
    assert post(server, "/api/v1/verify:batch", json={"items": []}).status_code == 400
    for garbage in (
        b"\x00\x01\x02\xff binary",
        b"42",
        b"{}",
        b"null",
        b'{"url": 42}',
        b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": {"type": "Nope"}}',
        json.dumps({**badge(issuer), "proof": {"type": "MysteryProof", "proofValue": "z1"}}).encode(),
        b"eyJhbGciOiJub25lIn0.eyJ9.",
        b"<svg><not closed",
    ):
        response = post(server, content=garbage, headers={"Content-Type": "application/json"})
        assert response.status_code in (200, 400), (garbage, response.text)
        if response.status_code == 200:
            assert response.json()["verified"] is False
    honest = post(server, json=issuer.sign(badge(issuer))).json()
    assert honest["verified"] is True, honest
