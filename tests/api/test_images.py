"""Badge image uploads: PNG and harmless SVG are stored and served; anything else is refused."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import httpx

from tests.api.test_issuing import bootstrap
from tests.conftest import LiveServer


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_png_and_svg_uploads_are_served_and_hostile_svg_is_refused(
    live_server: Callable[..., LiveServer],
) -> None:
    tenant = bootstrap(live_server(), "art")
    url = tenant.url("/images")
    png = httpx.post(url, files={"file": ("b.png", tiny_png(), "image/png")}, headers=tenant.admin)
    assert png.status_code == 201, png.text
    served = httpx.get(png.json()["id"])
    assert served.content == tiny_png()
    assert served.headers["content-type"] == "image/png"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'
    ok = httpx.post(url, files={"file": ("b.svg", svg, "image/svg+xml")}, headers=tenant.admin)
    assert ok.status_code == 201
    assert "default-src 'none'" in httpx.get(ok.json()["id"]).headers["content-security-policy"]
    for hostile in (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg></svg>',
        b"GIF89a....",
    ):
        refused = httpx.post(url, files={"file": ("x.svg", hostile, "image/svg+xml")}, headers=tenant.admin)
        assert refused.status_code == 400, hostile
        assert refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{tenant.server.url}/images/{'0' * 64}").status_code == 404
