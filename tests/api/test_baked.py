"""Baked badges: ``{credential id}/baked.png`` and ``/baked.svg`` carry the credential exactly as
signed (PNG iTXt ``openbadgecredential``, once, uncompressed; SVG ``openbadges:credential``), in the
achievement's own image or a badge drawn from its name, and verify when posted back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from badge_issuer.formats.png import KEYWORD, iter_chunks, unbake_png
from badge_issuer.formats.svg import OB3_NAMESPACE, unbake_svg
from tests.api.test_images import tiny_png
from tests.api.test_issuing import ACHIEVEMENT, Tenant, bootstrap
from tests.conftest import LiveServer

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'


@pytest.fixture
def tenant(live_server: Callable[..., LiveServer]) -> Tenant:
    return bootstrap(live_server(verify_rate_limit=""), "bake")


def award(tenant: Tenant, slug: str, image: Any = None) -> dict[str, Any]:
    achievement = {**ACHIEVEMENT, "slug": slug}
    if image is not None:
        achievement["image"] = image
    created = httpx.post(tenant.url("/achievements"), json=achievement, headers=tenant.admin)
    assert created.status_code == 201, created.text
    response = httpx.post(
        tenant.url(f"/achievements/{slug}/credentials"),
        json={"recipient": {"email": "ada@example.org", "name": "Ada Lovelace"}},
        headers=tenant.admin,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(tenant: Tenant, name: str, data: bytes, media: str) -> dict[str, Any]:
    response = httpx.post(tenant.url("/images"), files={"file": (name, data, media)}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()
    return stored


def verified(tenant: Tenant, data: bytes, media: str) -> dict[str, Any]:
    response = httpx.post(
        f"{tenant.server.url}/api/v1/verify", files={"file": ("badge", data, media)}, timeout=30
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_a_badge_without_an_image_is_drawn_from_its_name_and_round_trips(tenant: Tenant) -> None:
    issued = award(tenant, "no-image")
    signed = json.dumps(issued["credential"], ensure_ascii=False, separators=(",", ":"))
    text = httpx.get(issued["credentialId"]).text
    assert json.loads(text) == issued["credential"]

    png = httpx.get(issued["links"]["bakedPng"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert "attachment" in png.headers["content-disposition"]
    baked_chunks = [c for c in iter_chunks(png.content) if c.type == b"iTXt"]
    assert len(baked_chunks) == 1  # exactly once
    assert baked_chunks[0].data.startswith(KEYWORD.encode() + b"\x00\x00")  # flag 0: uncompressed
    assert unbake_png(png.content) == text
    assert json.loads(text) == json.loads(signed)
    assert verified(tenant, png.content, "image/png")["verified"] is True

    svg = httpx.get(issued["links"]["bakedSvg"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert f'xmlns:openbadges="{OB3_NAMESPACE}"' in svg.text
    assert "Data Analysis with Python" in svg.text  # the drawn badge names the achievement
    assert unbake_svg(svg.content) == text
    assert verified(tenant, svg.content, "image/svg+xml")["verified"] is True


def test_the_achievements_own_png_and_svg_are_baked(tenant: Tenant) -> None:
    png_image = upload(tenant, "b.png", tiny_png(), "image/png")
    issued = award(tenant, "with-png", png_image)
    png = httpx.get(issued["links"]["bakedPng"]).content
    assert png.startswith(tiny_png()[:33])  # the uploaded image's signature and IHDR
    assert [c.type for c in iter_chunks(png)] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    svg = httpx.get(issued["links"]["bakedSvg"]).text  # a PNG badge, wrapped to be baked as SVG
    assert "data:image/png;base64," in svg and unbake_svg(svg) == httpx.get(issued["credentialId"]).text

    svg_image = upload(tenant, "b.svg", SVG, "image/svg+xml")
    issued = award(tenant, "with-svg", svg_image["id"])
    svg = httpx.get(issued["links"]["bakedSvg"]).text
    assert '<circle r="4"/>' in svg and unbake_svg(svg) == httpx.get(issued["credentialId"]).text
    assert verified(tenant, svg.encode(), "image/svg+xml")["verified"] is True
    drawn = httpx.get(issued["links"]["bakedPng"]).content  # an SVG-only achievement: PNG drawn
    assert unbake_png(drawn) == httpx.get(issued["credentialId"]).text


def test_an_image_hosted_elsewhere_is_not_fetched(tenant: Tenant) -> None:
    issued = award(tenant, "elsewhere", "https://cdn.example.org/badge.png")
    png = httpx.get(issued["links"]["bakedPng"])
    assert png.status_code == 200 and unbake_png(png.content) == httpx.get(issued["credentialId"]).text


def test_unknown_credentials_and_kinds_are_problems(tenant: Tenant) -> None:
    base = tenant.server.url
    missing = httpx.get(f"{base}/credentials/00000000-0000-4000-8000-000000000000/baked.png")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    issued = award(tenant, "kinds")
    assert httpx.get(issued["credentialId"] + "/baked.gif").status_code in (404, 422)
