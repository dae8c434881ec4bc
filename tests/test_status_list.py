"""Bitstring Status List codec: bit order, encodedList round trips, §3.2 errors, index parsing."""

from __future__ import annotations

import base64
import gzip

import pytest

from badge_issuer import status_list
from badge_issuer.errors import ParseError, PayloadTooLarge, ValidationFailed
from badge_issuer.status_list import (
    MIN_ENTRIES,
    Bitstring,
    DecodedLists,
    decode,
    encode,
    parse_index,
    read_status,
    status_list_credential_subject,
)

# BSL v1.0 REC, example of a BitstringStatusListCredential: 16 KiB of zero bits
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def _encoded(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw, mtime=0)).rstrip(b"=").decode()


def test_spec_example_is_131072_zero_bits() -> None:
    bitstring = decode(SPEC_EXAMPLE)
    assert bitstring.size == MIN_ENTRIES == 131_072
    assert bitstring.to_bytes() == bytes(16_384)
    assert read_status(SPEC_EXAMPLE, 0) == 0
    assert read_status(SPEC_EXAMPLE, 131_071) == 0


def test_encoding_an_empty_list_reproduces_the_spec_example() -> None:
    assert encode(Bitstring()) == SPEC_EXAMPLE


def test_encode_is_deterministic_and_unpadded() -> None:
    bitstring = Bitstring()
    bitstring.set(12345, True)
    first = encode(bitstring)
    assert first == encode(bitstring)
    assert first.startswith("u") and "=" not in first
    assert set(first[1:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("index", "byte", "value"),
    [(0, 0, 0x80), (7, 0, 0x01), (8, 1, 0x80), (131_071, 16_383, 0x01)],
)
def test_bit_positions_are_msb_first(index: int, byte: int, value: int) -> None:
    bitstring = Bitstring()
    bitstring.set(index, True)
    raw = bitstring.to_bytes()
    assert raw[byte] == value
    assert sum(raw) == value  # no other bit set
    decoded = decode(encode(bitstring))
    assert decoded.to_bytes() == raw
    assert decoded.get(index) is True
    assert read_status(encode(bitstring), index) == 1
    neighbours = {index - 1, index + 1} & set(range(MIN_ENTRIES))
    assert all(read_status(encode(bitstring), n) == 0 for n in neighbours)


def test_set_false_clears_only_that_bit() -> None:
    bitstring = Bitstring(16)
    for index in range(16):
        bitstring.set(index, True)
    bitstring.set(3, False)
    assert bitstring.to_bytes() == bytes([0b11101111, 0xFF])
    assert bitstring.get(3) is False and bitstring.get(4) is True


def test_bitstring_bounds_and_size() -> None:
    bitstring = Bitstring(8)
    assert len(bitstring) == 8
    with pytest.raises(IndexError):
        bitstring.get(8)
    with pytest.raises(IndexError):
        bitstring.set(-1, True)
    with pytest.raises(ValueError, match="multiple of 8"):
        Bitstring(12)


def test_multi_bit_status_reads_big_endian() -> None:
    bitstring = Bitstring(MIN_ENTRIES * 2)
    bitstring.set_status(5, 0b10, status_size=2)
    bitstring.set_status(6, 0b11, status_size=2)
    assert bitstring.to_bytes()[:3] == bytes([0, 0b00101100, 0])  # bits 10..13 = 1,0,1,1
    encoded = encode(bitstring)
    assert read_status(encoded, 5, status_size=2) == 2
    assert read_status(encoded, 6, status_size=2) == 3
    assert read_status(encoded, 4, status_size=2) == 0
    with pytest.raises(ValueError, match="does not fit"):
        bitstring.set_status(0, 4, status_size=2)


def test_list_too_short_is_a_length_error() -> None:
    short = _encoded(bytes(1024))
    with pytest.raises(ValidationFailed, match=r"^STATUS_LIST_LENGTH_ERROR"):
        read_status(short, 0)
    assert read_status(short, 8191, min_entries=8192) == 0
    # 131072 bits hold only 65536 two-bit entries
    with pytest.raises(ValidationFailed, match="STATUS_LIST_LENGTH_ERROR"):
        read_status(SPEC_EXAMPLE, 0, status_size=2)


def test_index_past_the_end_is_a_range_error() -> None:
    with pytest.raises(ValidationFailed, match=r"^RANGE_ERROR") as caught:
        read_status(SPEC_EXAMPLE, 131_072)
    assert caught.value.pointer == "/credentialStatus/statusListIndex"


@pytest.mark.parametrize(
    "encoded",
    [
        "zH4sIAAAAAAAAA",  # base58btc prefix
        "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",  # no prefix
        "uH4sI+AAA/",  # standard base64 alphabet
        "uH4sIAAAAAAAAA==",  # padding
        "uA",  # impossible base64 length
        "u" + base64.urlsafe_b64encode(b"not gzip at all").rstrip(b"=").decode(),
        SPEC_EXAMPLE[:-6],  # truncated GZIP
        _encoded(bytes(16)) + "AAAA",  # data after the GZIP member
        _encoded(b""),  # empty bitstring
        "",
    ],
)
def test_malformed_lists_raise_parse_error(encoded: str) -> None:
    with pytest.raises(ParseError):
        decode(encoded)
    with pytest.raises(ParseError, match=r"^MALFORMED_VALUE_ERROR"):
        read_status(encoded, 0)


def test_decode_refuses_non_strings() -> None:
    with pytest.raises(ParseError):
        decode(b"uH4sI")  # type: ignore[arg-type]


def test_decompression_bomb_is_capped() -> None:
    bomb = _encoded(bytes(64 * 1024 * 1024))  # 64 MiB of zeros: ~87 KB encoded
    assert len(bomb) < 200_000
    with pytest.raises(PayloadTooLarge):
        decode(bomb)
    with pytest.raises(PayloadTooLarge):
        decode(SPEC_EXAMPLE, max_bytes=16_383)
    assert decode(SPEC_EXAMPLE, max_bytes=16_384).size == MIN_ENTRIES
    with pytest.raises(PayloadTooLarge):
        read_status(bomb, 0)


def test_overlong_encoded_text_is_refused_before_decoding() -> None:
    with pytest.raises(PayloadTooLarge):
        decode("u" + "A" * 5000, max_bytes=1000)


def test_decoded_lists_are_kept_by_their_text_bounded_in_count_and_size() -> None:
    decoded = DecodedLists(entries=2, max_bytes_each=MIN_ENTRIES // 8)
    bitstring = Bitstring()
    bitstring.set(7, True)
    text = encode(bitstring)
    first = decoded.decode(text)
    assert first.to_bytes() == bitstring.to_bytes()
    assert decoded.decode(text) is first  # inflated once
    assert read_status(text, 7, decoded=decoded) == 1 and read_status(text, 8, decoded=decoded) == 0
    assert decoded.decode(encode(Bitstring())) is not first  # another text, another list
    large = encode(Bitstring(MIN_ENTRIES * 2))
    assert decoded.decode(large) is not decoded.decode(large)  # over the size kept: decoded each time
    assert decoded.decode(text, max_bytes=1024 * 1024) is not first  # another bound, another entry
    with pytest.raises(PayloadTooLarge):
        decoded.decode(text, max_bytes=100)
    with pytest.raises(ParseError):
        read_status("u" + "A" * 10, 0, decoded=decoded)
    assert len(decoded._kept) <= 2


@pytest.mark.parametrize(("status_size", "index"), [(0, 0), (-1, 0), (1, -1), (True, 0), (1, True)])
def test_bad_arguments_are_malformed_values(status_size: int, index: int) -> None:
    with pytest.raises(ParseError, match=r"^MALFORMED_VALUE_ERROR"):
        read_status(SPEC_EXAMPLE, index, status_size)


def test_parse_index_accepts_decimal_strings() -> None:
    assert parse_index("0") == 0
    assert parse_index("94567") == 94567
    assert parse_index("007") == 7
    assert parse_index("94567", strict=True) == 94567


def test_parse_index_tolerates_json_integers_unless_strict() -> None:
    assert parse_index(94567) == 94567
    with pytest.raises(ParseError, match="MALFORMED_VALUE_ERROR"):
        parse_index(94567, strict=True)


@pytest.mark.parametrize(
    "value",
    ["", "-1", "+1", "1.0", "0x10", " 1", "1 ", "١٢", "1" * 21, -1, 1.0, True, None, ["1"]],
)
def test_parse_index_refuses_everything_else(value: object) -> None:
    with pytest.raises(ParseError, match="MALFORMED_VALUE_ERROR") as caught:
        parse_index(value)
    assert caught.value.pointer == "/credentialStatus/statusListIndex"


def test_credential_subject() -> None:
    bitstring = Bitstring()
    bitstring.set(42, True)
    subject = status_list_credential_subject(
        "https://example.com/status/3", "revocation", bitstring, ttl_ms=300_000
    )
    assert subject == {
        "id": "https://example.com/status/3#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": encode(bitstring),
        "ttl": 300_000,
    }
    assert read_status(str(subject["encodedList"]), 42) == 1
    purposes = ("revocation", "suspension")
    several = status_list_credential_subject("https://x.test/l", purposes, bitstring)
    assert several["statusPurpose"] == ["revocation", "suspension"]
    assert "ttl" not in several


def test_error_codes_are_exported() -> None:
    assert status_list.STATUS_LIST_LENGTH_ERROR == "STATUS_LIST_LENGTH_ERROR"
    assert status_list.RANGE_ERROR == "RANGE_ERROR"
    assert status_list.MALFORMED_VALUE_ERROR == "MALFORMED_VALUE_ERROR"
