"""Bitstring Status List v1.0 codec: the bitstring, its ``encodedList`` form, and status reads.

``encodedList`` is ``u`` (Multibase base64url, no padding) + base64url(GZIP(bytes)). Index 0 is
the left-most bit, i.e. the most significant bit of byte 0. A status of ``statusSize`` bits starts
at bit ``index * statusSize`` and is read as a big-endian unsigned integer. Errors that BSL §3.2
names carry the name at the start of the message (``STATUS_LIST_LENGTH_ERROR: …``,
``RANGE_ERROR: …``, ``MALFORMED_VALUE_ERROR: …``). No storage and no HTTP here.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Sequence

from badge_issuer.errors import ParseError, PayloadTooLarge, ValidationFailed
from badge_issuer.jsonld.context_memo import BoundedMap

#: BSL §3.2 minimumNumberOfEntries: 16 KiB of bits
MIN_ENTRIES = 131_072
#: default cap on the uncompressed bitstring (decompression-bomb guard)
MAX_DECODED_BYTES = 16 * 1024 * 1024

STATUS_LIST_LENGTH_ERROR = "STATUS_LIST_LENGTH_ERROR"
RANGE_ERROR = "RANGE_ERROR"
MALFORMED_VALUE_ERROR = "MALFORMED_VALUE_ERROR"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_DECIMAL = re.compile(r"[0-9]{1,20}")


class Bitstring:
    """A fixed-size bitstring; bit 0 is the most significant bit of byte 0."""

    __slots__ = ("_bytes", "size")

    def __init__(self, size: int = MIN_ENTRIES) -> None:
        if size <= 0 or size % 8:
            raise ValueError("bitstring size must be a positive multiple of 8")
        self._bytes = bytearray(size // 8)
        #: length in bits
        self.size = size

    @classmethod
    def from_bytes(cls, data: bytes) -> Bitstring:
        """A bitstring over a copy of ``data`` (``size`` = 8 × its length)."""
        bitstring = cls(len(data) * 8)
        bitstring._bytes[:] = data
        return bitstring

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def __len__(self) -> int:
        return self.size

    def _check(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise IndexError(f"bit {index} is outside a bitstring of {self.size} bits")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bytes[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool) -> None:
        self._check(index)
        mask = 0x80 >> (index & 7)
        if value:
            self._bytes[index >> 3] |= mask
        else:
            self._bytes[index >> 3] &= ~mask & 0xFF

    def get_status(self, index: int, status_size: int = 1) -> int:
        """The ``status_size``-bit status at entry ``index``, most significant bit first."""
        if status_size < 1:
            raise ValueError("status_size must be at least 1")
        start = index * status_size
        self._check(start + status_size - 1)
        value = 0
        for bit in range(start, start + status_size):
            value = (value << 1) | self.get(bit)
        return value

    def set_status(self, index: int, value: int, status_size: int = 1) -> None:
        """Write ``value`` as the ``status_size``-bit status of entry ``index``."""
        if status_size < 1 or not 0 <= value < (1 << status_size):
            raise ValueError(f"status {value} does not fit in {status_size} bit(s)")
        start = index * status_size
        self._check(start + status_size - 1)
        for offset in range(status_size):
            self.set(start + offset, bool(value >> (status_size - 1 - offset) & 1))


def encode(bitstring: Bitstring) -> str:
    """The ``encodedList`` value: deterministic (GZIP level 6, mtime 0, as the BSL example uses)."""
    compressed = gzip.compress(bitstring.to_bytes(), compresslevel=6, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str, *, max_bytes: int = MAX_DECODED_BYTES) -> Bitstring:
    """Parse an ``encodedList``. ParseError if malformed; PayloadTooLarge over ``max_bytes``."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ParseError("encodedList must be a string with the multibase prefix 'u' (base64url)")
    body = encoded[1:]
    # gzip adds ~18 bytes and deflate can grow incompressible data slightly; base64 adds 4/3
    if len(body) > (max_bytes + max_bytes // 100 + 1024) * 4 // 3:
        raise PayloadTooLarge(f"encodedList is longer than a {max_bytes}-byte bitstring allows")
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise ParseError("encodedList is not unpadded base64url")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ParseError("encodedList is not unpadded base64url") from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
    try:
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise ParseError(f"encodedList is not valid GZIP data: {exc}") from exc
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"encodedList expands to more than {max_bytes} bytes")
    if not inflater.eof:
        raise ParseError("encodedList GZIP data is truncated")
    if inflater.unused_data:
        raise ParseError("encodedList has data after the GZIP member")
    if not data:
        raise ParseError("encodedList expands to an empty bitstring")
    return Bitstring.from_bytes(data)


