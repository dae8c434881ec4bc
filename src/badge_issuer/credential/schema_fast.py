"""A compiled yes/no answer ahead of the JSON Schema validator, for the common case: a valid document.

``jsonschema`` walks the OB 3.0 schemas (about 1,350 ``oneOf`` alternatives) keyword by keyword:
~4.6 ms per credential, more than half of a whole verification. ``fastjsonschema`` compiles a schema
into Python code that answers valid/invalid in ~0.4 ms. The compiled check only ever short-cuts a
*valid* verdict; for anything it rejects, ``jsonschema`` runs as before and is the authority (it
gives the issues, and its verdict wins), so the two may differ only in speed, never in outcome,
as long as the compiled check is never more lenient. That holds for what these schemas use:

- they declare draft 2019-09 but use only keywords that draft 7 defines the same way (``type``,
  ``properties``, ``required``, ``additionalProperties``, ``items``/``additionalItems``,
  ``contains``, ``propertyNames``, ``pattern``, ``enum`` of strings, ``minItems``, the ``*Of``
  combinators, ``format``), and no ``$ref`` has sibling keywords (which draft 7 would ignore) —
  ``_supported`` checks this when a schema is loaded, and a schema that uses anything else gets no
  compiled check;
- where draft 7 is stricter (``1.0`` is not an integer) the document just takes the slow path;
- ``format`` gets the very predicates ``jsonschema`` is given (or none, as annotations).

A credential's issuer ``Profile`` and its ``Achievement`` are most of its schema work (~40 %), and
they are the same in every badge of one achievement: the compiled validators of those two
definitions remember the content they accepted (``MEMO_DEFINITIONS``; by the SHA-256 of its JSON
with sorted keys, in a bounded map), so the next badge of that achievement pays for its own parts
only. A rejection is never remembered, and the compiled code is built without detailed exceptions
(their messages are never read: a rejection takes the slow path). Alternatives of disjoint types
are compiled as a dispatch on the value's type (``schema_dispatch``: the same verdicts, without
an exception for every alternative that does not apply).

Compiling takes 0.1–1 s a schema, so it happens once per process, in a background thread, on the
first request for that schema; until it is ready, requests take the slow path. The compiled
functions are pure, and the memo of them (keyed by the schema's content) is shared, safely, by
every thread and every ``SchemaValidator`` of the process.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import fastjsonschema

from badge_issuer.credential.schema_codegen import compile_to_code
from badge_issuer.credential.schema_dispatch import dispatch_by_type
from badge_issuer.jsonld.context_memo import BoundedMap, exact_form

log = logging.getLogger(__name__)

Check = Callable[[Any], Any]
Formats = Mapping[str, Callable[[Any], bool]]
DRAFT_7 = "http://json-schema.org/draft-07/schema#"
#: keywords whose draft 7 meaning is that of draft 2019-09 (or of no consequence to validity)
SUPPORTED = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "additionalItems",
        "contains",
        "propertyNames",
        "pattern",
        "enum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "format",
    }
)
#: ``$defs`` whose validators remember what they accepted (shared by the badges of one achievement)
MEMO_DEFINITIONS = ("___defs_achievement", "___defs_profile")
#: accepted (schema, definition, content digest) kept; emptied when full
MEMO_SIZE = 4096
_accepted = BoundedMap(MEMO_SIZE)
_lock = threading.Lock()
_compiled: dict[str, Check | None] = {}  # key → compiled check (None: could not be compiled)
_pending: set[str] = set()


def _supported(node: Any) -> bool:
    """Whether every subschema uses only ``SUPPORTED`` keywords, string enums and bare ``$ref``s."""
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict):
        return False
    if not set(node) <= SUPPORTED:
        return False
    if "$ref" in node and set(node) - {"$ref", "$comment", "description", "title"}:
        return False
    if "enum" in node and not all(isinstance(value, str) for value in node["enum"]):
        return False
    subschemas: list[Any] = []
    for key, value in node.items():
        if key in ("properties", "$defs"):
            if not isinstance(value, dict):
                return False
            subschemas += value.values()
        elif key in ("allOf", "anyOf", "oneOf") or (key == "items" and isinstance(value, list)):
            subschemas += value if isinstance(value, list) else [None]
        elif key in ("items", "additionalItems", "additionalProperties", "contains", "propertyNames", "not"):
            subschemas.append(value)
    return all(_supported(item) for item in subschemas)


class FastChecks:
    """Compiled valid/invalid checks for a set of schemas (by URL), built lazily, process-wide."""

    def __init__(
        self, schemas: Mapping[str, dict[str, Any]], urls: Mapping[str, str], formats: Formats | None
    ) -> None:
        self._schemas = schemas  # $id → schema
        self._urls = urls  # every URL a schema is asked for by → its $id
        self._formats = formats
        self._keys = {
            schema_id: hashlib.sha256(
                json.dumps([schema, sorted(formats or ())], sort_keys=True).encode()
            ).hexdigest()
            for schema_id, schema in schemas.items()
        }

    def valid(self, url: str, document: Any) -> bool:
        """True only when the compiled check of ``url``'s schema accepts ``document``; False when it
        rejects it, is not compiled yet (compiling starts) or cannot be had."""
        schema_id = self._urls.get(url)
        if schema_id is None:
            return False
        key = self._keys[schema_id]
        with _lock:
            check = _compiled.get(key)
            start = key not in _compiled and key not in _pending
            if start:
                _pending.add(key)
        if start:
            threading.Thread(target=self._compile, args=(schema_id, key), daemon=True).start()
        if check is None:
            return False
        try:
            check(document)
        except fastjsonschema.JsonSchemaException:
            return False
        except Exception:  # any surprise in generated code: the slow path decides
            log.exception("compiled JSON Schema check of %s failed", url)
            return False
        return True

    def ready(self, url: str) -> bool:
        """Whether the compiled check of ``url``'s schema is in place (for tests and warm-up)."""
        schema_id = self._urls.get(url)
        with _lock:
            return schema_id is not None and _compiled.get(self._keys[schema_id]) is not None

    def compile_now(self, url: str) -> None:
        """Compile ``url``'s schema in this thread (warm-up and tests); no-op when done."""
        schema_id = self._urls[url]
        if not self.ready(url):
            self._compile(schema_id, self._keys[schema_id])

    def _compile(self, schema_id: str, key: str) -> None:
        check: Check | None = None
        schema = self._schemas[schema_id]
        try:
            if _supported(schema):
                formats = dict(self._formats) if self._formats is not None else _ANNOTATIONS
                code = compile_to_code(
                    self._draft_7(schema),
                    handlers={"https": self._resolve, "http": self._resolve},
                    formats=formats,
                )
                check = _load(code, formats, schema_id)
                _remember_accepted(check, key)
        except Exception:  # a schema it cannot compile keeps the slow path
            log.exception("JSON Schema %s could not be compiled; it is checked the slow way", schema_id)
        with _lock:
            _compiled[key] = check
            _pending.discard(key)

    def _resolve(self, uri: str) -> dict[str, Any]:
        """A ``$ref`` to another schema of the folder (never fetched)."""
        schema_id = self._urls.get(uri.partition("#")[0])
        if schema_id is None or not _supported(self._schemas[schema_id]):
            raise fastjsonschema.JsonSchemaDefinitionException(f"no local schema {uri}")
        return self._draft_7(self._schemas[schema_id])

    @staticmethod
    def _draft_7(schema: dict[str, Any]) -> dict[str, Any]:
        """The schema as draft 7 reads it alike, its disjoint alternatives dispatched on type."""
        copied: dict[str, Any] = dispatch_by_type(copy.deepcopy(schema))
        copied["$schema"] = DRAFT_7
        return copied


