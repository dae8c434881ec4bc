"""Baked PNG badges (OB 3.0 §"Baked Badge"): one ``iTXt`` chunk, keyword ``openbadgecredential``.

Baking writes the chunk uncompressed right after IHDR and drops any earlier one. Reading takes the
first ``openbadgecredential`` iTXt, else an OB 2.0 ``openbadges`` iTXt or tEXt chunk. Every chunk's
length and CRC is checked; bytes after IEND are ignored when reading and dropped when baking.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from badge_issuer.errors import ParseError, PayloadTooLarge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = "openbadgecredential"
LEGACY_KEYWORD = "openbadges"
#: default bound on a text chunk we read (and on a compressed iTXt's expanded text)
MAX_TEXT_CHUNK = 8 * 1024 * 1024
_MAX_LENGTH = 2**31 - 1  # PNG §5.3


class Chunk(NamedTuple):
    """One chunk: its type, its data, and where the whole chunk sits in the file."""

    type: bytes
    data: bytes
    start: int
    end: int


def bake_png(png: bytes, payload: str) -> bytes:
    """``png`` with ``payload`` (a compact JWS or credential JSON) baked in."""
    chunks = list(iter_chunks(png))
    text = payload.encode("utf-8")
    # keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translation + NUL
    data = KEYWORD.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text
    if len(data) > _MAX_LENGTH:
        raise PayloadTooLarge("the payload does not fit in one PNG chunk")
    out = [png[: chunks[0].end], make_chunk(b"iTXt", data)]
    for chunk in chunks[1:]:
        if chunk.type == b"iTXt" and _keyword(chunk.data) == KEYWORD.encode("latin-1"):
            continue
        out.append(png[chunk.start : chunk.end])
    return b"".join(out)


def unbake_png(png: bytes, *, max_chunk: int = MAX_TEXT_CHUNK) -> str:
    """The baked credential text; ParseError if there is none or any chunk is malformed."""
    found: str | None = None
    legacy: str | None = None
    for chunk in iter_chunks(png, max_text=max_chunk):  # the whole file is checked
        if found is not None or chunk.type not in (b"iTXt", b"tEXt"):
            continue
        keyword = _keyword(chunk.data)
        if chunk.type == b"iTXt" and keyword == KEYWORD.encode("latin-1"):
            found = _itxt_text(chunk.data, max_chunk)
        elif keyword == LEGACY_KEYWORD.encode("latin-1") and legacy is None:
            if chunk.type == b"iTXt":
                legacy = _itxt_text(chunk.data, max_chunk)
            else:
                legacy = chunk.data[len(keyword) + 1 :].decode("latin-1")
    result = found if found is not None else legacy
    if result is None:
        raise ParseError("no baked credential in the PNG")
    return result


def make_chunk(chunk_type: bytes, data: bytes) -> bytes:
    """Length, type, data and CRC-32 (over type and data) of one chunk."""
    crc = zlib.crc32(data, zlib.crc32(chunk_type))
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def iter_chunks(png: bytes, *, max_text: int | None = None) -> Iterator[Chunk]:
    """The chunks up to IEND, each checked; ParseError on any structural fault."""
    if not isinstance(png, bytes | bytearray | memoryview):
        raise ParseError("a PNG must be bytes")
    png = bytes(png)
    if not png.startswith(PNG_SIGNATURE):
        raise ParseError("not a PNG: the signature is wrong")
    offset = len(PNG_SIGNATURE)
    first = True
    while True:
        if offset + 12 > len(png):
            raise ParseError("the PNG is truncated (no IEND chunk)")
        length, chunk_type = struct.unpack_from(">I4s", png, offset)
        if length > _MAX_LENGTH or not chunk_type.isalpha() or not chunk_type.isascii():
            raise ParseError(f"malformed PNG chunk header at byte {offset}")
        end = offset + 12 + length
        if end > len(png):
            raise ParseError(f"the PNG is truncated inside a {chunk_type!r} chunk")
        if max_text is not None and chunk_type in (b"iTXt", b"tEXt", b"zTXt") and length > max_text:
            raise PayloadTooLarge(f"a PNG text chunk is larger than {max_text} bytes")
        data = png[offset + 8 : end - 4]
        (crc,) = struct.unpack_from(">I", png, end - 4)
        if zlib.crc32(data, zlib.crc32(chunk_type)) != crc:
            raise ParseError(f"CRC mismatch in the PNG {chunk_type.decode()} chunk at {offset}")
        if first and (chunk_type != b"IHDR" or length != 13):
            raise ParseError("the PNG does not start with an IHDR chunk")
        first = False
        yield Chunk(chunk_type, data, offset, end)
        if chunk_type == b"IEND":
            return
        offset = end


def _keyword(data: bytes) -> bytes:
    """The keyword of a tEXt/iTXt chunk (1–79 bytes before a NUL), or b"" if there is none."""
    nul = data.find(b"\x00", 0, 80)
    return data[:nul] if nul > 0 else b""


def _itxt_text(data: bytes, max_text: int) -> str:
    """The UTF-8 text of an iTXt chunk, expanding a compressed one within ``max_text`` bytes."""
    keyword = _keyword(data)
    flags_at = len(keyword) + 1
    if len(data) < flags_at + 2:
        raise ParseError("truncated iTXt chunk")
    compressed, method = data[flags_at], data[flags_at + 1]
    language_end = data.find(b"\x00", flags_at + 2)
    translated_end = data.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0 or compressed not in (0, 1):
        raise ParseError("malformed iTXt chunk")
    text = data[translated_end + 1 :]
    if compressed:
        if method != 0:
            raise ParseError(f"unknown iTXt compression method {method}")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, max_text + 1)
        except zlib.error as exc:
            raise ParseError(f"the compressed iTXt text is corrupt: {exc}") from exc
        if len(text) > max_text:
            raise PayloadTooLarge(f"the iTXt text expands beyond {max_text} bytes")
        if not inflater.eof:
            raise ParseError("the compressed iTXt text is truncated")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("the iTXt text is not UTF-8") from exc
