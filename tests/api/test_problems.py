"""Request errors as the API contract promises them, over a real uvicorn server: malformed JSON
names its line and column, a body that is not JSON by its media type is 415, dates are RFC 3339."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.test_images import tiny_png
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap, issue
from tests.conftest import LiveServer


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    tenant = bootstrap(live_server(), "uni")
    response = httpx.post(tenant.url("/achievements"), json=ACHIEVEMENT, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return tenant


def test_malformed_json_names_line_and_column_not_a_pointer(tenant: Tenant) -> None:
    body = b'{\n  "recipient": {"email": "ada@example.org"},\n  "narrative": "x",,\n}'
    response = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        content=body,
        headers={**tenant.admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":json-syntax")
    assert (problem["line"], problem["column"]) == (3, 20)
    assert "line 3, column 20" in problem["detail"]
    assert "pointer" not in problem

    # the verifier's own JSON reader says the same
    batch = httpx.post(
        f"{tenant.server.url}/api/v1/verify:batch",
        content=b'{"items": [\n1 2]}',
        headers={"Content-Type": "application/json"},
    )
    assert batch.status_code == 400, batch.text
    assert (batch.json()["line"], batch.json()["column"]) == (2, 3)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_operation_refuses_other_media_types_with_415(
    tenant: Tenant, content_type: str | None
) -> None:
    headers = dict(tenant.admin)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = httpx.post(
        tenant.url("/achievements/python-data/credentials"),
        content=b'{"recipient": {"email": "ada@example.org"}}',
        headers=headers,
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":unsupported-media-type")
    assert "Content-Type: application/json" in problem["detail"]
    # a JSON media type with parameters, or a +json one, is JSON
    for accepted in ("application/json; charset=utf-8", "application/ld+json"):
        ok = httpx.post(
            tenant.url("/achievements/python-data/credentials"),
            content=b'{"recipient": {"email": "ada@example.org"}}',
            headers={**tenant.admin, "Content-Type": accepted},
        )
        assert ok.status_code == 201, (accepted, ok.text)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("validFrom", 0),
        ("validFrom", 1700000000),
        ("validUntil", "2030-01-01"),
        ("validUntil", "2030-01-01T00:00:00"),
        ("activityEndDate", "1700000000"),
        ("activityStartDate", "next tuesday"),
    ],
)
def test_issuance_dates_are_rfc3339_strings_with_a_timezone(
    tenant: Tenant, field: str, value: object
) -> None:
    response = issue(tenant, tenant.admin, {"recipient": {"email": "ada@example.org"}, field: value})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["pointer"] == f"/body/{field}" or problem["pointer"] == f"/{field}", problem
    assert "RFC 3339" in problem["detail"]


def test_record_filters_take_rfc3339_only(tenant: Tenant) -> None:
    for name, value in (("since", "0"), ("until", "2026-01-01")):
        refused = httpx.get(tenant.url("/credentials"), params={name: value}, headers=tenant.admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["pointer"] == f"/{name}"
    ok = httpx.get(tenant.url("/credentials"), params={"since": "2026-01-01T00:00:00Z"}, headers=tenant.admin)
    assert ok.status_code == 200, ok.text


def test_an_achievement_image_may_be_the_object_the_upload_returns(tenant: Tenant) -> None:
    png = tiny_png()
    uploaded = httpx.post(
        tenant.url("/images"), files={"file": ("badge.png", png, "image/png")}, headers=tenant.admin
    )
    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    created = httpx.post(
        tenant.url("/achievements"),
        json={**ACHIEVEMENT, "slug": "with-image", "image": {**image, "caption": "The seal"}},
        headers=tenant.admin,
    )
    assert created.status_code == 201, created.text
    achievement = created.json()["achievement"]
    assert achievement["image"] == {"id": image["id"], "type": "Image", "caption": "The seal"}
    refused = httpx.post(
        tenant.url("/achievements"),
        json={**ACHIEVEMENT, "slug": "bad-image", "image": {"id": "ftp://example.org/x.png"}},
        headers=tenant.admin,
    )
    assert refused.status_code == 422, refused.text


def test_an_idempotency_key_in_progress_is_a_409_with_retry_after() -> None:
    import json

    from badge_issuer.api.problems import problem_for
    from badge_issuer.errors import IdempotencyInProgress

    response = problem_for(IdempotencyInProgress("still signing", retry_after=2, pointer="Idempotency-Key"))
    assert response.status_code == 409
    assert response.headers["Retry-After"] == "2"
    body = json.loads(bytes(response.body))
    assert body["type"].endswith(":idempotency-in-progress") and body["pointer"] == "Idempotency-Key"
