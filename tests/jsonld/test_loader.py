"""The pinned loader: every context we pin loads and matches its sha256; nothing else loads."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from badge_issuer.errors import ConfigurationError, ContextNotAllowed
from badge_issuer.jsonld import loader as loader_module
from badge_issuer.jsonld.loader import PINNED, DocumentLoader, PinnedContext
from badge_issuer.jsonld.processor import to_dataset


def test_every_pinned_context_loads_and_is_a_context() -> None:
    loader = DocumentLoader.pinned()
    assert len(loader.urls) == len(PINNED) >= 20
    for entry in PINNED:
        remote = loader(entry.url, {})
        assert remote["documentUrl"] == entry.url
        assert "@context" in remote["document"]


@pytest.mark.parametrize(
    "url",
    [
        "https://w3id.org/citizenship/v4rc1",
        "https://www.w3.org/ns/credentials/v2/",  # a near miss is not the pinned URL
        "http://www.w3.org/ns/credentials/v2",
        "file:///etc/passwd",
    ],
)
def test_unknown_urls_are_refused_without_any_network(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the loader tried to open a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    loader = DocumentLoader.pinned()
    with pytest.raises(ContextNotAllowed):
        loader(url, {})
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", url], "id": "urn:x:1"}
    with pytest.raises(ContextNotAllowed):
        to_dataset(document, loader=loader)


def test_a_context_file_whose_bytes_changed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    tampered = PinnedContext(PINNED[0].url, PINNED[0].filename, "0" * 64)
    monkeypatch.setattr(loader_module, "PINNED", (tampered,))
    with pytest.raises(ConfigurationError, match="sha256"):
        DocumentLoader.pinned()


def test_processed_contexts_are_cached_per_loader() -> None:
    loader = DocumentLoader.pinned()
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:x:1",
        "type": ["VerifiableCredential"],
    }
    to_dataset(document, loader=loader)
    assert len(loader.context_cache) >= 1
    assert len(DocumentLoader.pinned().context_cache) == 0
