"""Outbound HTTPS GETs for verification, guarded against SSRF, slow and huge answers.

Every URL a verifier follows comes from the credential it was handed: a did:web, a key document,
a status list, the credential itself. So each fetch

- goes to ``https`` only (``http`` too when ``allow_private`` is set, for development);
- resolves the host once, refuses it unless *every* address is public (no loopback, private,
  shared, link-local, multicast, reserved, unspecified or cloud-metadata address; ``allow_private``
  lifts this for development, except for metadata addresses), and then
  connects to that vetted address (the URL's host stays in ``Host`` and in TLS SNI and certificate
  checks), so a second DNS answer cannot redirect the connection (DNS rebinding);
- follows at most ``max_redirects`` redirects by hand, vetting each target the same way;
- has a connect timeout and an overall deadline, and stops reading past ``max_bytes``;
- is cached for ``cache_ttl`` seconds, per ``Fetcher`` (there are no module globals).

``FetchRefused`` means the policy said no; ``ResolutionError`` means the network or the server failed.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from cachetools import TTLCache

from badge_issuer.config import Settings
from badge_issuer.errors import (
    BadgeIssuerError,
    ConfigurationError,
    FetchRefused,
    HttpStatusError,
    ResolutionError,
)
from badge_issuer.formats.bounded_json import loads_bounded

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``socket.getaddrinfo``-shaped: (host, port) → the addresses to try, as strings
Resolve = Callable[[str, int], Sequence[str]]

#: cloud instance-metadata endpoints (AWS, GCP, Azure, Alibaba, Oracle…), refused even if "public"
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
JSON_ACCEPT = "application/json, application/ld+json;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one Fetcher."""

    allow_private: bool = False
    connect_timeout: float = 3.0
    total_timeout: float = 5.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 3
    cache_ttl: float = 300.0
    cache_size: int = 256
    #: a PEM file of CA certificates trusted besides the system's
    ca_bundle: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            allow_private=settings.allow_private_fetch,
            connect_timeout=settings.fetch_connect_timeout_seconds,
            total_timeout=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            cache_ttl=settings.fetch_cache_ttl_seconds,
            ca_bundle=settings.fetch_ca_bundle,
        )

    def transport(self) -> httpx.HTTPTransport | None:
        """The transport that also trusts ``ca_bundle`` (None: httpx's default, the system's CAs)."""
        if self.ca_bundle is None:
            return None
        context = ssl.create_default_context()
        try:
            context.load_verify_locations(cafile=str(self.ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"BADGE_FETCH_CA_BUNDLE {self.ca_bundle}: {exc}") from None
        return httpx.HTTPTransport(verify=context)


@dataclass(frozen=True)
class Fetched:
    """A successful (2xx) response: the final URL, its media type and its body."""

    url: str
    status: int
    content_type: str
    body: bytes


def origin_of(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an http(s) URL, default ports made explicit."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None
    return (parts.scheme, parts.hostname, port) if parts.hostname else None


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), via the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ResolutionError(f"cannot resolve host {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted from a public verifier, or None if it may be."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return refusal_reason(embedded)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for flag, reason in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return reason
    if not address.is_global:
        return "not a public address"
    return None


class FetchBudget:
    """How many uncached fetches one request may still make (shared by its worker threads)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._left = limit
        self._lock = threading.Lock()

    @property
    def left(self) -> int:
        with self._lock:
            return self._left

    def spend(self, url: str) -> None:
        with self._lock:
            if self._left <= 0:
                raise FetchRefused(
                    f"this request has used its {self.limit} outbound fetches; {url} was not fetched"
                )
            self._left -= 1


#: the budget of the request being served (set per request by ``fetch_budget``; none = unlimited)
_BUDGET: ContextVar[FetchBudget | None] = ContextVar("badge_fetch_budget", default=None)


@contextmanager
def fetch_budget(limit: int) -> Iterator[FetchBudget]:
    """Bound the uncached fetches made inside this block (and in contexts copied from it)."""
    budget = FetchBudget(limit)
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


class Fetcher:
    """Guarded GETs of public HTTPS URLs (what is at a DID is ``crypto.resolver.WebControllers``'s)."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolve: Resolve = system_resolve,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        observe: Callable[[str], None] | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        #: told the outcome of every uncached fetch: "fetched", "failed" or "refused" (metrics)
        self._observe = observe
        self._resolve = resolve
        self._monotonic = monotonic
        #: the transport is made now (a bad BADGE_FETCH_CA_BUNDLE fails at start), the client (and
        #: with it the default TLS context: ~30 ms of loading CAs) on the first fetch, as most
        #: processes (the CLI, the tests, a service that verifies only its own badges) never fetch
        self._transport = transport or self.policy.transport()
        self._client: httpx.Client | None = None
        self._closed = False
        self._cache: TTLCache[tuple[str, str], Fetched] | None = (
            TTLCache(maxsize=self.policy.cache_size, ttl=self.policy.cache_ttl, timer=monotonic)
            if self.policy.cache_ttl > 0
            else None
        )
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, observe: Callable[[str], None] | None = None) -> Fetcher:
        return cls(FetchPolicy.from_settings(settings), observe=observe)

    def close(self) -> None:
        with self._lock:
            client, self._client, self._closed = self._client, None, True
        if client is not None:
            client.close()

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the fetcher was closed")
                if self._client is None:
                    self._client = httpx.Client(
                        transport=self._transport,
                        follow_redirects=False,
                        trust_env=False,
                        headers={"User-Agent": "badge-issuer-verifier"},
                    )
                client = self._client
        return client

    # -- public API -------------------------------------------------------------------------------

    def get(self, url: str, *, accept: str = JSON_ACCEPT) -> Fetched:
        """GET ``url`` under the policy (cached); FetchRefused or ResolutionError when it cannot."""
        key = (url, accept)
        if self._cache is not None:
            with self._lock:
                cached = self._cache.get(key)
            if cached is not None:
                return cached
        try:
            fetched = self._get_uncached(url, accept)
        except FetchRefused:
            self._told("refused")
            raise
        except BadgeIssuerError:
            self._told("failed")
            raise
        self._told("fetched")
        if self._cache is not None:
            with self._lock:
                self._cache[key] = fetched
        return fetched

    def _told(self, outcome: str) -> None:
        if self._observe is not None:
            self._observe(outcome)

    def get_json(self, url: str, *, accept: str = JSON_ACCEPT) -> Any:
        """GET ``url`` and parse the body as bounded JSON (a ResolutionError if it is not JSON)."""
        fetched = self.get(url, accept=accept)
        try:
            return loads_bounded(fetched.body, what=f"the document at {url}")
        except BadgeIssuerError as exc:
            raise ResolutionError(exc.message) from None

    # -- the guarded request ----------------------------------------------------------------------

    def vet(self, url: str) -> tuple[httpx.URL, str]:
        """Check ``url`` against the policy; the URL to connect to (host = vetted IP) and the host name."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchRefused(f"{url!r:.200} is not a valid URL: {exc}") from None
        allowed = ("https", "http") if self.policy.allow_private else ("https",)
        if parts.scheme not in allowed:
            raise FetchRefused(f"only {' and '.join(allowed)} URLs are fetched, not {url!r:.200}")
        if parts.username is not None or parts.password is not None:
            raise FetchRefused("URLs with credentials are not fetched")
        host = parts.hostname
        if not host:
            raise FetchRefused(f"{url!r:.200} has no host")
        port = port or (443 if parts.scheme == "https" else 80)
        addresses = self._addresses(host, port)
        for address in addresses:
            reason = refusal_reason(address)
            # metadata endpoints stay refused even in development
            if reason and (not self.policy.allow_private or address in METADATA_ADDRESSES):
                raise FetchRefused(f"{host} resolves to {address}, {reason}; not fetched")
        pinned = httpx.URL(url).copy_with(host=str(addresses[0]))
        return pinned, host

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        resolved = self._resolve(host, port)
        addresses: list[IPAddress] = []
        for text in resolved:
            try:
                addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
            except ValueError:
                raise ResolutionError(f"{host} resolved to a non-address {text!r:.60}") from None
        if not addresses:
            raise ResolutionError(f"{host} has no addresses")
        return addresses

    def _get_uncached(self, url: str, accept: str) -> Fetched:
        budget = _BUDGET.get()
        deadline = self._monotonic() + self.policy.total_timeout
        current = url
        for _ in range(self.policy.max_redirects + 1):
            if budget is not None:
                budget.spend(current)  # every hop of a redirect chain is a request
            pinned, host = self.vet(current)
            response = self._request(pinned, host, current, accept, deadline)
            if isinstance(response, Fetched):
                return response
            current = response
        raise FetchRefused(f"more than {self.policy.max_redirects} redirects starting at {url}")

    def _request(self, pinned: httpx.URL, host: str, url: str, accept: str, deadline: float) -> Fetched | str:
        """One GET: a Fetched, or the next URL when the answer is a redirect."""
        remaining = deadline - self._monotonic()
        if remaining <= 0:
            raise ResolutionError(f"fetching {url} took longer than {self.policy.total_timeout:g} s")
        netloc = httpx.URL(url).netloc.decode("ascii")
        extensions: dict[str, Any] = {"sni_hostname": host} if pinned.scheme == "https" else {}
        timeout = httpx.Timeout(remaining, connect=min(self.policy.connect_timeout, remaining))
        try:
            with self._http().stream(
                "GET",
                pinned,
                headers={"Host": netloc, "Accept": accept},
                extensions=extensions,
                timeout=timeout,
            ) as response:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise ResolutionError(f"{url} redirected without a Location")
                    return urljoin(url, str(location))
                if not 200 <= response.status_code < 300:
                    raise HttpStatusError(
                        f"{url} answered HTTP {response.status_code}", status=response.status_code
                    )
                body = self._read_capped(response, url, deadline)
                content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                return Fetched(url=url, status=response.status_code, content_type=content_type, body=body)
        except httpx.TimeoutException:
            raise ResolutionError(f"fetching {url} timed out") from None
        except httpx.HTTPError as exc:
            raise ResolutionError(f"fetching {url} failed: {type(exc).__name__}: {exc}") from None

    def _read_capped(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        cap = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchRefused(f"{url} is larger than the {cap}-byte limit for fetched documents")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchRefused(f"{url} is larger than the {cap}-byte limit for fetched documents")
            if self._monotonic() > deadline:
                raise ResolutionError(f"fetching {url} took longer than {self.policy.total_timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)
