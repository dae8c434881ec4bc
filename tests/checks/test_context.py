"""``checks/context.py``: the context entries found without pointers are those found with them."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.checks.context import _context_values, _contexts

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
keys = st.sampled_from(["@context", "id", "type", "credentialSubject", "achievement", "x"])
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(keys, children, max_size=4)
        | st.dictionaries(keys, children, max_size=3).map(MappingProxyType)
    ),
    max_leaves=30,
)


@given(documents)
def test_the_entries_without_pointers_are_those_with_them_in_the_same_order(document: Any) -> None:
    assert _context_values(document) == [entry for _, entry in _contexts(document)]


def test_entries_are_found_at_any_depth_and_a_context_is_not_looked_into() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"@context": "inside"}],
        "credentialSubject": [{"achievement": {"@context": "https://example.org/nested"}}, None, 3],
        "evidence": {"@context": None},
    }
    assert _context_values(document) == [
        "https://www.w3.org/ns/credentials/v2",
        {"@context": "inside"},
        "https://example.org/nested",
    ]
