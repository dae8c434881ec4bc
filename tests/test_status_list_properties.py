"""Bitstring Status List properties: the codec round-trips, entries are independent, tampering fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badge_issuer import status_list
from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.status_list import Bitstring

B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

lists = st.binary(min_size=1, max_size=512)


@given(lists)
def test_decode_inverts_encode(data: bytes) -> None:
    encoded = status_list.encode(Bitstring.from_bytes(data))
    assert encoded.startswith("u")
    assert status_list.decode(encoded).to_bytes() == data


@given(lists)
def test_encoding_is_deterministic(data: bytes) -> None:
    assert status_list.encode(Bitstring.from_bytes(data)) == status_list.encode(Bitstring.from_bytes(data))


@given(lists, st.integers(1, 8), st.data())
def test_a_status_written_is_read_back_and_no_other_entry_changes(
    data: bytes, status_size: int, draw: st.DataObject
) -> None:
    bitstring = Bitstring.from_bytes(data)
    entries = len(bitstring) // status_size
    # lists shorter than one status hold no entry at all
    if entries == 0:
        with pytest.raises(IndexError):
            bitstring.set_status(0, 0, status_size)
        return
    index = draw.draw(st.integers(0, entries - 1))
    value = draw.draw(st.integers(0, (1 << status_size) - 1))
    before = [bitstring.get_status(i, status_size) for i in range(entries)]
    bitstring.set_status(index, value, status_size)
    after = [bitstring.get_status(i, status_size) for i in range(entries)]
    assert after[index] == value
    assert after[:index] + after[index + 1 :] == before[:index] + before[index + 1 :]
    # and it survives the wire format, read the way a verifier reads it
    encoded = status_list.encode(bitstring)
    assert status_list.read_status(encoded, index, status_size, min_entries=0) == value


@given(st.integers(0, 4095), st.booleans())
def test_bit_zero_is_the_most_significant_bit_of_byte_zero(index: int, value: bool) -> None:
    bitstring = Bitstring(4096)
    bitstring.set(index, value)
    expected = bytearray(512)
    if value:
        expected[index // 8] = 0x80 >> (index % 8)
    assert bitstring.to_bytes() == bytes(expected)


@given(lists, st.data())
def test_a_changed_character_is_refused_or_changes_nothing(data: bytes, draw: st.DataObject) -> None:
    """GZIP's CRC-32 and length guard the list: tampering never yields different statuses."""
    encoded = status_list.encode(Bitstring.from_bytes(data))
    at = draw.draw(st.integers(1, len(encoded) - 1))
    other = draw.draw(st.sampled_from(B64URL_ALPHABET).filter(lambda c: c != encoded[at]))
    tampered = encoded[:at] + other + encoded[at + 1 :]
    try:
        decoded = status_list.decode(tampered)
    except (ParseError, PayloadTooLarge):
        return
    # only bytes the decoder does not read (GZIP mtime, flags for the OS, spare base64 bits) may change
    assert decoded.to_bytes() == data


@given(st.integers(1, 64), st.integers(0, 64))
def test_the_decompression_bound_holds_for_any_size(kib: int, extra: int) -> None:
    size = kib * 1024 + extra
    encoded = status_list.encode(Bitstring.from_bytes(bytes(size)))
    assert len(status_list.decode(encoded, max_bytes=size).to_bytes()) == size
    with pytest.raises(PayloadTooLarge):
        status_list.decode(encoded, max_bytes=size - 1)
