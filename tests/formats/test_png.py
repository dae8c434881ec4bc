"""Baked PNG: bake/unbake round trips, re-baking, legacy keywords and malformed files."""

from __future__ import annotations

import struct
import zlib

import pytest

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.png import (
    PNG_SIGNATURE,
    bake_png,
    iter_chunks,
    make_chunk,
    unbake_png,
)

JWT = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2V4YW1wbGUuZWR1In0.c2lnbmF0dXJl"
JSON = '{"id":"urn:uuid:1","name":"Bäcker — 🥐"}'


def chunk(chunk_type: bytes, data: bytes) -> bytes:
    """Written out independently of the module under test."""
    body = chunk_type + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def tiny_png(*extra: bytes) -> bytes:
    """A 1×1 8-bit greyscale PNG with ``extra`` chunks before IDAT."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x7f")  # filter type 0, one grey pixel
    head = PNG_SIGNATURE + chunk(b"IHDR", ihdr)
    return head + b"".join(extra) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def types(png: bytes) -> list[bytes]:
    return [c.type for c in iter_chunks(png)]


def test_make_chunk_matches_an_independent_writer() -> None:
    assert make_chunk(b"tEXt", b"a\x00b") == chunk(b"tEXt", b"a\x00b")


@pytest.mark.parametrize("payload", [JWT, JSON])
def test_bake_then_unbake(payload: str) -> None:
    baked = bake_png(tiny_png(), payload)
    assert unbake_png(baked) == payload
    assert types(baked) == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]


def test_baked_chunk_is_uncompressed_itxt_right_after_ihdr() -> None:
    baked = bake_png(tiny_png(), JWT)
    expected = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + JWT.encode())
    ihdr_end = len(PNG_SIGNATURE) + 12 + 13
    assert baked[ihdr_end : ihdr_end + len(expected)] == expected
    assert baked.startswith(tiny_png()[:ihdr_end])
    assert baked.endswith(tiny_png()[ihdr_end:])


def test_rebake_replaces_the_credential() -> None:
    once = bake_png(tiny_png(), JWT)
    twice = bake_png(once, JSON)
    assert unbake_png(twice) == JSON
    assert types(twice).count(b"iTXt") == 1
    # an existing chunk later in the file is also replaced, other text chunks stay
    late = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00old")
    other = chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00hello")
    rebaked = bake_png(tiny_png(other, late), JWT)
    assert unbake_png(rebaked) == JWT
    assert types(rebaked) == [b"IHDR", b"iTXt", b"iTXt", b"IDAT", b"IEND"]
    assert other in rebaked and late not in rebaked


def test_first_openbadgecredential_wins() -> None:
    first = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00first")
    second = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00second")
    assert unbake_png(tiny_png(first, second)) == "first"


def test_legacy_openbadges_text_chunks_are_read() -> None:
    url = "https://x.test/a/1"
    assert unbake_png(tiny_png(chunk(b"tEXt", b"openbadges\x00" + url.encode()))) == url
    itxt = chunk(b"iTXt", b"openbadges\x00\x00\x00en\x00\x00" + JSON.encode())
    assert unbake_png(tiny_png(itxt)) == JSON


def test_ob3_keyword_is_preferred_over_legacy_wherever_it_is() -> None:
    legacy = chunk(b"tEXt", b"openbadges\x00old")
    current = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00new")
    assert unbake_png(tiny_png(legacy, current)) == "new"


def test_compressed_itxt_is_read() -> None:
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(JSON.encode())
    assert unbake_png(tiny_png(chunk(b"iTXt", data))) == JSON


def test_compressed_itxt_bomb_is_capped() -> None:
    data = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"{" * 10_000_000)
    with pytest.raises(PayloadTooLarge):
        unbake_png(tiny_png(chunk(b"iTXt", data)), max_chunk=1_000_000)


def test_corrupt_compressed_itxt() -> None:
    data = b"openbadgecredential\x00\x01\x00\x00\x00not zlib"
    with pytest.raises(ParseError, match="corrupt"):
        unbake_png(tiny_png(chunk(b"iTXt", data)))


def test_text_chunk_over_the_bound_is_refused() -> None:
    big = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + b"x" * 2000)
    with pytest.raises(PayloadTooLarge):
        unbake_png(tiny_png(big), max_chunk=1000)


def test_no_credential() -> None:
    with pytest.raises(ParseError, match="no baked credential"):
        unbake_png(tiny_png(chunk(b"tEXt", b"Title\x00badge")))


def test_corrupt_crc_is_refused() -> None:
    baked = bytearray(bake_png(tiny_png(), JWT))
    baked[60] ^= 0x01  # inside the iTXt text
    with pytest.raises(ParseError, match="CRC"):
        unbake_png(bytes(baked))
    with pytest.raises(ParseError, match="CRC"):
        bake_png(bytes(baked), JWT)


def test_corrupt_crc_in_image_data_is_refused() -> None:
    png = bytearray(tiny_png())
    png[-13] ^= 0xFF  # last byte of the IDAT CRC
    with pytest.raises(ParseError, match="CRC"):
        unbake_png(bytes(png))


@pytest.mark.parametrize("cut", [1, 8, 20, 40, 60, -13, -1])
def test_truncated_png_is_refused(cut: int) -> None:
    baked = bake_png(tiny_png(), JWT)
    with pytest.raises(ParseError):
        unbake_png(baked[:cut])


def test_declared_length_past_the_end_is_refused() -> None:
    png = tiny_png()
    at = len(PNG_SIGNATURE) + 25  # the IDAT length field
    forged = png[:at] + struct.pack(">I", 2**31 - 1) + png[at + 4 :]
    with pytest.raises(ParseError, match="truncated"):
        unbake_png(forged)
    forged = png[:at] + struct.pack(">I", 2**32 - 1) + png[at + 4 :]
    with pytest.raises(ParseError, match="malformed"):
        unbake_png(forged)


def test_not_a_png() -> None:
    with pytest.raises(ParseError, match="signature"):
        unbake_png(b"GIF89a" + bytes(40))
    with pytest.raises(ParseError, match="signature"):
        bake_png(b"<svg/>", JWT)


def test_ihdr_must_come_first() -> None:
    png = tiny_png()
    reordered = PNG_SIGNATURE + chunk(b"tEXt", b"a\x00b") + png[len(PNG_SIGNATURE) :]
    with pytest.raises(ParseError, match="IHDR"):
        unbake_png(reordered)


def test_bytes_after_iend_are_ignored_then_dropped() -> None:
    baked = bake_png(tiny_png(), JWT) + b"trailing junk"
    assert unbake_png(baked) == JWT
    assert bake_png(baked, JSON).endswith(chunk(b"IEND", b""))


def test_invalid_utf8_text_is_refused() -> None:
    bad = chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00\xff\xfe")
    with pytest.raises(ParseError, match="UTF-8"):
        unbake_png(tiny_png(bad))
