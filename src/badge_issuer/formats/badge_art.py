"""Badge images drawn from an achievement's name, for achievements that have no image of their own.

``render_svg`` gives a clean, self-contained SVG (a ring, the name wrapped over up to four lines,
the issuer's name underneath), ``render_png`` the same design rasterised with Pillow, and
``svg_around_png`` wraps an issuer's PNG in an SVG so that it can be baked as SVG too. The colour
comes from a hash of the name, so a badge always looks the same. Text is XML-escaped; nothing from
the credential reaches the SVG unescaped.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import textwrap
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

SIZE = 512
#: (ring, background) colour pairs: dark enough for white text, light enough to tell apart
PALETTE = (
    ("#1d4ed8", "#dbeafe"),
    ("#047857", "#d1fae5"),
    ("#7c3aed", "#ede9fe"),
    ("#b45309", "#fef3c7"),
    ("#be123c", "#ffe4e6"),
    ("#0e7490", "#cffafe"),
)
MAX_LINES = 4
LINE_CHARS = 16


def _colours(name: str) -> tuple[str, str]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def _lines(name: str) -> list[str]:
    """The name wrapped for the badge face: at most ``MAX_LINES``, the last one cut with an ellipsis."""
    lines = textwrap.wrap(" ".join(name.split()), LINE_CHARS, break_long_words=True) or ["Badge"]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: LINE_CHARS - 1] + "…"]
    return lines


def render_svg(name: str, issuer: str | None = None) -> str:
    """A 512×512 SVG badge showing ``name`` (and ``issuer`` below it)."""
    ring, background = _colours(name)
    lines = _lines(name)
    first = 256 - (len(lines) - 1) * 22
    text = "".join(
        f'<tspan x="256" y="{first + index * 44}">{escape(line)}</tspan>' for index, line in enumerate(lines)
    )
    footer = ""
    if issuer:
        short = issuer if len(issuer) <= 32 else issuer[:31] + "…"
        footer = (
            f'<text x="256" y="410" text-anchor="middle" font-size="20" fill="{ring}">{escape(short)}</text>'
        )
    label = escape(name, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{label}">'
        f"<title>{escape(name)}</title>"
        f'<circle cx="256" cy="256" r="240" fill="{background}" stroke="{ring}" stroke-width="24"/>'
        f'<circle cx="256" cy="256" r="200" fill="none" stroke="{ring}" stroke-width="4"/>'
        f'<text text-anchor="middle" dominant-baseline="middle" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="38" font-weight="700" fill="#111827">{text}</text>'
        f"{footer}</svg>"
    )


def render_png(name: str, issuer: str | None = None) -> bytes:
    """The ``render_svg`` design as a 512×512 PNG."""
    ring, background = _colours(name)
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, SIZE - 16, SIZE - 16), fill=background, outline=ring, width=24)
    draw.ellipse((56, 56, SIZE - 56, SIZE - 56), outline=ring, width=4)
    font = ImageFont.load_default(size=38)
    lines = _lines(name)
    first = 256 - (len(lines) - 1) * 22
    for index, line in enumerate(lines):
        draw.text((256, first + index * 44), line, fill="#111827", font=font, anchor="mm")
    if issuer:
        short = issuer if len(issuer) <= 32 else issuer[:31] + "…"
        draw.text((256, 410), short, fill=ring, font=ImageFont.load_default(size=20), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def svg_around_png(png: bytes, name: str) -> str:
    """An SVG showing ``png`` (embedded as a data: URI), so a PNG badge can be baked as SVG."""
    # IHDR is the first chunk of every PNG: width and height are its first two big-endian words
    width, height = struct.unpack(">II", png[16:24]) if len(png) >= 24 else (SIZE, SIZE)
    data = base64.b64encode(png).decode("ascii")
    label = escape(name, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<title>{escape(name)}</title>"
        f'<image width="{width}" height="{height}" href="data:image/png;base64,{data}" '
        f'xlink:href="data:image/png;base64,{data}"/></svg>'
    )
