"""DIDs we make and read locally: ``did:key`` (Ed25519) and ``did:web`` documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from badge_issuer.crypto.keys import public_key_from_multibase, public_key_multibase
from badge_issuer.errors import InvalidKey, ParseError
from badge_issuer.jsonld.loader import DID_V1, MULTIKEY_V1

DID_CONTEXT = [DID_V1, MULTIKEY_V1]


def did_key(public_key: bytes) -> str:
    """``did:key:z6Mk…`` of a raw Ed25519 public key."""
    return f"did:key:{public_key_multibase(public_key)}"


def did_key_verification_method(public_key: bytes) -> str:
    """``did:key:z6Mk…#z6Mk…``, the key's verification method URL."""
    multibase = public_key_multibase(public_key)
    return f"did:key:{multibase}#{multibase}"


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document a ``did:key`` (Ed25519) expands to, computed locally."""
    if not did.startswith("did:key:"):
        raise ParseError(f"{did!r} is not a did:key")
    multibase = did.removeprefix("did:key:")
    try:
        public_key_from_multibase(multibase)
    except InvalidKey as exc:
        raise InvalidKey(f"{did}: {exc.message}") from None
    method_id = f"{did}#{multibase}"
    return _document(did, [(method_id, multibase)], authentication=True)


def did_web(origin: str, *path: str) -> str:
    """``did:web`` for an origin (``https://host:port``) and optional path segments."""
    host = urlsplit(origin).netloc
    if not host:
        raise ParseError(f"{origin!r} has no host")
    segments = [quote(host, safe=""), *(quote(segment, safe="") for segment in path)]
    return "did:web:" + ":".join(segments)


def did_web_url(did: str) -> str:
    """Where a ``did:web`` document lives: ``/.well-known/did.json`` or ``<path>/did.json``."""
    if not did.startswith("did:web:"):
        raise ParseError(f"{did!r} is not a did:web")
    parts = [unquote(part) for part in did.removeprefix("did:web:").split(":")]
    if not parts[0] or any(not part or "/" in part for part in parts):
        raise ParseError(f"{did!r} is not a valid did:web")
    path = "/".join(parts[1:]) if len(parts) > 1 else ".well-known"
    return f"https://{parts[0]}/{path}/did.json"


def did_web_document(did: str, keys: Iterable[tuple[str, bytes]]) -> dict[str, Any]:
    """A did:web document listing ``(fragment, public_key)`` keys under ``assertionMethod``."""
    methods = [(f"{did}#{fragment}", public_key_multibase(key)) for fragment, key in keys]
    return _document(did, methods, authentication=False)


def _document(did: str, methods: list[tuple[str, str]], *, authentication: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": list(DID_CONTEXT),
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": key}
            for method_id, key in methods
        ],
    }
    ids = [method_id for method_id, _ in methods]
    if authentication:
        document["authentication"] = list(ids)
    document["assertionMethod"] = list(ids)
    return document
