"""Verification methods: from a proof's ``verificationMethod`` URL to a public key and controller.

A resolver turns a key URL into a ``VerificationMethod``: the raw Ed25519 key, the controller that
lists it, and the verification relationships (``assertionMethod``, …) under which the controller
lists it. ``did:key`` is computed locally; other controllers come from a ``ControllerSource``
(a fixed map in tests and for our own issuers; the guarded HTTPS fetcher for everyone else).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from badge_issuer.crypto.did import did_key_document, did_web_url
from badge_issuer.crypto.keys import public_key_from_multibase
from badge_issuer.crypto.multibase import b64url_decode
from badge_issuer.errors import InvalidKey, ParseError, ResolutionError
from badge_issuer.jsonld.context_memo import BoundedMap

RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
)
DID_ACCEPT = (
    "application/did+json, application/did+ld+json, application/ld+json;q=0.9, application/json;q=0.9"
)
#: did:key verification methods kept per resolver (each ~300 bytes)
DID_KEY_MEMO_SIZE = 1024
_KEY_TYPES = ("Multikey", "Ed25519VerificationKey2020", "JsonWebKey", "JsonWebKey2020")


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved key: its URL, type, controller, raw Ed25519 public key and relationships."""

    id: str
    type: str
    controller: str
    public_key: bytes
    purposes: frozenset[str]


class KeyResolver(Protocol):
    def resolve(self, method_id: str) -> VerificationMethod:
        """The verification method at ``method_id``; ResolutionError when it cannot be had."""
        ...


class ControllerSource(Protocol):
    def controller_document(self, url: str) -> Mapping[str, Any]:
        """The controller (DID or key) document at ``url``; ResolutionError when unavailable."""
        ...


def listed_under(document: Mapping[str, Any], method_id: str) -> frozenset[str]:
    """The verification relationships under which ``document`` lists ``method_id`` (either way)."""
    found: set[str] = set()
    for relationship in RELATIONSHIPS:
        listed = document.get(relationship, [])
        for item in listed if isinstance(listed, list) else [listed]:
            if item == method_id or (isinstance(item, Mapping) and item.get("id") == method_id):
                found.add(relationship)
    return frozenset(found)


def embedded_method(document: Mapping[str, Any], method_id: str) -> Mapping[str, Any] | None:
    """The verification method object ``document`` embeds for ``method_id``, if any."""
    candidates: list[Any] = []
    for key in ("verificationMethod", *RELATIONSHIPS):
        value = document.get(key, [])
        candidates.extend(value if isinstance(value, list) else [value])
    return next((c for c in candidates if isinstance(c, Mapping) and c.get("id") == method_id), None)


def method_from_controller(document: Mapping[str, Any], method_id: str) -> VerificationMethod:
    """Find ``method_id`` in a controller document and read its key and relationships."""
    found = embedded_method(document, method_id)
    if found is None and document.get("id") == method_id and "controller" in document:
        found = document  # a standalone key document
    if found is None:
        raise ResolutionError(f"{method_id} is not listed in its controller's document")
    controller = found.get("controller")
    if not isinstance(controller, str):
        raise ResolutionError(f"verification method {method_id} names no controller")
    return VerificationMethod(
        id=method_id,
        type=str(found.get("type", "")),
        controller=controller,
        public_key=_public_key(found),
        purposes=listed_under(document, method_id),
    )


def _public_key(method: Mapping[str, Any]) -> bytes:
    if method.get("type") not in _KEY_TYPES:
        raise InvalidKey(f"unsupported verification method type {method.get('type')!r}")
    if isinstance(method.get("publicKeyMultibase"), str):
        return public_key_from_multibase(method["publicKeyMultibase"])
    jwk = method.get("publicKeyJwk")
    if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        if "d" in jwk:
            raise InvalidKey("a public JWK must not contain the private 'd' member")
        try:
            key = b64url_decode(str(jwk.get("x", "")))
        except ParseError as exc:
            raise InvalidKey(f"publicKeyJwk.x: {exc.message}") from None
        if len(key) == 32:
            return key
    raise InvalidKey("the verification method carries no Ed25519 public key")


