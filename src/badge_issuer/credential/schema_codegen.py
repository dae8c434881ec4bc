"""Python code for a JSON Schema, by fastjsonschema's draft 7 generator, with a type dispatch that
raises nothing on its way.

``schema_dispatch`` turns a ``oneOf``/``anyOf`` of disjoint types into ``{"if": {"type": T},
"then": A, "else": B}``. fastjsonschema compiles every ``if`` as a trial: run the ``if`` schema
in a ``try``, take ``then`` when nothing was raised and ``else`` in the ``except``. For a value
that is not of type T that raises and catches an exception to learn its type: about twenty per
typical credential, after the dispatch had spared the ones its alternatives raised. When the
``if`` is only a ``type`` whose check is a bare ``isinstance`` (``string``, ``object``, ``array``,
``boolean``: the test fastjsonschema itself writes for them), this generator writes that test as
an ``if``/``else`` instead: the same verdict for every value, with nothing raised. Any other
``if`` (numbers, whose draft 7 test is more than ``isinstance``, or a schema with more keywords)
is compiled as fastjsonschema compiles it.
"""

from __future__ import annotations

from typing import Any

from fastjsonschema.draft04 import JSON_TYPE_TO_PYTHON_TYPE
from fastjsonschema.draft07 import CodeGeneratorDraft07
from fastjsonschema.ref_resolver import RefResolver

#: JSON types whose draft 7 check in fastjsonschema is exactly ``isinstance`` of the Python types
#: its own table names (numbers get more than that)
_PLAIN_TYPES = {name: JSON_TYPE_TO_PYTHON_TYPE[name] for name in ("string", "object", "array", "boolean")}


class _DispatchingGenerator(CodeGeneratorDraft07):
    """fastjsonschema's draft 7 generator (its methods are untyped: called through ``Any``)."""

    def generate_if_then_else(self) -> None:
        definition: dict[str, Any] = self._definition or {}
        test = _plain_type_test(definition.get("if"))
        stock: Any = super().generate_if_then_else
        if test is None:
            stock()
            return
        with self.l("if isinstance({variable}, ({})):", test, optimize=False):
            self._block(definition, "then")
        with self.l("else:", optimize=False):
            self._block(definition, "else")

    def _block(self, definition: dict[str, Any], keyword: str) -> None:
        """The code of the ``then`` or ``else`` schema here (``pass`` when it checks nothing)."""
        length = len(self._code)
        generate: Any = self.generate_func_code_block
        if keyword in definition:
            generate(definition[keyword], self._variable, self._variable_name, clear_variables=True)
        if len(self._code) == length:
            self.l("pass")


def _plain_type_test(schema: Any) -> str | None:
    """The Python types of an ``if`` that is a ``type`` of plain types only; None for any other."""
    if not isinstance(schema, dict) or set(schema) != {"type"}:
        return None
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not names or not all(isinstance(name, str) and name in _PLAIN_TYPES for name in names):
        return None
    return ", ".join(_PLAIN_TYPES[name] for name in names)


def compile_to_code(definition: dict[str, Any], *, handlers: dict[str, Any], formats: dict[str, Any]) -> str:
    """``fastjsonschema.compile_to_code(definition, handlers, formats, use_default=False,
    detailed_exceptions=False)``, its type dispatches compiled without exceptions."""
    resolver = RefResolver.from_schema(definition, handlers=handlers, store={})
    make: Any = _DispatchingGenerator
    generator = make(
        definition, resolver=resolver, formats=formats, use_default=False, detailed_exceptions=False
    )
    return f"{generator.global_state_code}\n{generator.func_code}"
