"""Baked PNG properties: any text round-trips, re-baking keeps one credential, any changed byte is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.errors import ParseError
from badge_issuer.formats.png import bake_png, iter_chunks, unbake_png
from tests.formats.test_png import chunk, tiny_png

payloads = st.text(min_size=1, max_size=300)
# other text chunks a PNG may already carry (keywords other than the two Open Badges ones)
keywords = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x7A), min_size=1, max_size=20)
other_chunks = st.lists(
    st.tuples(keywords, st.text(max_size=40)).map(
        lambda kt: chunk(b"iTXt", kt[0].encode() + b"\x00\x00\x00\x00\x00" + kt[1].encode("utf-8"))
    ),
    max_size=3,
)


@given(payloads, other_chunks)
def test_unbake_returns_what_was_baked(payload: str, others: list[bytes]) -> None:
    original = tiny_png(*others)
    baked = bake_png(original, payload)
    assert unbake_png(baked) == payload
    # everything else in the file is kept, in order
    kept = [c.data for c in iter_chunks(baked) if c.data[:20] != b"openbadgecredential\x00"]
    assert kept == [c.data for c in iter_chunks(original)]


@given(payloads, payloads, other_chunks)
def test_rebaking_replaces_the_credential(first: str, second: str, others: list[bytes]) -> None:
    twice = bake_png(bake_png(tiny_png(*others), first), second)
    assert unbake_png(twice) == second
    baked = [c for c in iter_chunks(twice) if c.data.startswith(b"openbadgecredential\x00")]
    assert len(baked) == 1


@given(payloads, st.data())
def test_any_changed_byte_is_refused(payload: str, draw: st.DataObject) -> None:
    """Signature, lengths, types and CRC-32s leave no byte of a baked PNG unchecked."""
    baked = bake_png(tiny_png(), payload)
    at = draw.draw(st.integers(0, len(baked) - 1))
    flip = draw.draw(st.integers(1, 255))
    tampered = baked[:at] + bytes([baked[at] ^ flip]) + baked[at + 1 :]
    with pytest.raises(ParseError):
        unbake_png(tampered)
