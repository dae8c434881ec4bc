"""An independent OpenID4VCI 1.0 client — the OpenID Foundation's oid4vc-ts (``@openid4vc/openid4vci``,
pinned in ``js/package.json``), in a node process with its own Ed25519 did:key — takes a badge from
a claim link through the real server, and our verifier accepts what it received. Without node or
the pinned packages this fails (``make test`` installs them), it never skips."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_claims import BROWSER, offer_links
from tests.api.test_issuing import ACHIEVEMENT, bootstrap
from tests.conftest import LiveServer

JS = Path(__file__).resolve().parent / "js"


def run_wallet(offer_uri: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the interop tests need Node.js 20 and npm (run `make test`)")
    if not (JS / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        pytest.fail(f"@openid4vc/openid4vci is not installed: run `npm ci` in {JS} (or `make test`)")
    done = subprocess.run(
        [node, str(JS / "openid4vci_wallet.mjs"), offer_uri],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("by", ["value", "reference"])
def test_the_oid4vc_ts_wallet_claims_a_badge_bound_to_its_did(
    live_server: Callable[..., LiveServer], by: str
) -> None:
    server = live_server(verify_workers=0)
    tenant = bootstrap(server, "uni")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={"recipient": {"email": "ada@example.org"}},
        headers=tenant.admin,
        timeout=30,
    ).json()
    by_value, by_reference = offer_links(httpx.get(issued["links"]["claim"], headers=BROWSER).text)
    received = run_wallet(by_value if by == "value" else by_reference)
    assert received["configuration"] == "python-data"
    [item] = received["credentials"]
    credential = item["credential"]
    assert credential["credentialSubject"]["id"] == received["did"]
    assert credential["id"] == issued["credentialId"]
    report = httpx.post(f"{server.url}/api/v1/verify", json=credential, timeout=30).json()
    assert report["verified"] is True, report
