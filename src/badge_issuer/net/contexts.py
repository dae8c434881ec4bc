"""Remote JSON-LD contexts for the verifier: fetched under a policy, hashed, frozen per verification.

Many issuers publish an extension context next to the OB 3.0 one. The verifier's loader asks
``RemoteContexts`` for every context URL we do not pin; issuance never gets one, so it never fetches.

- ``resolve`` runs first, in the ``context`` check: it loads each unpinned context the credential
  names, then every unpinned context *those* name (``@context`` and ``@import`` values, scoped
  contexts included), breadth first, at most ``max_depth`` levels deep and ``max_contexts`` in all.
  Each must be ``https``, pass the allow and deny lists, come through the guarded ``Fetcher`` (public
  hosts only, timeouts, its TTL cache, the request's fetch budget), fit ``max_bytes``, and be a JSON
  object with an ``@context``. Its sha256 is recorded for the report.
- What was loaded is kept in the *verification scope* (``context_scope``: a ContextVar, so per
  request and per worker thread, never shared). The loader serves unpinned URLs from that snapshot
  only, so the proof is checked against exactly the bytes whose hash the report names, and a URL
  the ``context`` check did not vet is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from badge_issuer.config import Settings
from badge_issuer.errors import BadgeIssuerError, ContextRefused
from badge_issuer.formats.bounded_json import loads_bounded
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.net.fetch import Fetcher

CONTEXT_ACCEPT = "application/ld+json, application/json;q=0.9"


@dataclass(frozen=True)
class RemoteContextPolicy:
    """Which unpinned contexts the verifier loads, and how many."""

    #: hosts contexts may come from (with their subdomains); empty = any public host
    allow: tuple[str, ...] = ()
    #: hosts contexts never come from (with their subdomains)
    deny: tuple[str, ...] = ()
    max_contexts: int = 4
    max_bytes: int = 64 * 1024
    #: 1 = only contexts the credential names; 2 = also contexts those name; …
    max_depth: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteContextPolicy:
        return cls(
            allow=settings.remote_context_allow,
            deny=settings.remote_context_deny,
            max_contexts=settings.remote_context_max,
            max_bytes=settings.remote_context_max_bytes,
        )

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be loaded, or None."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return "not a valid URL"
        if parts.scheme != "https":
            return "only https contexts are loaded"
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            return "the URL has no host"
        if any(_covers(entry, host) for entry in self.deny):
            return f"the host {host} is on the deny list"
        if self.allow and not any(_covers(entry, host) for entry in self.allow):
            return f"the host {host} is not on the allow list"
        return None


def _covers(entry: str, host: str) -> bool:
    return host == entry or host.endswith("." + entry)


@dataclass(frozen=True)
class FetchedContext:
    """One unpinned context as loaded for a verification: where from, its bytes' sha256, its size."""

    url: str
    sha256: str
    size: int
    document: Mapping[str, Any] = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "sha256": self.sha256, "bytes": self.size}


class ContextSnapshot:
    """The unpinned contexts loaded within one verification scope (URL → what was loaded)."""

    def __init__(self) -> None:
        self.loaded: dict[str, FetchedContext] = {}


_SNAPSHOT: ContextVar[ContextSnapshot | None] = ContextVar("badge_remote_contexts", default=None)


@contextmanager
def context_scope() -> Iterator[ContextSnapshot]:
    """One verification scope: remote contexts loaded inside it are served only inside it."""
    snapshot = ContextSnapshot()
    token = _SNAPSHOT.set(snapshot)
    try:
        yield snapshot
    finally:
        _SNAPSHOT.reset(token)


def references(document: Any, base: str) -> list[str]:
    """Every context URL a context document names (``@context`` / ``@import`` strings), made absolute."""
    found: list[str] = []
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key in ("@context", "@import"):
                    for entry in item if isinstance(item, list) else [item]:
                        if isinstance(entry, str):
                            found.append(urljoin(base, entry))
                        else:
                            stack.append(entry)
                elif isinstance(item, Mapping | list):
                    stack.append(item)
    return list(dict.fromkeys(found))


class RemoteContexts:
    """The verifier's ``RemoteContextSource``: loads unpinned contexts into the verification scope."""

    def __init__(self, fetcher: Fetcher, policy: RemoteContextPolicy, pinned: DocumentLoader) -> None:
        self.fetcher = fetcher
        self.policy = policy
        self._pinned = pinned

    def document(self, url: str) -> Any:
        """The loader's lookup: only what ``resolve`` loaded in this verification scope."""
        snapshot = _SNAPSHOT.get()
        loaded = snapshot.loaded.get(url) if snapshot is not None else None
        if loaded is None:
            raise ContextRefused(url, "it was not vetted by the context check of this verification")
        return loaded.document

    def resolve(self, urls: Iterable[str]) -> list[FetchedContext]:
        """Load ``urls`` and the unpinned contexts they name, under the policy; ContextRefused if not."""
        snapshot = _SNAPSHOT.get()
        if snapshot is None:
            raise ContextRefused(next(iter(urls), "?"), "remote contexts load only within a verification")
        used: list[FetchedContext] = []
        queue = [(url, 1) for url in dict.fromkeys(urls) if not self._pinned.knows(url)]
        seen = {url for url, _ in queue}
        while queue:
            url, depth = queue.pop(0)
            if depth > self.policy.max_depth:
                raise ContextRefused(url, f"contexts may nest at most {self.policy.max_depth} levels deep")
            if len(used) >= self.policy.max_contexts:
                raise ContextRefused(
                    url, f"a credential may use at most {self.policy.max_contexts} unpinned contexts"
                )
            loaded = snapshot.loaded.get(url) or self._load(url)
            snapshot.loaded[url] = loaded
            used.append(loaded)
            for nested in references(loaded.document, url):
                if nested not in seen and not self._pinned.knows(nested):
                    seen.add(nested)
                    queue.append((nested, depth + 1))
        return used

    def _load(self, url: str) -> FetchedContext:
        reason = self.policy.refusal(url)
        if reason is not None:
            raise ContextRefused(url, reason)
        try:
            fetched = self.fetcher.get(url, accept=CONTEXT_ACCEPT)
        except BadgeIssuerError as exc:
            raise ContextRefused(url, exc.message) from None
        if len(fetched.body) > self.policy.max_bytes:
            raise ContextRefused(
                url, f"it is larger than the {self.policy.max_bytes}-byte limit for contexts"
            )
        try:
            document = loads_bounded(fetched.body, what=f"the context at {url}")
        except BadgeIssuerError as exc:
            raise ContextRefused(url, exc.message) from None
        if not isinstance(document, dict) or "@context" not in document:
            raise ContextRefused(url, "it is not a JSON-LD context document (no @context)")
        return FetchedContext(url, hashlib.sha256(fetched.body).hexdigest(), len(fetched.body), document)
