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

An alternative without a ``type`` of its own may still admit only some types: a ``$ref`` to a
definition of the same schema admits what that definition admits, a ``oneOf``/``anyOf`` what its
alternatives admit together, an ``allOf`` what each of its members admits (other keywords only
narrow that). A ``$ref`` is followed only where its target is surely the root's definition of
that name: not in a schema whose subschemas set an ``$id`` of their own, not for a name a JSON
pointer or URI would decode (``~``, ``%``); and, as draft 7 reads it, nothing beside a ``$ref``
counts. So ``{"oneOf": [{"$ref":
"#/$defs/Context"}, {"type": "array"}]}``, where the definition is itself a string or a language
map, is a dispatch too: its ``if`` then names every type the alternative admits.

``integer`` counts as ``number`` (every integer is a number), so ``integer`` beside ``number`` is
never taken as disjoint. A node with both combinators, or with ``if`` already, is left as it is.
:func:`dispatch_by_type` returns a rewritten copy; the input is not changed.
"""

from __future__ import annotations

from typing import Any

#: the JSON type a ``type`` name falls under when telling alternatives apart
_KIND = {"integer": "number"}


#: the JSON type names of the admitted kinds (``number`` stands for ``integer`` too)
_NAMES = ("array", "boolean", "null", "number", "object", "string")
#: ``$ref`` chains followed this deep when telling what an alternative admits
_MAX_REFS = 8


def _types(alternative: Any, root: Any, depth: int = 0) -> tuple[Any, frozenset[str]] | None:
    """The ``type`` an ``if`` tests for ``alternative`` and the kinds it admits, or None when it may
    admit any: what a local ``$ref`` admits (draft 7 reads nothing beside a ``$ref``; 2019-09 only
    narrows it); else its own ``type``; else what its combinators admit."""
    if not isinstance(alternative, dict) or depth > _MAX_REFS:
        return None
    kinds: frozenset[str] | None
    if "$ref" in alternative:
        found = _types(_local(alternative["$ref"], root), root, depth + 1)
        kinds = found[1] if found is not None else None
    elif "type" in alternative:
        declared = alternative["type"]
        names: list[Any] = [declared] if isinstance(declared, str) else declared
        if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
            return None
        return declared, frozenset(_KIND.get(str(name), str(name)) for name in names)
    else:
        kinds = _admitted(alternative, root, depth)
    if kinds is None or not kinds <= set(_NAMES):
        return None
    return [name for name in _NAMES if name in kinds], kinds


def _admitted(schema: dict[str, Any], root: Any, depth: int) -> frozenset[str] | None:
    """The kinds a schema without ``type`` or ``$ref`` admits, when its one ``oneOf``/``anyOf``
    (what their alternatives admit together) or its ``allOf`` (what all of those that tell admit)
    tells; None when nothing does."""
    told: list[frozenset[str]] = []
    combinators = [key for key in ("oneOf", "anyOf") if key in schema]
    if len(combinators) == 1:
        alternatives = [_types(item, root, depth + 1) for item in _list(schema[combinators[0]])]
        if not alternatives or any(found is None for found in alternatives):
            return None
        told.append(frozenset().union(*(found[1] for found in alternatives if found is not None)))
    for member in _list(schema.get("allOf")):
        found = _types(member, root, depth + 1)
        if found is not None:  # a member that admits any type narrows nothing
            told.append(found[1])
    return frozenset.intersection(*told) if told else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _local(reference: Any, root: Any) -> Any:
    """The definition ``#/$defs/Name`` (or ``#/definitions/Name``) of ``root``; None for any other
    reference, for a name that a JSON pointer or URI would decode (``~``, ``%``), and for a ``root``
    of ``None`` (one whose subschemas set an ``$id`` of their own: a ``$ref`` under one of them is
    read against that ``$id``, not against the root)."""
    parts = reference.split("/") if isinstance(reference, str) else []
    if len(parts) != 3 or parts[0] != "#" or parts[1] not in ("$defs", "definitions"):
        return None
    if "~" in parts[2] or "%" in parts[2]:
        return None
    definitions = root.get(parts[1]) if isinstance(root, dict) else None
    return definitions.get(parts[2]) if isinstance(definitions, dict) else None


def _nested_id(schema: Any, top: bool = True) -> bool:
    """Whether an ``$id`` appears anywhere in ``schema`` but at its top (a property named so too)."""
    if isinstance(schema, dict):
        return (not top and "$id" in schema) or any(_nested_id(value, False) for value in schema.values())
    if isinstance(schema, list):
        return any(_nested_id(item, False) for item in schema)
    return False


def _dispatch(alternatives: list[Any], originals: list[Any], root: Any) -> dict[str, Any] | None:
    """The if/then/else chain of ``alternatives`` (rewritten already; what each admits is told from
    ``originals``), or None when their types are not disjoint."""
    typed: list[tuple[Any, frozenset[str]]] = []
    for alternative in originals:
        found = _types(alternative, root)
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


def _sub(key: str, value: Any, root: Any) -> Any:
    """A keyword's value with its subschemas rewritten (annotations and enums are left alone)."""
    if key in _MAPS and isinstance(value, dict):
        return {name: _rewrite(schema, root) for name, schema in value.items()}
    if key in _LISTS and isinstance(value, list):
        return [_rewrite(schema, root) for schema in value]
    return _rewrite(value, root) if key in _ONE else value


def dispatch_by_type(schema: Any) -> Any:
    """``schema`` with every eligible ``oneOf``/``anyOf`` (at any depth) rewritten as a type dispatch.
    Its ``$ref``s are followed to tell what an alternative admits unless a subschema sets its own
    ``$id`` (then only alternatives with a ``type`` of their own, or combinators of those, count)."""
    return _rewrite(schema, None if _nested_id(schema) else schema)


def _rewrite(schema: Any, root: Any) -> Any:
    """``dispatch_by_type`` of a subschema of ``root`` (whose definitions its ``$ref``s name)."""
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: _sub(key, value, root) for key, value in schema.items()}
    combinators = [key for key in ("oneOf", "anyOf") if key in rewritten]
    if len(combinators) != 1 or {"if", "then", "else"} & set(rewritten):
        return rewritten
    # what each alternative admits is told from the original (a rewritten one may be an if/then/else)
    originals, alternatives = schema[combinators[0]], rewritten[combinators[0]]
    chain = _dispatch(alternatives, originals, root) if isinstance(originals, list) else None
    if chain is None:
        return rewritten
    del rewritten[combinators[0]]
    return {**rewritten, **chain}
