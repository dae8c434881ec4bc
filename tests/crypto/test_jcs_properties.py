"""Our JCS equals the independent ``rfc8785`` package on generated JSON (unicode, controls, numbers)."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.crypto.jcs import canonicalize

names = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
strings = st.one_of(
    names,
    st.sampled_from(["\x00", "\x1f\x7f", "\u2028\u2029", "\ufeff", '"\\/', "\U0001f600\ufb33\u20ac"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    strings,
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(names, children, max_size=5)),
    max_leaves=30,
)


@given(documents)
def test_jcs_equals_the_rfc8785_package(value: Any) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)
