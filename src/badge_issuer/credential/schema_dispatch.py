"""``oneOf``/``anyOf`` whose alternatives accept disjoint JSON types, rewritten as a dispatch on type.

The JSON-LD adaptations of the 1EdTech schemas give most properties alternatives such as
``{"oneOf": [{"type": "string"}, {"type": "object", …language map…}]}``. Compiled code evaluates
every alternative of a ``oneOf`` and counts those that hold, and each one that fails raises (and
catches) an exception: about 50 per typical credential, a tenth of its schema check. When every
alternative declares its ``type`` and no two declare the same JSON type, a value can satisfy at
most the alternative of its own type, so "exactly one holds" (``oneOf``) and "at least one holds"
(``anyOf``) both mean "the alternative of the value's type holds". That is what
``{"if": {"type": T1}, "then": A1, "else": {"if": {"type": T2}, "then": A2, "else": … An}}``
says (the last alternative, as the final ``else``, refuses every type it does not declare), and
it evaluates one alternative for a value of the first type.

``integer`` counts as ``number`` (every integer is a number), so ``integer`` beside ``number`` is
never taken as disjoint. A node with both combinators, or with ``if`` already, is left as it is.
:func:`dispatch_by_type` returns a rewritten copy; the input is not changed.
"""

from __future__ import annotations

from typing import Any

#: the JSON type a ``type`` name falls under when telling alternatives apart
_KIND = {"integer": "number"}


def _types(alternative: Any) -> tuple[Any, frozenset[str]] | None:
    """An alternative's ``type`` keyword and the kinds it admits, or None when it admits any."""
    if not isinstance(alternative, dict) or "type" not in alternative:
        return None
    declared = alternative["type"]
    names: list[Any] = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        return None
    return declared, frozenset(_KIND.get(str(name), str(name)) for name in names)


def _dispatch(alternatives: list[Any]) -> dict[str, Any] | None:
    """The if/then/else chain of ``alternatives``, or None when their types are not disjoint."""
    typed: list[tuple[Any, frozenset[str]]] = []
    for alternative in alternatives:
        found = _types(alternative)
        if found is None:
            return None
        typed.append(found)
    kinds = [kind for _, admitted in typed for kind in admitted]
    if len(typed) < 2 or len(set(kinds)) != len(kinds):
        return None
    chain: dict[str, Any] = alternatives[-1]
    for alternative, (declared, _) in zip(reversed(alternatives[:-1]), reversed(typed[:-1]), strict=True):
        chain = {"if": {"type": declared}, "then": alternative, "else": chain}
    return chain


#: keywords holding a map of subschemas, a list of them, or one
_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_LISTS = frozenset({"allOf", "anyOf", "oneOf", "items"})
_ONE = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)


def _sub(key: str, value: Any) -> Any:
    """A keyword's value with its subschemas rewritten (annotations and enums are left alone)."""
    if key in _MAPS and isinstance(value, dict):
        return {name: dispatch_by_type(schema) for name, schema in value.items()}
    if key in _LISTS and isinstance(value, list):
        return [dispatch_by_type(schema) for schema in value]
    return dispatch_by_type(value) if key in _ONE else value


def dispatch_by_type(schema: Any) -> Any:
    """``schema`` with every eligible ``oneOf``/``anyOf`` (at any depth) rewritten as a type dispatch."""
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: _sub(key, value) for key, value in schema.items()}
    combinators = [key for key in ("oneOf", "anyOf") if key in rewritten]
    if len(combinators) != 1 or {"if", "then", "else"} & set(rewritten):
        return rewritten
    alternatives = rewritten[combinators[0]]
    chain = _dispatch(alternatives) if isinstance(alternatives, list) else None
    if chain is None:
        return rewritten
    del rewritten[combinators[0]]
    return {**rewritten, **chain}
