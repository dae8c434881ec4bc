"""Multibase properties: every byte string round-trips, and base58btc decoding is one-to-one."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from badge_issuer.crypto.multibase import (
    b58decode,
    b58encode,
    b64url_decode,
    b64url_encode,
    multibase_decode,
    multibase_encode,
)
from badge_issuer.errors import ParseError

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# leading zero bytes are the edge base58 treats specially
data_bytes = st.one_of(st.binary(max_size=96), st.binary(max_size=8).map(lambda b: b"\0" * 3 + b))


@given(data_bytes, st.sampled_from(["base58btc", "base64url"]))
def test_decode_inverts_encode(data: bytes, encoding: str) -> None:
    encoded = multibase_encode(data, "base58btc" if encoding == "base58btc" else "base64url")
    assert encoded[0] == ("z" if encoding == "base58btc" else "u")
    assert multibase_decode(encoded) == data


@given(data_bytes)
def test_base58_keeps_leading_zero_bytes_as_ones(data: bytes) -> None:
    zeros = len(data) - len(data.lstrip(b"\0"))
    encoded = b58encode(data)
    assert encoded.startswith("1" * zeros)
    assert not encoded[zeros:].startswith("1")
    assert set(encoded) <= set(B58_ALPHABET)


@given(st.text(alphabet=B58_ALPHABET, max_size=40))
def test_base58_text_round_trips_so_no_two_texts_share_bytes(text: str) -> None:
    assert b58encode(b58decode(text)) == text


@given(data_bytes.filter(bool), st.data())
def test_changing_one_base58_character_changes_the_bytes(data: bytes, draw: st.DataObject) -> None:
    encoded = b58encode(data)
    at = draw.draw(st.integers(0, len(encoded) - 1))
    other = draw.draw(st.sampled_from(B58_ALPHABET).filter(lambda c: c != encoded[at]))
    assert b58decode(encoded[:at] + other + encoded[at + 1 :]) != data


@given(st.binary(min_size=1, max_size=64), st.data())
def test_changing_a_full_base64url_character_changes_the_bytes(data: bytes, draw: st.DataObject) -> None:
    encoded = b64url_encode(data)
    # every character but a trailing partial one carries six bits of data
    full = len(encoded) if len(encoded) % 4 == 0 else len(encoded) - 1
    assume(full > 0)
    at = draw.draw(st.integers(0, full - 1))
    other = draw.draw(st.sampled_from(B64URL_ALPHABET).filter(lambda c: c != encoded[at]))
    assert b64url_decode(encoded[:at] + other + encoded[at + 1 :]) != data


@given(st.text(min_size=1, max_size=20).filter(lambda t: not set(t) <= set(B58_ALPHABET)))
def test_text_outside_the_base58_alphabet_is_refused(text: str) -> None:
    with pytest.raises(ParseError):
        multibase_decode("z" + text)


@given(st.text(max_size=10), st.characters().filter(lambda c: c not in "zu"))
def test_an_unknown_prefix_is_refused(body: str, prefix: str) -> None:
    with pytest.raises(ParseError, match="prefix"):
        multibase_decode(prefix + body)
