"""A real local HTTPS server for tests, with its own throwaway CA, and a Fetcher that trusts that CA.

The guarded fetcher connects to the vetted address with the URL's host in TLS SNI and the certificate
check, so names such as ``contexts.example.edu`` are mapped to 127.0.0.1 by a fixed DNS table and the
certificate names them; ``allow_private`` lets the fetcher reach loopback (development setting).
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from badge_issuer.errors import ResolutionError
from badge_issuer.net.fetch import Fetcher, FetchPolicy

#: host names the test server answers for (all resolve to 127.0.0.1 through ``resolve``)
HOSTS = ("contexts.example.edu", "cdn.example.edu", "evil.example.org")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a server certificate + key for ``HOSTS`` and 127.0.0.1 signed by it."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("badge-issuer test CA"))
        .issuer_name(_name("badge-issuer test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(HOSTS[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


class Site:
    """What the server serves (path → body), what it was asked for, and how to reach it."""

    def __init__(self, port: int, ca: Path) -> None:
        self.port = port
        self.ca = ca
        self.bodies: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def url(self, path: str, host: str = HOSTS[0]) -> str:
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes) -> str:
        self.bodies[path] = body
        return self.url(path)

    def fetcher(self, **policy: object) -> Fetcher:
        """A guarded Fetcher (loopback allowed, names mapped to 127.0.0.1) that trusts the test CA."""
        context = ssl.create_default_context(cafile=str(self.ca))
        return Fetcher(
            FetchPolicy(allow_private=True, **policy),  # type: ignore[arg-type]
            resolve=resolve,
            transport=httpx.HTTPTransport(verify=context),
        )


def resolve(host: str, port: int) -> Sequence[str]:
    if host not in HOSTS:
        raise ResolutionError(f"cannot resolve host {host!r}")
    return ["127.0.0.1"]


@contextmanager
def https_site(folder: Path) -> Iterator[Site]:
    """Serve a ``Site`` over real TLS on 127.0.0.1 until the block ends."""
    ca, cert, key = make_certificates(folder)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    site_box: list[Site] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            site = site_box[0]
            with site.lock:
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
            body = site.bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    site_box.append(Site(server.server_address[1], ca))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site_box[0]
    finally:
        server.shutdown()
        server.server_close()