class DecodedLists:
    """Bitstrings decoded before, by their exact ``encodedList`` text: one list serves every
    credential that points at it, and inflating it (16 KiB at least) was a tenth of a status check.
    At most ``entries`` are kept (emptied when full), each of ``max_bytes_each`` at most, so the
    memory held stays under ``entries × max_bytes_each``. Shared by threads: a kept bitstring is
    only ever read."""

    def __init__(self, entries: int = 64, max_bytes_each: int = 256 * 1024) -> None:
        self.max_bytes_each = max_bytes_each
        self._kept = BoundedMap(entries)

    def decode(self, encoded: str, *, max_bytes: int = MAX_DECODED_BYTES) -> Bitstring:
        """``decode(encoded, max_bytes=max_bytes)``, from the memo when it was decoded before."""
        key = (encoded, max_bytes)
        found = self._kept.get(key)
        if isinstance(found, Bitstring):
            return found
        bitstring = decode(encoded, max_bytes=max_bytes)
        if bitstring.size // 8 <= self.max_bytes_each:
            self._kept.put(key, bitstring)
        return bitstring


def read_status(
    encoded: str,
    index: int,
    status_size: int = 1,
    min_entries: int = MIN_ENTRIES,
    *,
    max_bytes: int = MAX_DECODED_BYTES,
    decoded: DecodedLists | None = None,
) -> int:
    """BSL §3.2 steps 9–12: expand the list (or take it from ``decoded``), check its length,
    return the status at ``index``.

    ParseError (MALFORMED_VALUE_ERROR) for an undecodable list or bad arguments, ValidationFailed
    for STATUS_LIST_LENGTH_ERROR and RANGE_ERROR. PayloadTooLarge passes through from ``decode``.
    """
    if isinstance(status_size, bool) or not isinstance(status_size, int) or status_size < 1:
        raise ParseError(f"{MALFORMED_VALUE_ERROR}: statusSize must be an integer greater than 0")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ParseError(f"{MALFORMED_VALUE_ERROR}: statusListIndex must be an integer ≥ 0")
    try:
        bitstring = (
            decode(encoded, max_bytes=max_bytes)
            if decoded is None
            else decoded.decode(encoded, max_bytes=max_bytes)
        )
    except PayloadTooLarge:
        raise
    except ParseError as exc:
        raise ParseError(f"{MALFORMED_VALUE_ERROR}: {exc.message}") from exc
    entries = bitstring.size // status_size
    if entries < min_entries:
        raise ValidationFailed(
            f"{STATUS_LIST_LENGTH_ERROR}: the status list holds {entries} entries of "
            f"{status_size} bit(s); at least {min_entries} are required",
            pointer="/credentialSubject/encodedList",
        )
    if index >= entries:
        raise ValidationFailed(
            f"{RANGE_ERROR}: statusListIndex {index} is outside the list's {entries} entries",
            pointer="/credentialStatus/statusListIndex",
        )
    return bitstring.get_status(index, status_size)


def parse_index(value: object, *, strict: bool = False) -> int:
    """A ``statusListIndex`` as an int.

    The REC requires a base-10 string of ASCII digits ("42"). A JSON integer (42) is accepted
    unless ``strict``; a verifier that wants to warn about it checks ``isinstance(value, str)``.
    Anything else (bool, negative, float, "0x2a", "+1", over 20 digits) raises ParseError.
    """
    if isinstance(value, str):
        if _DECIMAL.fullmatch(value):
            return int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and not strict and value >= 0:
        return value
    expected = "a string of base-10 digits" if strict else "a base-10 integer string"
    raise ParseError(
        f"{MALFORMED_VALUE_ERROR}: statusListIndex must be {expected}, got {value!r:.40}",
        pointer="/credentialStatus/statusListIndex",
    )


def status_list_credential_subject(
    list_url: str,
    purpose: str | Sequence[str],
    bitstring: Bitstring,
    ttl_ms: int | None = None,
) -> dict[str, object]:
    """The ``credentialSubject`` of a BitstringStatusListCredential (``ttl`` omitted when None)."""
    subject: dict[str, object] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose if isinstance(purpose, str) else list(purpose),
        "encodedList": encode(bitstring),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    return subject
