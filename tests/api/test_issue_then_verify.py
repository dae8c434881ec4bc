"""Our own badges, issued and verified by the same running service: every check passes, and the
status check follows revocation and suspension — without any HTTP to our own (loopback) URLs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from badge_issuer.formats.png import bake_png
from tests.api.test_images import tiny_png
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer, run_cli


def verify(tenant: Tenant, document: Any) -> dict[str, Any]:
    response = httpx.post(f"{tenant.server.url}/api/v1/verify", json=document, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def test_issued_badges_verify_and_follow_their_status(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server()
    tenant = bootstrap(server, "uni", "--suspension")
    assert httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin).status_code == 201
    lms = tenant.client("issue", "revoke")
    issued = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        json={
            "recipient": {"email": "ada@example.org", "name": "Ada"},
            "proof": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
        },
        headers=lms,
        timeout=30,
    ).json()
    credential = issued["credential"]
    assert len(credential["credentialStatus"]) == 2

    report = verify(tenant, credential)
    assert report["verified"] is True, json.dumps(report["checks"], indent=1)
    assert set(statuses(report).values()) <= {"passed", "skipped"}
    assert statuses(report)["issuer_key"] == statuses(report)["status"] == "passed"
    assert report["summary"]["achievement"] == ACHIEVEMENT["name"]
    assert "ada@example.org" not in str(report["summary"])

    saved = tmp_path / "badge.json"
    saved.write_text(json.dumps(credential), encoding="utf-8")
    printed = json.loads(run_cli(server.settings, "verify", "--json", str(saved)))
    assert printed["verified"] is True  # the CLI reads our own issuers from the same database

    baked = httpx.post(
        f"{server.url}/api/v1/verify",
        files={"file": ("badge.png", bake_png(tiny_png(), json.dumps(credential)), "image/png")},
        timeout=30,
    ).json()
    assert baked["verified"] is True

    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Quantum Physics"
    assert statuses(verify(tenant, forged))["proof"] == "failed"

    path = tenant.url(f"/credentials/{issued['id']}")
    assert httpx.post(f"{path}/suspend", json={"reason": "under review"}, headers=lms).status_code == 200
    suspended = verify(tenant, credential)
    assert suspended["verified"] is False
    assert statuses(suspended)["status"] == "failed"
    assert httpx.post(f"{path}/unsuspend", json={"reason": "cleared"}, headers=lms).status_code == 200
    assert verify(tenant, credential)["verified"] is True
    assert httpx.post(f"{path}/revoke", json={"reason": "misconduct"}, headers=lms).status_code == 200
    revoked = verify(tenant, credential)
    assert revoked["verified"] is False
    assert statuses(revoked)["status"] == "failed"
    [status_check] = [check for check in revoked["checks"] if check["id"] == "status"]
    assert "revoked on 20" in status_check["message"], status_check
    suspended_check = next(check for check in suspended["checks"] if check["id"] == "status")
    assert "suspended on 20" in suspended_check["message"], suspended_check