def _load(code: str, formats: Formats, schema_id: str) -> Check:
    """The generated code of a schema, run with every message left a template: the messages are
    never read (a rejection takes the slow path, which words the issues), and the generated code
    formats one with ``locals()`` at each array item it hands to another definition's validator,
    to name the item (~15 % of a valid credential's check)."""
    lean = _EAGER_MESSAGE.sub(r"\1", code)
    root = _ROOT.search(lean)
    if root is None:
        raise fastjsonschema.JsonSchemaDefinitionException(f"no validator generated for {schema_id}")
    namespace: dict[str, Any] = {}
    exec(compile(lean, f"<compiled JSON Schema {schema_id}>", "exec"), namespace)  # noqa: S102
    namespace["JsonSchemaValueException"] = _Rejected  # what the generated code raises and catches
    validate = namespace[root.group(1)]
    return functools.update_wrapper(functools.partial(validate, custom_formats=dict(formats)), validate)


class _Rejected(fastjsonschema.JsonSchemaValueException):
    """A failed alternative or a rejection in the generated code, made by the builtin constructor:
    the one it inherits sets five attributes no one reads, and a valid credential's check raises
    and catches one for each alternative that does not apply (~20)."""

    __init__ = ValueError.__init__


#: a message part the generated code formats eagerly: ``"<template>".format(**locals())``
_EAGER_MESSAGE = re.compile(r'("(?:[^"\\\n]|\\.)*")\.format\(\*\*locals\(\)\)')
#: the schema's own validator: the first the generated code defines
_ROOT = re.compile(r"^def (validate_\w*)\(", re.MULTILINE)


def _remember_accepted(check: Check, key: str) -> None:
    """Wrap the generated validators of ``MEMO_DEFINITIONS`` (they call each other by global name)."""
    namespace: dict[str, Any] = getattr(getattr(check, "func", None), "__globals__", {})
    for name, function in list(namespace.items()):
        if name.startswith("validate_") and name.endswith(MEMO_DEFINITIONS) and callable(function):
            namespace[name] = _memoised(function, (key, name))


def _memoised(validate: Callable[..., Any], scope: tuple[str, str]) -> Callable[..., Any]:
    def remembering(data: Any, custom_formats: Any = None, name_prefix: Any = None) -> Any:
        memo_key = _content_key(scope, data)
        if memo_key is None:
            return validate(data, custom_formats, name_prefix)
        if _accepted.get(memo_key) is True:
            return data
        result = validate(data, custom_formats, name_prefix)  # raises when it rejects
        _accepted.put(memo_key, True)
        return result

    return remembering


def _content_key(scope: tuple[str, str], data: Any) -> tuple[str, str, bytes] | None:
    """The memo key of ``data``: the SHA-256 of its ``exact_form`` (1, 1.0 and true differ there,
    as they do to the schema), or None when it has none (not plain JSON data: validated each time)."""
    text = exact_form(data)
    return None if text is None else (*scope, hashlib.sha256(text).digest())


def accepted_size() -> int:
    """How many accepted definitions are remembered now (for tests of the bound)."""
    return len(_accepted)


def _anything(value: Any) -> bool:
    return True


#: draft 2019-09's default: ``format`` is an annotation, so every value conforms
_ANNOTATIONS: dict[str, Callable[[Any], bool]] = {"date-time": _anything, "date": _anything}
