"""HTTP itself, over a real uvicorn server: HEAD wherever GET works, 405 with Allow, documented
bodies are what routes send, and /docs renders without any other host."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from pydantic import BaseModel

from badge_issuer.api import ob_schemas, schemas
from badge_issuer.api.openapi_doc import document
from tests.api.test_claims import offer_links
from tests.api.test_images import tiny_png
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap, issue
from tests.api.test_vc_api_exchange import lcw_request
from tests.conftest import LiveServer


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def _model_of(answer: dict[str, Any]) -> tuple[type[BaseModel], bool] | None:
    """The documented model of a 2xx answer, and whether the body is a list of it."""
    for body in answer.get("content", {}).values():
        schema = body.get("schema", {})
        name = schema.get("$ref") or schema.get("items", {}).get("$ref")
        if name:
            short = name.rsplit("/", 1)[1]
            model = getattr(schemas, short, None) or getattr(ob_schemas, short)
            return model, "items" in schema
    return None


def _offer_reference(claim: str) -> str:
    """The name of a fresh OpenID4VCI offer of the claim (its credential_offer_uri's last segment)."""
    _, by_reference = offer_links(httpx.get(claim, headers={"Accept": "text/html"}).text)
    return unquote(parse_qs(urlsplit(by_reference).query)["credential_offer_uri"][0]).rsplit("/", 1)[1]


#: resources that answer only with an OAuth access token (read by test_ob_api.py and test_clr_api.py)
TOKEN_ONLY = ("/ims/ob/v3p0/credentials", "/ims/ob/v3p0/profile", "/ims/clr/v2p0/credentials")


def test_head_answers_wherever_get_does_and_every_get_body_is_as_documented(tenant: Tenant) -> None:
    server = tenant.server
    issued = issue(tenant, tenant.admin, {"recipient": {"email": "ada@example.org"}}).json()
    image = httpx.post(
        tenant.url("/images"), files={"file": ("b.png", tiny_png(), "image/png")}, headers=tenant.admin
    ).json()
    values = {
        "issuer": tenant.slug,
        "achievement": "python-data",
        "version": "1",
        "credential_id": issued["id"],
        "purpose": "revocation",
        "sequence": "1",
        "digest": image["id"].rsplit("/", 1)[1],
        "kind": "png",
        "reference": _offer_reference(issued["links"]["claim"]),
        "exchange": lcw_request(issued["links"]["claim"])["protocols"]["vcapi"].rsplit("/", 1)[1],
        "pathway": "p",
    }
    pathway = {
        "slug": "p",
        "name": "P",
        "target": "python-data",
        "requirements": {"type": "allOf", "requirements": [{"type": "external", "achievementId": "urn:x:1"}]},
    }
    assert httpx.post(tenant.url("/pathways"), json=pathway, headers=tenant.admin).status_code == 201
    job = httpx.post(
        tenant.url("/achievements/python-data/credentials:jobs"),
        content=b'{"idempotencyKey": "contract-1", "recipient": {"email": "bo@example.org"}}\n',
        headers={**tenant.admin, "Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert job.status_code == 202, job.text
    values["job_id"] = job.json()["id"]
    spec = document(server.app)
    # the Open Badges and CLR APIs' resources need an OAuth access token: test_ob_api.py and
    # test_clr_api.py read them
    templates = [
        path
        for path, operations in spec["paths"].items()
        if "get" in operations
        and path not in ("/ims/ob/v3p0/credentials", "/ims/ob/v3p0/profile", "/ims/clr/v2p0/credentials")
    ]
    assert len(templates) >= 15
    for template in templates:
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
        url = f"{server.url}{path}" + ("?recipient=ada@example.org" if path.endswith("/progress") else "")
        got = httpx.get(url, headers=tenant.admin)
        head = httpx.head(url, headers=tenant.admin)
        assert got.status_code == 200, (template, got.text)
        assert head.status_code == 200, template
        assert head.content == b"", template
        assert head.headers["content-type"] == got.headers["content-type"], template
        # /metrics counts requests (this GET included, so it grows); job results are streamed
        if template != "/metrics" and not template.endswith("/results"):
            assert head.headers["content-length"] == got.headers["content-length"], template
        documented = _model_of(spec["paths"][template]["get"]["responses"]["200"])
        if documented is not None and "json" in got.headers["content-type"]:
            model, many = documented
            for item in got.json() if many else [got.json()]:
                model.model_validate(item)  # raises when the body is not as documented
    assert httpx.head(f"{server.url}/no/such/thing").status_code == 404


def test_wrong_method_is_405_with_every_allowed_method(tenant: Tenant) -> None:
    keys = httpx.delete(tenant.url("/keys"), headers=tenant.admin)
    assert keys.status_code == 405
    assert keys.headers["content-type"] == "application/problem+json"
    assert keys.headers["allow"] == "GET, HEAD, POST"  # both routes at this path, not just the first
    assert keys.json()["type"].endswith(":method-not-allowed")
    verify = httpx.get(f"{tenant.server.url}/api/v1/verify")
    assert verify.status_code == 405
    assert verify.headers["allow"] == "POST"


def test_status_changes_answer_as_documented(tenant: Tenant) -> None:
    issued = issue(tenant, tenant.admin, {"recipient": {"id": "did:example:1"}}).json()
    for _ in range(2):
        changed = httpx.post(
            tenant.url(f"/credentials/{issued['id']}/revoke"), json={"reason": "error"}, headers=tenant.admin
        )
        assert changed.status_code == 200, changed.text
        schemas.Record.model_validate(changed.json())
    schemas.Issued.model_validate(issued)
    conflict = httpx.post(
        tenant.url(f"/credentials/{issued['id']}/suspend"), json={"reason": "x"}, headers=tenant.admin
    )
    schemas.Problem.model_validate(conflict.json())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_render_from_this_server_alone(tenant: Tenant, page: str) -> None:
    server = tenant.server
    html = httpx.get(f"{server.url}{page}")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    referenced = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html.text)
    assert referenced, html.text
    assert not re.search(r"https?://", html.text), "the page names another host"
    for reference in referenced:
        asset = httpx.get(f"{server.url}{reference}")
        assert asset.status_code == 200, reference
