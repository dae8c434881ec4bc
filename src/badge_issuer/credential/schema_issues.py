"""Turn jsonschema errors into ``Issue``s: a JSON Pointer and a short, plain message."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from badge_issuer.credential.base import json_pointer
from badge_issuer.errors import Issue

_MAX_MESSAGE = 240
_ALTERNATIVES = ("oneOf", "anyOf")


def issues_from_errors(errors: Iterable[SchemaError], limit: int) -> list[Issue]:
    """At most ``limit`` distinct issues, ordered by pointer."""
    leaves = [leaf for error in errors for leaf in _leaves(error)]
    issues = sorted({Issue(_pointer(leaf), _describe(leaf)) for leaf in leaves}, key=_issue_order)
    return issues[:limit]


def _issue_order(issue: Issue) -> tuple[str, str]:
    return issue.pointer, issue.message


def _branches(error: SchemaError) -> list[list[SchemaError]]:
    """The sub-errors of a oneOf/anyOf error, grouped by the alternative they come from."""
    grouped: dict[Any, list[SchemaError]] = {}
    for sub in error.context:
        grouped.setdefault(sub.relative_schema_path[0], []).append(sub)
    return list(grouped.values())


def _wrong_shape(errors: list[SchemaError]) -> bool:
    """Whether an alternative failed because the value has another JSON type altogether."""
    for error in errors:
        if error.relative_path:
            continue
        if error.validator == "type":
            return True
        if error.validator in _ALTERNATIVES and all(_wrong_shape(b) for b in _branches(error)):
            return True
    return False


def _expected_types(errors: Iterable[SchemaError]) -> list[str]:
    """The JSON types the alternatives wanted, from their ``type`` errors."""
    found: list[str] = []
    for error in errors:
        if error.relative_path:
            continue
        if error.validator == "type":
            wanted = error.validator_value
            found.extend(wanted if isinstance(wanted, list) else [str(wanted)])
        elif error.validator in _ALTERNATIVES:
            found.extend(_expected_types(error.context))
    return list(dict.fromkeys(found))


def _weight(errors: Iterable[SchemaError]) -> int:
    """How many errors an alternative produced, nested ones included."""
    return sum(1 + _weight(error.context) for error in errors)


def _leaves(error: SchemaError) -> Iterator[SchemaError]:
    """The errors to report: inside a oneOf/anyOf, those of the alternative the value meant.

    The JSON-LD adaptation schemas wrap most properties in "single value or array" and "string or
    language map" alternatives. Reporting only "not valid under any of the given schemas" would
    hide the real problem. The alternative chosen is the only one with the value's JSON type, or
    else the one with the fewest errors (nested ones included). On a tie, the alternatives error
    itself is reported.
    """
    if error.validator in _ALTERNATIVES and error.context:
        fitting = sorted((branch for branch in _branches(error) if not _wrong_shape(branch)), key=_weight)
        if len(fitting) == 1 or (len(fitting) > 1 and _weight(fitting[0]) < _weight(fitting[1])):
            for sub in fitting[0]:
                yield from _leaves(sub)
            return
    yield error


def _pointer(error: SchemaError) -> str:
    """Where the error is; a missing required property is pointed at by its own name."""
    path: list[str | int] = list(error.absolute_path)
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, Mapping):
        for name in required if isinstance(required, list) else []:
            if name not in error.instance and error.message == f"{name!r} is a required property":
                path.append(name)
                break
    return json_pointer(path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _describe(error: SchemaError) -> str:
    if error.validator in _ALTERNATIVES and error.context and all(map(_wrong_shape, _branches(error))):
        wanted = " or ".join(_expected_types(error.context))
        return f"got {_json_type(error.instance)}, the schema wants {wanted}"
    message = error.message
    if len(message) <= _MAX_MESSAGE:
        return message
    where = "/".join(str(part) for part in error.relative_schema_path)
    return f"value does not satisfy '{error.validator}' (schema path {where})"
