"""Badges drawn from a name: escaped, bounded, deterministic, and real images."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from PIL import Image

from badge_issuer.formats.badge_art import MAX_LINES, render_png, render_svg, svg_around_png
from tests.api.test_images import tiny_png

SVG = "{http://www.w3.org/2000/svg}"


def test_the_svg_escapes_the_name_and_parses_as_xml() -> None:
    hostile = 'A & B <script>alert("x")</script>'
    svg = render_svg(hostile, issuer="<Evil> & Co")
    root = ET.fromstring(svg)  # well-formed: nothing got through unescaped
    assert root.find(f"{SVG}script") is None and "<script>" not in svg
    assert root.findtext(f"{SVG}title") == hostile
    assert root.get("aria-label") == hostile


def test_a_long_name_is_cut_to_a_few_lines() -> None:
    root = ET.fromstring(render_svg("Advanced " * 40))
    spans = root.findall(f".//{SVG}tspan")
    assert len(spans) == MAX_LINES and (spans[-1].text or "").endswith("…")
    assert render_svg("Same name") == render_svg("Same name")  # the same badge every time


def test_the_png_is_a_512_pixel_image() -> None:
    with Image.open(io.BytesIO(render_png("Data Analysis with Python", "Example University"))) as image:
        assert image.format == "PNG" and image.size == (512, 512)


def test_a_png_wrapped_in_svg_keeps_its_size() -> None:
    root = ET.fromstring(svg_around_png(tiny_png(), "Tiny"))
    assert (root.get("width"), root.get("height")) == ("1", "1")
    assert (root.find(f"{SVG}image") is not None) and "data:image/png;base64," in ET.tostring(root).decode()
