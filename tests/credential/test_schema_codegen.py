"""The generated code of a type dispatch tests the type with ``if``/``else`` (nothing raised) and
gives every value fastjsonschema's own verdict; other ``if``s are compiled as fastjsonschema does."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badge_issuer.credential.schema_codegen import compile_to_code
from badge_issuer.credential.schema_dispatch import dispatch_by_type

LANGUAGE_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
SCHEMAS: list[dict[str, Any]] = [
    {"oneOf": [{"type": "string", "minLength": 2}, LANGUAGE_MAP]},
    {"oneOf": [{"oneOf": [{"type": "string"}, LANGUAGE_MAP]}, {"type": "array", "minItems": 1}]},
    {"anyOf": [{"type": ["string", "boolean"]}, {"type": "array", "minItems": 1}]},
    {"if": {"type": "object"}, "then": {"required": ["id"]}, "else": {"type": "string"}},
    {"if": {"type": "array"}, "then": {"minItems": 2}},
    # not plain types, or more than a type: compiled as fastjsonschema compiles them
    {"oneOf": [{"type": "integer"}, {"type": "string"}]},
    {"if": {"type": "string", "minLength": 3}, "then": {"pattern": "^a"}, "else": {"type": "number"}},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "en", "x"]), inner),
    max_leaves=8,
)


def draft_7(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "http://json-schema.org/draft-07/schema#", **dispatch_by_type(schema)}


@functools.cache
def ours(text: str) -> Callable[[Any], Any]:
    code = compile_to_code(json.loads(text), handlers={}, formats={})
    namespace: dict[str, Any] = {}
    exec(compile(code, "<test schema>", "exec"), namespace)
    validate: Callable[[Any], Any] = next(
        value for name, value in namespace.items() if name.startswith("validate") and callable(value)
    )
    return validate


@functools.cache
def stock(text: str) -> Callable[[Any], Any]:
    check: Callable[[Any], Any] = fastjsonschema.compile(json.loads(text), use_default=False)
    return check


def verdict(check: Callable[[Any], Any], value: Any) -> bool:
    try:
        check(value)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


@pytest.mark.parametrize("schema", SCHEMAS)
@settings(max_examples=200)
@given(value=json_values)
def test_every_value_gets_fastjsonschemas_verdict(schema: dict[str, Any], value: Any) -> None:
    text = json.dumps(draft_7(schema))
    assert verdict(ours(text), value) == verdict(stock(text), value)


def test_a_dispatch_on_plain_types_is_an_if_else_and_others_stay_a_trial() -> None:
    dispatched = compile_to_code(draft_7(SCHEMAS[1]), handlers={}, formats={})
    assert "if isinstance(data, (dict, str)):" in dispatched  # a language map or a string
    assert "try:" not in dispatched  # not one exception to learn a value's type
    numbers = compile_to_code(draft_7(SCHEMAS[5]), handlers={}, formats={})
    assert "try:" in numbers  # an integer's draft 7 test is more than isinstance: fastjsonschema's own
    wider = compile_to_code(draft_7(SCHEMAS[6]), handlers={}, formats={})
    assert "try:" in wider
