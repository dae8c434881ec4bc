"""The guarded fetcher: SSRF refusals; the happy path, caps, redirects and timeouts on a local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import copy_context
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from badge_issuer.crypto.resolver import SourceResolver, WebControllers
from badge_issuer.errors import ConfigurationError, FetchRefused, ResolutionError
from badge_issuer.net.fetch import Fetcher, FetchPolicy, fetch_budget, refusal_reason

DID_DOC = {
    "@context": ["https://www.w3.org/ns/did/v1"],
    "id": "PLACEHOLDER",
    "verificationMethod": [
        {
            "id": "PLACEHOLDER#key-1",
            "type": "Multikey",
            "controller": "PLACEHOLDER",
            "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        }
    ],
    "assertionMethod": ["PLACEHOLDER#key-1"],
}


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}  # noqa: RUF012 - per-server copy is set in the fixture

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        address = self.server.server_address
        assert isinstance(address, tuple)
        base = f"http://127.0.0.1:{address[1]}"
        if self.path == "/issuer":
            body = json.dumps(DID_DOC).replace("PLACEHOLDER", f"{base}/issuer").encode()
            self._send(200, body, "application/json")
        elif self.path == "/redirect":
            self._redirect("/issuer")
        elif self.path.startswith("/hop/"):
            left = int(self.path.rsplit("/", 1)[1])
            self._redirect(f"/hop/{left - 1}" if left > 0 else "/issuer")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/big":
            self._send(200, b"[" + b"0," * 400_000 + b"0]", "application/json")
        elif self.path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" " * 10_000)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client stopped reading at its size bound
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"{}", "application/json")
        elif self.path == "/not-json":
            self._send(200, b"<html>", "text/html")
        else:
            self._send(404, b"{}", "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up first, as the timeout and size tests make it

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def local_server() -> Iterator[tuple[str, dict[str, int]]]:
    class Handler(_Handler):
        hits: dict[str, int] = {}  # noqa: RUF012 - one dict per server, shared by its request threads

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Handler.hits
    server.shutdown()
    server.server_close()


def _dev_fetcher(**policy: object) -> Fetcher:
    return Fetcher(FetchPolicy(allow_private=True, **policy))  # type: ignore[arg-type]


def _fake_dns(table: dict[str, Sequence[str]]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise ResolutionError(f"cannot resolve host {host!r}")
        return table[host]

    return resolve


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/did.json", "loopback"),
        ("https://localhost/did.json", "loopback"),
        ("https://10.1.2.3/status/1", "private"),
        ("https://192.168.0.10/x", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[::1]/x", "loopback"),
        ("https://[::ffff:127.0.0.1]/x", "loopback"),
        ("https://[fd00:ec2::254]/x", "metadata"),
        ("https://0.0.0.0/x", "unspecified"),
        ("https://224.0.0.1/x", "multicast"),
        ("https://100.64.0.1/x", "public"),
        ("http://example.org/x", "only https"),
        ("file:///etc/passwd", "only https"),
        ("gopher://example.org/x", "only https"),
        ("https://user:pw@example.org/x", "credentials"),
    ],
)
def test_refuses_non_public_targets(url: str, reason: str) -> None:
    fetcher = Fetcher(resolve=_fake_dns({"localhost": ["127.0.0.1", "::1"]}))
    with pytest.raises(FetchRefused, match=reason):
        fetcher.get(url)


def test_a_public_name_resolving_to_a_private_address_is_refused() -> None:
    fetcher = Fetcher(resolve=_fake_dns({"rebind.example": ["93.184.216.34", "10.0.0.7"]}))
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):
        fetcher.get("https://rebind.example/did.json")


def test_refusal_reason_lets_public_addresses_through() -> None:
    import ipaddress

    assert refusal_reason(ipaddress.ip_address("93.184.216.34")) is None
    assert refusal_reason(ipaddress.ip_address("2606:4700::1111")) is None
    assert refusal_reason(ipaddress.ip_address("172.16.5.4")) == "a private address"


def test_connects_to_the_vetted_address_with_host_and_sni_of_the_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True}, headers={"content-type": "application/json"})

    fetcher = Fetcher(
        resolve=_fake_dns({"issuer.example": ["93.184.216.34"]}), transport=httpx.MockTransport(handler)
    )
    assert fetcher.get_json("https://issuer.example/keys/1") == {"ok": True}
    [request] = seen
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == "issuer.example"
    assert request.extensions["sni_hostname"] == "issuer.example"


def test_a_redirect_to_a_private_address_is_refused() -> None:
    dns = _fake_dns({"issuer.example": ["93.184.216.34"], "evil.example": ["10.0.0.5"]})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(302, headers={"location": "https://evil.example/b"})
        return httpx.Response(200, json={})

    fetcher = Fetcher(resolve=dns, transport=httpx.MockTransport(handler))
    with pytest.raises(FetchRefused, match=r"evil\.example resolves to 10\.0\.0\.5"):
        fetcher.get("https://issuer.example/a")


def test_metadata_stays_refused_even_in_development(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    with pytest.raises(FetchRefused, match="only https"):
        Fetcher().get(f"{base}/issuer")  # without the setting the local server is not reachable
    with pytest.raises(FetchRefused, match="metadata"):
        _dev_fetcher().get(f"{base}/to-metadata")


# -- the happy path and limits, on a real local server (allow_private for development) --------------


def test_fetches_and_caches_a_controller_document(local_server: tuple[str, dict[str, int]]) -> None:
    base, hits = local_server
    fetcher = _dev_fetcher()
    method = SourceResolver(WebControllers(fetcher)).resolve(f"{base}/issuer#key-1")
    assert method.controller == f"{base}/issuer"
    assert "assertionMethod" in method.purposes
    WebControllers(fetcher).controller_document(f"{base}/issuer")
    assert hits["/issuer"] == 1  # the second read came from the cache


def test_the_http_client_is_made_on_the_first_fetch_and_not_after_close(
    local_server: tuple[str, dict[str, int]],
) -> None:
    base, hits = local_server
    unused = _dev_fetcher()
    unused.close()  # never fetched: no client (nor TLS context) was ever made
    assert unused._client is None
    fetcher = _dev_fetcher()
    assert fetcher._client is None
    fetcher.get(f"{base}/issuer")
    assert fetcher._client is not None and hits["/issuer"] == 1
    fetcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        fetcher.get(f"{base}/issuer#again")


def test_cache_expires(local_server: tuple[str, dict[str, int]]) -> None:
    base, hits = local_server
    now = [0.0]
    fetcher = Fetcher(FetchPolicy(allow_private=True, cache_ttl=10), monotonic=lambda: now[0])
    fetcher.get(f"{base}/issuer")
    now[0] = 11.0
    fetcher.get(f"{base}/issuer")
    assert hits["/issuer"] == 2


def test_follows_up_to_three_redirects(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    fetcher = _dev_fetcher(cache_ttl=0)
    assert fetcher.get_json(f"{base}/redirect")["id"] == f"{base}/issuer"
    assert fetcher.get(f"{base}/hop/2").url == f"{base}/issuer"
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetcher.get(f"{base}/hop/3")


def test_size_cap_by_content_length_and_by_streaming(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    fetcher = _dev_fetcher(max_bytes=100_000)
    with pytest.raises(FetchRefused, match="100000-byte limit"):
        fetcher.get(f"{base}/big")
    with pytest.raises(FetchRefused, match="100000-byte limit"):
        fetcher.get(f"{base}/big-unannounced")
    assert fetcher.get_json(f"{base}/issuer")["id"].endswith("/issuer")  # still answering


def test_timeout_is_a_resolution_error(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    fetcher = _dev_fetcher(total_timeout=0.3)
    # /slow answers after 1.5 s: a fetcher that waited for it would have returned, not raised
    with pytest.raises(ResolutionError, match=r"timed out|longer than"):
        fetcher.get(f"{base}/slow")
    assert fetcher.get(f"{base}/issuer").status == 200


def test_http_errors_and_non_json(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    fetcher = _dev_fetcher()
    with pytest.raises(ResolutionError, match="HTTP 404"):
        fetcher.get(f"{base}/nothing-here")
    with pytest.raises(ResolutionError, match="not valid JSON"):
        fetcher.get_json(f"{base}/not-json")


def test_connection_refused_is_a_resolution_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ResolutionError, match="failed"):
        _dev_fetcher().get(f"http://127.0.0.1:{port}/x")


def test_did_web_documents_are_fetched_from_their_https_location() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.headers['host']}{request.url.path}")
        return httpx.Response(200, json={"id": "did:web:issuer.example"})

    fetcher = Fetcher(
        resolve=_fake_dns({"issuer.example": ["93.184.216.34"]}), transport=httpx.MockTransport(handler)
    )
    controllers = WebControllers(fetcher)
    assert controllers.controller_document("did:web:issuer.example")["id"] == "did:web:issuer.example"
    assert seen == ["issuer.example/.well-known/did.json"]
    with pytest.raises(ResolutionError, match="not supported"):
        controllers.controller_document("did:example:123")


def test_a_request_fetch_budget_is_shared_and_enforced() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    fetcher = Fetcher(
        FetchPolicy(cache_ttl=0),
        resolve=lambda host, port: ["93.184.215.14"],
        transport=httpx.MockTransport(handler),
    )
    with fetch_budget(2):
        fetcher.get_json("https://a.example/1")
        copy_context().run(fetcher.get_json, "https://a.example/2")
        with pytest.raises(FetchRefused, match="2 outbound fetches"):
            fetcher.get_json("https://a.example/3")
    fetcher.get_json("https://a.example/4")  # outside a request budget: unlimited
    assert len(calls) == 3


def test_each_redirect_hop_spends_from_the_budget() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.strip("/") or 0)
        if step < 3:
            return httpx.Response(302, headers={"Location": f"https://a.example/{step + 1}"})
        return httpx.Response(200, json={"ok": True})

    fetcher = Fetcher(
        FetchPolicy(cache_ttl=0),
        resolve=lambda host, port: ["93.184.215.14"],
        transport=httpx.MockTransport(handler),
    )
    with fetch_budget(4):
        assert fetcher.get_json("https://a.example/0") == {"ok": True}  # 4 requests: 0 → 1 → 2 → 3
    with fetch_budget(3), pytest.raises(FetchRefused, match="3 outbound fetches"):
        fetcher.get_json("https://a.example/0")


def test_every_uncached_fetch_reports_its_outcome(local_server: tuple[str, dict[str, int]]) -> None:
    base, _ = local_server
    outcomes: list[str] = []
    fetcher = Fetcher(FetchPolicy(allow_private=True), observe=outcomes.append)
    fetcher.get(f"{base}/issuer")
    fetcher.get(f"{base}/issuer")  # cached: not a fetch
    with pytest.raises(ResolutionError):
        fetcher.get(f"{base}/missing")
    with pytest.raises(FetchRefused):
        fetcher.get("ftp://example.org/x")
    assert outcomes == ["fetched", "failed", "refused"]


def test_an_unreadable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    missing = FetchPolicy(ca_bundle=tmp_path / "missing.pem")
    with pytest.raises(ConfigurationError, match=r"missing\.pem"):
        missing.transport()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigurationError, match=r"garbage\.pem"):
        FetchPolicy(ca_bundle=garbage).transport()
    assert FetchPolicy().transport() is None  # the system's CAs, as httpx has them