class DidKeyResolver:
    """Resolves ``did:key`` verification methods locally; refuses everything else.

    A did:key method is a pure function of its URL (the key is written in it), so the methods
    resolved are kept (``memo_size`` of them, in a ``BoundedMap``: emptied when full, safe for
    threads); a URL that fails is worked out again each time. Verifying many badges of one issuer
    no longer rebuilds its DID document for each."""

    def __init__(self, memo_size: int = DID_KEY_MEMO_SIZE) -> None:
        self._methods = BoundedMap(memo_size)

    def resolve(self, method_id: str) -> VerificationMethod:
        found = self._methods.get((method_id,))
        if isinstance(found, VerificationMethod):
            return found
        if not method_id.startswith("did:key:"):
            raise ResolutionError(f"{method_id} is not a did:key")
        did = method_id.split("#", 1)[0]
        method = method_from_controller(did_key_document(did), method_id)
        self._methods.put((method_id,), method)
        return method


class StaticResolver:
    """Resolves against fixed controller documents (keyed by controller id), plus did:key."""

    def __init__(self, controllers: Mapping[str, Mapping[str, Any]]) -> None:
        self._controllers = dict(controllers)

    def controller_document(self, url: str) -> Mapping[str, Any]:
        try:
            return self._controllers[url]
        except KeyError:
            raise ResolutionError(f"no controller document is known for {url}") from None

    def resolve(self, method_id: str) -> VerificationMethod:
        return SourceResolver(self).resolve(method_id)


class JsonSource(Protocol):
    def get_json(self, url: str, *, accept: str = ...) -> Any:
        """The JSON at ``url``; FetchRefused or ResolutionError when it cannot be had."""
        ...


class WebControllers:
    """``ControllerSource`` for ``did:web`` DIDs and HTTPS key/controller documents.

    The DID method is resolved here (``did:web`` → its HTTPS location); the bytes come from
    ``source`` (the guarded fetcher), which knows only URLs.
    """

    def __init__(self, source: JsonSource) -> None:
        self._source = source

    def controller_document(self, url: str) -> Mapping[str, Any]:
        if url.startswith("did:web:"):
            try:
                location = did_web_url(url)
            except ParseError as exc:
                raise ResolutionError(exc.message) from None
        elif url.startswith("did:"):
            raise ResolutionError(f"DID method of {url!r} is not supported (did:key and did:web are)")
        else:
            location = url
        document = self._source.get_json(location, accept=DID_ACCEPT)
        if not isinstance(document, Mapping):
            raise ResolutionError(f"the document at {location} is not a JSON object")
        return document


class SourceResolver:
    """did:key locally; any other controller document from a ``ControllerSource``."""

    def __init__(self, source: ControllerSource) -> None:
        self._source = source
        self._did_key = DidKeyResolver()

    def resolve(self, method_id: str) -> VerificationMethod:
        if method_id.startswith("did:key:"):
            return self._did_key.resolve(method_id)
        document_url = method_id.split("#", 1)[0]
        document = self._source.controller_document(document_url)
        if document.get("id") not in (document_url, method_id):
            raise ResolutionError(
                f"the document at {document_url} describes {document.get('id')!r}, not that key"
            )
        method = method_from_controller(document, method_id)
        if method.controller == document.get("id"):
            return method
        # The key claims a controller other than the document it was found in (e.g. a standalone
        # HTTPS key document). A claim is not proof: the controller's own document must list it,
        # by reference or with the same key embedded.
        controller = self._source.controller_document(method.controller)
        if controller.get("id") != method.controller:
            raise ResolutionError(f"the document at {method.controller} does not describe that controller")
        purposes = listed_under(controller, method_id)
        embedded = embedded_method(controller, method_id)
        if embedded is not None and (
            embedded.get("controller") != method.controller or _public_key(embedded) != method.public_key
        ):
            raise ResolutionError(f"{method.controller} lists {method_id} with another key or controller")
        if not purposes:
            raise ResolutionError(
                f"{method_id} claims {method.controller} as its controller, but that controller does not "
                "list it under any verification relationship"
            )
        return replace(method, purposes=purposes)


class OnceResolver:
    """``inner``, asked at most once per verification method: one verification's memo.

    A credential and the status list it points at are usually signed by the same key, and each
    lookup of one of our own issuers' keys is a database read. Made per verification (never shared
    between requests), so a key retired meanwhile counts from the next verification on; only
    successes are kept (a failure is asked again, as before)."""

    def __init__(self, inner: KeyResolver) -> None:
        self.inner = inner
        self._methods: dict[str, VerificationMethod] = {}

    def resolve(self, method_id: str) -> VerificationMethod:
        method = self._methods.get(method_id)
        if method is None:
            method = self.inner.resolve(method_id)
            self._methods[method_id] = method
        return method
