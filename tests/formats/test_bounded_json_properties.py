"""Bounded JSON properties: what json writes parses back unchanged, and each bound holds exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badge_issuer.errors import ParseError, PayloadTooLarge
from badge_issuer.formats.bounded_json import JsonLimits, loads_bounded

# strings full of what the bracket pre-scan must see through: brackets, quotes and backslashes
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\\\\\"ab é\n🥐'), max_size=12) | st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | tricky_text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(tricky_text, children, max_size=6),
    max_leaves=40,
)


def container_depth(value: Any) -> int:
    """Nesting of arrays and objects, computed independently of the module (``[[1]]`` is 2)."""
    if isinstance(value, list):
        return 1 + max((container_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((container_depth(v) for v in value.values()), default=0)
    return 0


def value_count(value: Any) -> int:
    children = value if isinstance(value, list) else value.values() if isinstance(value, dict) else []
    return 1 + sum(value_count(v) for v in children)


def longest_array(value: Any) -> int:
    children = value if isinstance(value, list) else value.values() if isinstance(value, dict) else []
    own = len(value) if isinstance(value, list) else 0
    return max([own, *(longest_array(v) for v in children)])


@given(json_values, st.booleans(), st.sampled_from([None, 2]), st.booleans(), st.booleans())
def test_what_json_writes_parses_back_unchanged(
    value: Any, ascii_only: bool, indent: int | None, as_bytes: bool, bom: bool
) -> None:
    text = ("\ufeff" if bom else "") + json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    assert loads_bounded(text.encode("utf-8") if as_bytes else text) == value


@given(
    json_values,
    st.integers(1, 8),
    st.integers(0, 8),
    st.integers(1, 60),
)
def test_a_value_is_refused_exactly_when_it_breaks_a_bound(
    value: Any, max_depth: int, max_items: int, max_values: int
) -> None:
    limits = JsonLimits(max_depth=max_depth, max_array_items=max_items, max_values=max_values)
    breaks = (
        container_depth(value) > max_depth
        or longest_array(value) > max_items
        or value_count(value) > max_values
    )
    text = json.dumps(value)
    if breaks:
        with pytest.raises(PayloadTooLarge):
            loads_bounded(text, limits=limits)
    else:
        assert loads_bounded(text, limits=limits) == value


bracket_heavy_text = st.lists(st.sampled_from(['"', "[", "{", "]", "\\", "a"]), max_size=30).map("".join)


@given(
    st.lists(st.sampled_from(["[]", "{}"]), min_size=1, max_size=80),
    bracket_heavy_text,
    st.integers(-2, 2),
)
def test_nesting_is_measured_outside_strings(shape: list[str], inner: str, margin: int) -> None:
    """Deep nesting is refused before parsing; brackets, quotes and backslashes in strings never count."""
    text = json.dumps(inner)
    for brackets in reversed(shape):
        text = f"[{text}, {json.dumps(inner)}]" if brackets == "[]" else f'{{"{brackets}[": {text}}}'
    limits = JsonLimits(max_depth=max(1, len(shape) + margin))
    if len(shape) > limits.max_depth:
        with pytest.raises(PayloadTooLarge):
            loads_bounded(text, limits=limits)
    else:
        assert container_depth(loads_bounded(text, limits=limits)) == len(shape)


@given(st.dictionaries(tricky_text, scalars, min_size=1, max_size=4), st.data())
def test_a_repeated_member_name_is_refused(members: dict[str, Any], draw: st.DataObject) -> None:
    name = draw.draw(st.sampled_from(sorted(members)))
    text = json.dumps(members)
    repeated = f"{text[:-1]}, {json.dumps(name)}: null}}"
    with pytest.raises(ParseError, match="duplicate"):
        loads_bounded(repeated)


@given(json_values, st.sampled_from(["NaN", "Infinity", "-Infinity"]))
def test_non_numbers_are_refused_wherever_they_appear(value: Any, constant: str) -> None:
    text = json.dumps([value, constant]).replace(f'"{constant}"', constant, 1)
    with pytest.raises(ParseError):
        loads_bounded(text)
