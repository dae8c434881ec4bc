"""Interop with an independent implementation: Digital Bazaar's vc / Data Integrity libraries (npm,
pinned in ``tests/interop/js``; ``make test`` installs them with ``npm ci``).

Their credentials verify through our ``POST /credentials/verify`` (a real server), and ours — generic
VCs signed by our Data Integrity code, OB 3.0 badges from our issuance path, and credentials issued
through the VC-API's ``POST /credentials/issue`` — verify with theirs.
One node process serves the whole module; its document loader is offline and serves the contexts
we pin (read from our own files), did:key documents, and our issuer's DID document. Without node or
the installed libraries these tests fail: CI has them.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from badge_issuer.jsonld.loader import PINNED, DocumentLoader
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.badges import Issuer
from tests.conftest import LiveServer
from tests.generic_vcs import SUITES, generic, module_server, sign

JS = Path(__file__).resolve().parent / "js"
#: the suites the JS side signs with (its eddsa-jcs-2022 verifies too, see ``test_ours_verify_with_theirs``)
THEIR_SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")


class DigitalBazaar:
    """The node process running ``js/interop.mjs``: one JSON request and answer per line."""

    def __init__(self, contexts: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not installed: the interop tests need Node.js 20 and npm (run `make test`)")
        if not (JS / "node_modules" / "@digitalbazaar" / "vc").is_dir():
            pytest.fail(
                f"the Digital Bazaar libraries are not installed: run `npm ci` in {JS} (or `make test`)"
            )
        self.process = subprocess.Popen(
            [node, str(JS / "interop.mjs"), str(contexts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, **request: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the interop node process exited"
        answer: dict[str, Any] = json.loads(line)
        assert answer["ok"], answer.get("error")
        return answer

    def sign(self, credential: dict[str, Any], suite: str) -> dict[str, Any]:
        signed: dict[str, Any] = self.call(op="sign", credential=credential, suite=suite)["credential"]
        return signed

    def verify(self, credential: dict[str, Any], documents: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call(op="verify", credential=credential, documents=documents or {})

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=20)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def theirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DigitalBazaar]:
    loader = DocumentLoader.pinned()
    contexts = tmp_path_factory.mktemp("interop") / "contexts.json"
    contexts.write_text(
        json.dumps({entry.url: loader.document(entry.url) for entry in PINNED}), encoding="utf-8"
    )
    process = DigitalBazaar(contexts)
    yield process
    process.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with module_server(tmp_path_factory.mktemp("interop-server")) as running:
        yield running


@pytest.fixture(scope="module")
def tenant(server: LiveServer) -> Tenant:
    tenant = bootstrap(server, "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin, timeout=30)
    assert response.status_code == 201, response.text
    return tenant


def ours_verify(server: LiveServer, credential: dict[str, Any]) -> httpx.Response:
    body = {"verifiableCredential": credential, "options": {"checks": ["proof"]}}
    return httpx.post(f"{server.url}/credentials/verify", json=body, timeout=30)


@pytest.mark.parametrize("suite", THEIR_SUITES)
@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_theirs_verify_with_ours(theirs: DigitalBazaar, server: LiveServer, version: str, suite: str) -> None:
    unsigned = generic(Issuer(), version)
    del unsigned["issuer"]  # the JS side issues as its own did:key
    signed = theirs.sign(unsigned, suite)
    response = ours_verify(server, signed)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"]["name"] = "Another University"
    assert ours_verify(server, tampered).status_code == 400


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_ours_verify_with_theirs(theirs: DigitalBazaar, version: str, suite: str) -> None:
    issuer = Issuer()
    signed = sign(issuer, generic(issuer, version), suite)
    result = theirs.verify(signed)
    assert result["verified"] is True, result["error"]
    signed["credentialSubject"]["alumniOf"]["name"] = "Another University"
    assert theirs.verify(signed)["verified"] is False  # their check is not vacuous


@pytest.mark.parametrize("suite", SUITES)
def test_our_issued_open_badges_verify_with_theirs(
    theirs: DigitalBazaar, server: LiveServer, tenant: Tenant, suite: str
) -> None:
    """An OB 3.0 badge from our issuance path (did:web issuer, status list entry), checked by their
    libraries with our issuer's DID document as served by our public route."""
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org", "name": "Ada"}, "proof": [suite]},
        headers=tenant.admin,
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    credential = issued.json()["credential"]
    did = credential["issuer"]["id"]
    assert did.startswith("did:web:")
    did_document = httpx.get(f"{server.url}/issuers/{tenant.slug}/did.json", timeout=30).json()
    result = theirs.verify(credential, {did: did_document})
    assert result["verified"] is True, result["error"]
    credential["credentialSubject"]["achievement"]["name"] = "Quantum Physics"
    assert theirs.verify(credential, {did: did_document})["verified"] is False


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("version", ["2.0", "1.1"])
def test_credentials_issued_through_the_vc_api_verify_with_theirs_and_ours(
    theirs: DigitalBazaar, server: LiveServer, tenant: Tenant, version: str, suite: str
) -> None:
    """POST /credentials/issue (a client of our issuer, scope issue) → their libraries and our
    POST /credentials/verify both verify it; with a status entry from our lists."""
    unsigned = generic(Issuer(), version)
    del unsigned["issuer"]  # filled in: the client's issuer
    unsigned["id"] = f"urn:uuid:{uuid.uuid4()}"
    options = {
        "cryptosuite": suite,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
    }
    issued = httpx.post(
        f"{server.url}/credentials/issue",
        json={"credential": unsigned, "options": options},
        headers=tenant.client("issue"),
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    credential = issued.json()["verifiableCredential"]
    did = credential["issuer"] if isinstance(credential["issuer"], str) else credential["issuer"]["id"]
    did_document = httpx.get(f"{server.url}/issuers/{tenant.slug}/did.json", timeout=30).json()
    result = theirs.verify(credential, {did: did_document})
    assert result["verified"] is True, result["error"]
    answer = httpx.post(
        f"{server.url}/credentials/verify",
        json={"verifiableCredential": credential, "options": {"checks": ["proof", "credentialStatus"]}},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == ["proof", "credentialStatus"]
