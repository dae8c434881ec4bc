"""Baked OB 2.0 badges: PNG ``openbadges`` iTXt and SVG ``<openbadges:assertion>``, holding the
hosted assertion's URL, its JSON, or the signed assertion's JWS."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from badge_issuer.formats.png import make_chunk
from badge_issuer.formats.sniff import unwrap
from badge_issuer.net.fetch import Fetcher, FetchPolicy
from badge_issuer.verification import verify_badge
from tests.ob2.publisher import EMAIL, PUBLIC_ADDRESS, Publisher
from tests.ob2.test_hosted import message, statuses
from tests.test_verification import tiny_png


def ob2_png(text: str) -> bytes:
    """A PNG baked the OB 2.0 way: an uncompressed iTXt chunk with keyword ``openbadges``."""
    png = tiny_png()
    chunk = make_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + text.encode())
    return png[:33] + chunk + png[33:]  # after the 8-byte signature and the 25-byte IHDR chunk


def ob2_svg(text: str) -> bytes:
    if text.startswith("{"):
        inner = f"<openbadges:assertion><![CDATA[{text}]]></openbadges:assertion>"
    else:
        inner = f'<openbadges:assertion verify="{text}"/>'
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org" '
        f'width="10" height="10">{inner}<rect width="10" height="10"/></svg>'
    ).encode()


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.mark.parametrize("image", ["png", "svg"])
@pytest.mark.parametrize("payload", ["url", "json", "jws"])
def test_baked_ob2_badges_verify(publisher: Publisher, image: str, payload: str) -> None:
    hosted = publisher.host(publisher.assertion())
    text = {
        "url": hosted["id"],
        "json": json.dumps(hosted),
        "jws": publisher.sign(publisher.assertion(method="signed")),
    }[payload]
    data = ob2_png(text) if image == "png" else ob2_svg(text)
    report = verify_badge(data, ctx=publisher.context(), recipient=EMAIL)
    assert report.verified, report.to_json()
    assert statuses(report)["recipient"] == "passed"
    kind = "signed" if payload == "jws" else "hosted"
    assert message(report, "format") == f"an Open Badges 2.0 {kind} assertion"


def test_a_baked_url_is_returned_by_unwrap_not_followed() -> None:
    presented = unwrap(ob2_png("https://badges.example.edu/assertions/1"))
    assert presented.kind == "png" and presented.baked == "url"
    assert presented.url == "https://badges.example.edu/assertions/1"
    assert presented.credentials == ()


def test_a_baked_url_of_a_revoked_assertion(publisher: Publisher) -> None:
    hosted = publisher.host(publisher.assertion())
    publisher.served[hosted["id"]] = 410
    report = verify_badge(ob2_svg(hosted["id"]), ctx=publisher.context())
    assert not report.verified
    assert statuses(report)["format"] == "failed"
    assert "410 Gone: the issuer withdrew it; a hosted OB 2.0 badge is revoked" in message(report, "format")


def test_a_baked_url_pointing_at_an_image_with_another_url_is_not_followed() -> None:
    looping = ob2_png("https://badges.example.edu/loop")
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(str(request.url))
        return httpx.Response(200, content=looping, headers={"content-type": "image/png"})

    fetcher = Fetcher(
        FetchPolicy(cache_ttl=0),
        resolve=lambda host, port: [PUBLIC_ADDRESS],
        transport=httpx.MockTransport(handler),
    )
    ctx = replace(Publisher().context(), documents=fetcher)
    report = verify_badge(looping, ctx=ctx)
    assert not report.verified
    assert "may not point at yet another URL" in message(report, "format")
    assert len(served) == 1
