"""The app under a real uvicorn server: health, the did:web document, problem+json for the unknown."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from badge_issuer.crypto.keys import public_key_from_multibase
from tests.conftest import LiveServer


def test_healthz_is_liveness_and_names_the_did(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "did": body["did"]}
    assert body["did"].startswith("did:web:127.0.0.1%3A")


def test_did_document_lists_the_dev_key_for_assertion(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
    response = httpx.get(f"{server.url}/.well-known/did.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/did+json")
    document = response.json()
    did = httpx.get(f"{server.url}/healthz").json()["did"]
    assert document["id"] == did
    [method] = document["verificationMethod"]
    assert method["type"] == "Multikey"
    assert method["controller"] == did
    assert method["id"].startswith(did + "#")
    assert len(public_key_from_multibase(method["publicKeyMultibase"])) == 32
    assert document["assertionMethod"] == [method["id"]]
    assert "secretKeyMultibase" not in response.text
    assert "PRIVATE" not in response.text


def test_unknown_route_is_problem_json(live_server: Callable[..., LiveServer]) -> None:
    server = live_server()
    response = httpx.get(f"{server.url}/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 404
    assert problem["type"].endswith(":not-found")
