"""Per-client rate limit of the public verify routes, end to end under uvicorn, and its parts."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from badge_issuer.api.rate_limit import RateLimit, parse_limit
from badge_issuer.config import Settings
from badge_issuer.errors import ConfigurationError, RateLimited
from tests.badges import Issuer, badge
from tests.conftest import LiveServer

pytestmark = pytest.mark.e2e


def test_the_verify_routes_share_one_limit_and_answer_429_with_retry_after(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server(verify_rate_limit="3/minute")
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        first = client.post("/api/v1/verify", json=signed)
        assert first.status_code == 200 and first.json()["verified"] is True
        batch = client.post("/api/v1/verify:batch", json={"items": [signed]})
        assert batch.status_code == 200
        assert client.post("/api/v1/verify", content=b"not a badge").status_code == 200
        refused = client.post("/api/v1/verify", json=signed)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        problem = refused.json()
        assert problem["status"] == 429 and problem["type"].endswith(":rate-limited")
        assert "too many requests" in problem["detail"]
        assert client.post("/api/v1/verify:batch", json={"items": [signed]}).status_code == 429
        # the limit is per public route group: issuing and reading are not counted
        assert client.get("/healthz").status_code == 200


def test_the_limit_can_be_turned_off(live_server: Callable[..., LiveServer]) -> None:
    server = live_server(verify_rate_limit="off")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(8):
            assert client.post("/api/v1/verify", content=b"not a badge").status_code == 200


def test_each_client_has_its_own_window() -> None:
    now = [1_000.0]
    limit = RateLimit("verify", "2/minute", clock=lambda: now[0])
    limit.hit("192.0.2.1")
    limit.hit("192.0.2.1")
    limit.hit("192.0.2.2")
    with pytest.raises(RateLimited) as refused:
        limit.hit("192.0.2.1")
    assert refused.value.retry_after >= 1
    RateLimit("verify", "").hit("192.0.2.1")


def test_unreadable_limits_are_refused_at_startup() -> None:
    assert parse_limit("off") is None and parse_limit("") is None
    assert parse_limit("10/second") is not None
    with pytest.raises(ConfigurationError):
        parse_limit("often")
    with pytest.raises(ValidationError, match="BADGE_VERIFY_RATE_LIMIT"):
        Settings(verify_rate_limit="lots")
    assert Settings().verify_rate_limit == "60/minute"
