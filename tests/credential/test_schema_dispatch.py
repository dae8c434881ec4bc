"""A oneOf/anyOf of disjoint types, rewritten as a dispatch on type, gives every value the verdict
the original gives (jsonschema and the compiled code, on generated values); alternatives that may
overlap are left as they are."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from badge_issuer.credential.schema import default_schemas_dir
from badge_issuer.credential.schema_dispatch import dispatch_by_type

LANGUAGE_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
DISJOINT = [
    {"oneOf": [{"type": "string"}, LANGUAGE_MAP]},
    {"anyOf": [{"type": "string", "pattern": "^a"}, {"type": "array", "items": {"type": "string"}}]},
    {"oneOf": [{"type": "integer"}, {"type": ["string", "null"]}, {"type": "boolean"}]},
    {"description": "kept", "oneOf": [{"type": "object", "required": ["id"]}, {"type": "string"}]},
    {"type": "array", "items": {"oneOf": [{"type": "string", "minLength": 2}, LANGUAGE_MAP]}},
    # an alternative that admits what a definition admits, or what its own alternatives admit
    {"oneOf": [{"type": "string"}, {"$ref": "#/definitions/x"}], "definitions": {"x": {"type": "object"}}},
    {
        "oneOf": [{"$ref": "#/definitions/text"}, {"type": "array", "minItems": 2}],
        "definitions": {"text": {"anyOf": [{"oneOf": [{"type": "string"}, LANGUAGE_MAP]}, {"type": "null"}]}},
    },
    {"anyOf": [{"oneOf": [{"type": "boolean"}, {"type": "integer"}]}, {"type": "string", "pattern": "^b"}]},
]
OVERLAPPING = [
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},  # 1 is both: oneOf refuses it
    {"oneOf": [{"type": ["string", "null"]}, {"type": "null"}]},
    {"oneOf": [{"type": "object"}, {"$ref": "#/definitions/x"}], "definitions": {"x": {"type": "object"}}},
    # a definition that may admit any type (here: all but strings)
    {
        "oneOf": [{"type": "array"}, {"$ref": "#/definitions/x"}],
        "definitions": {"x": {"not": {"type": "string"}}},
    },
    {"oneOf": [{"type": "string"}, {"enum": ["a"]}]},
    {"oneOf": [{"type": "string"}]},
    {"oneOf": [{"type": "string"}, LANGUAGE_MAP], "anyOf": [{"type": "string"}, {"type": "object"}]},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "en", "x"]), inner),
    max_leaves=8,
)


def draft_7(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "http://json-schema.org/draft-07/schema#", **schema}


@functools.cache
def compiled(text: str) -> Callable[[Any], Any]:
    check: Callable[[Any], Any] = fastjsonschema.compile(json.loads(text))
    return check


@pytest.mark.parametrize("schema", DISJOINT)
def test_disjoint_alternatives_become_a_dispatch_on_type(schema: dict[str, Any]) -> None:
    before = copy.deepcopy(schema)
    rewritten = dispatch_by_type(schema)
    assert schema == before  # the input is not changed
    assert "oneOf" not in json.dumps(rewritten) and "anyOf" not in json.dumps(rewritten)
    assert '"if"' in json.dumps(rewritten)


#: references whose target is not the root's definition of that name, and a $ref beside other
#: keywords (draft 7 reads only the $ref): none may be taken for what it does not admit
MISREAD = [
    {
        "$defs": {"X": {"type": "boolean"}},
        "properties": {
            "a": {
                "$id": "https://example.org/sub.json",
                "$defs": {"X": {"type": "string"}},
                "oneOf": [{"$ref": "#/$defs/X"}, {"type": "string"}],
            }
        },
    },
    {
        "$defs": {"a~b": {"type": "string"}, "a~0b": {"type": "boolean"}},
        "oneOf": [{"$ref": "#/$defs/a~0b"}, {"type": "string"}],
    },
    {
        "$defs": {"a b": {"type": "string"}, "a%20b": {"type": "boolean"}},
        "oneOf": [{"$ref": "#/$defs/a%20b"}, {"type": "string"}],
    },
    {"definitions": {"S": {}}, "oneOf": [{"$ref": "#/definitions/S", "type": "string"}, {"type": "number"}]},
    {
        "definitions": {"S": {"type": ["string", "number"]}},
        "oneOf": [{"$ref": "#/definitions/S", "anyOf": [{"type": "string"}]}, {"type": "number"}],
    },
]


@pytest.mark.parametrize("schema", OVERLAPPING + MISREAD)
def test_alternatives_that_may_overlap_are_left_as_they_are(schema: dict[str, Any]) -> None:
    assert dispatch_by_type(schema) == schema


@pytest.mark.parametrize("schema", DISJOINT + OVERLAPPING)
@settings(max_examples=150)
@given(value=json_values)
def test_every_value_gets_the_original_verdict(schema: dict[str, Any], value: Any) -> None:
    rewritten = dispatch_by_type(schema)
    expected = Draft7Validator(draft_7(schema)).is_valid(value)
    assert Draft7Validator(draft_7(rewritten)).is_valid(value) == expected
    try:
        compiled(json.dumps(draft_7(rewritten)))(value)
    except fastjsonschema.JsonSchemaValueException:
        assert not expected
    else:
        assert expected


def test_the_shipped_schemas_have_such_alternatives_and_keep_their_annotations() -> None:
    path = default_schemas_dir() / "ob-v3p0" / "purl-json" / "ob_v3p0_achievementcredential_schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    rewritten = dispatch_by_type(schema)
    text, before = json.dumps(rewritten), json.dumps(schema)
    assert text.count('"oneOf"') < before.count('"oneOf"') / 2
    assert rewritten["required"] == schema["required"] and rewritten["$id"] == schema["$id"]
    assert rewritten["properties"]["name"]["description"] == schema["properties"]["name"]["description"]
