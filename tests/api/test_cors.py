"""CORS: public documents and verification answer any origin (never with Authorization allowed);
API-key routes answer only the configured origins."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from badge_issuer.config import Settings
from tests.api.test_issuing import bootstrap
from tests.conftest import LiveServer

WALLET = "https://wallet.example"
LMS = "https://lms.example.edu"


def preflight(url: str, origin: str, method: str, headers: str = "content-type") -> httpx.Response:
    return httpx.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_public_documents_and_verification_are_open_to_any_origin(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server(verify_rate_limit="")
    tenant = bootstrap(server, "cors")
    for path in (f"/issuers/{tenant.slug}", f"/issuers/{tenant.slug}/did.json"):
        answer = httpx.get(server.url + path, headers={"Origin": WALLET})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers
    verify = preflight(f"{server.url}/api/v1/verify", WALLET, "POST")
    assert verify.status_code == 200
    assert verify.headers["access-control-allow-origin"] == "*"
    assert "POST" in verify.headers["access-control-allow-methods"]
    missing = httpx.get(f"{server.url}/credentials/nope", headers={"Origin": WALLET})
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"
    # a page elsewhere may not send someone's API key to a public route either
    keyed = preflight(f"{server.url}/api/v1/verify", WALLET, "POST", "authorization")
    assert keyed.status_code == 400


def test_api_key_routes_are_closed_to_other_origins_unless_configured(
    live_server: Callable[..., LiveServer],
) -> None:
    closed = live_server()
    tenant = bootstrap(closed, "closed")
    answer = httpx.get(tenant.url(""), headers={"Origin": LMS, **tenant.admin})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in preflight(tenant.url(""), LMS, "GET").headers

    opened = live_server(cors_origins=LMS)
    tenant = bootstrap(opened, "opened")
    allowed = preflight(tenant.url("/achievements"), LMS, "POST", "authorization, content-type")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == LMS
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    answer = httpx.get(tenant.url(""), headers={"Origin": LMS, **tenant.admin})
    assert answer.headers["access-control-allow-origin"] == LMS
    other = httpx.get(tenant.url(""), headers={"Origin": WALLET, **tenant.admin})
    assert "access-control-allow-origin" not in other.headers
    assert preflight(tenant.url(""), WALLET, "GET").status_code == 400


@pytest.mark.parametrize("value", ["*", "lms.example.edu", "https://a.example,*"])
def test_cors_origins_must_be_origins(value: str) -> None:
    with pytest.raises(ValidationError, match="BADGE_CORS_ORIGINS"):
        Settings.model_validate({"cors_origins": value})


def test_browser_wallets_reach_the_open_badges_api_from_any_origin_with_their_token(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
    for path, method in (
        ("/ims/ob/v3p0/credentials", "GET"),
        ("/ims/ob/v3p0/credentials", "POST"),
        ("/ims/ob/v3p0/profile", "PUT"),
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/oauth/register", "POST"),
    ):
        answer = preflight(server.url + path, WALLET, method, "authorization,content-type")
        assert answer.status_code == 200, path
        assert answer.headers["access-control-allow-origin"] == "*", path
        assert "authorization" in answer.headers["access-control-allow-headers"].lower(), path
        assert "access-control-allow-credentials" not in answer.headers, path
    listing = httpx.get(server.url + "/ims/ob/v3p0/credentials", headers={"Origin": WALLET})
    assert listing.status_code == 401 and listing.headers["access-control-allow-origin"] == "*"
    assert "x-total-count" in listing.headers["access-control-expose-headers"].lower()
    sdd = httpx.get(server.url + "/ims/ob/v3p0/discovery", headers={"Origin": WALLET})
    assert sdd.headers["access-control-allow-origin"] == "*"
    # the learner's own pages carry a session cookie: no page elsewhere may read them
    page = httpx.get(server.url + "/learner/apps", headers={"Origin": WALLET})
    assert "access-control-allow-origin" not in page.headers
    assert (
        "access-control-allow-origin"
        not in preflight(server.url + "/oauth/authorize", WALLET, "POST").headers
    )
