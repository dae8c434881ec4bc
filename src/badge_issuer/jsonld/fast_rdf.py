"""JSON-LD → RDF dataset in one walk, for the documents credentials are made of; pyld for the rest.

pyld expands a document into a new tree, builds a node map from it, then writes quads: three
passes, each allocating. For the shapes credentials have — node objects whose keys are terms (or
``id``/``type``), strings, numbers and booleans, nested node objects, ``@set`` and ``@list``
containers — :func:`fast_dataset` writes the same quads straight from the document, in one walk.
Context handling is pyld's own (``MemoProcessor``'s memoised ``_process_context`` and
``_expand_iri``, applied in the order pyld applies them: property-scoped, revert, type-scoped by
sorted type), and so is every non-string literal (``_expand_value`` and ``_object_to_rdf``), so
the walk decides only where values go.

Anything outside that subset raises :class:`Unsupported` before a quad is returned, and the caller
takes pyld's path for the whole document: a nested ``@context``, a key that is a keyword other than
``@id``/``@type`` (value objects, ``@list``/``@graph``/``@reverse``/``@included``/``@nest``…), a
container other than ``@set``/``@list``, ``@json`` or ``@reverse`` terms, a language or direction,
nested arrays, and — so that safe mode (``safemode``) reports exactly as before — any key that
JSON-LD would drop and any IRI that is relative (resolved against ``RELATIVE_BASE``). The quads may
differ from pyld's in blank node labels and order only: RDFC-1.0 output does not depend on either,
which ``tests/jsonld/test_differential.py`` checks over generated credentials.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from frozendict import frozendict
from pyld import jsonld

from badge_issuer.budget import checkpoint
from badge_issuer.jsonld.context_memo import MemoProcessor
from badge_issuer.jsonld.nquads import QuadKey, nquads_iri, nquads_literal, nquads_term

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
_TYPE = nquads_iri(RDF + "type")
_FIRST = nquads_iri(RDF + "first")
_REST = nquads_iri(RDF + "rest")
_NIL = nquads_iri(RDF + "nil")
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_CONTAINERS = frozenset({"@set", "@list"})
_get = jsonld.JsonLdProcessor.get_context_value


class Unsupported(Exception):  # a signal to take pyld's path, not an error
    """The document needs a JSON-LD feature this walk leaves to pyld."""


class _Walk:
    def __init__(self, processor: MemoProcessor, options: dict[str, Any], relative_base: str) -> None:
        self.processor = processor
        self.options = options
        self.base = options["base"]
        self.relative_base = relative_base
        self.quads: list[QuadKey] = []
        #: the document's blank node identifiers → their labels here (fresh ones are never in it)
        self.labels: dict[str, str] = {}
        self.count = 0
        self.iris = processor.memo.iris.getter()
        self.terms = processor.memo.terms.getter()

    def blank(self, old: str | None = None) -> str:
        """A new blank node, or the one the document's blank node identifier ``old`` already got."""
        if old is not None and old in self.labels:
            return self.labels[old]
        checkpoint("JSON-LD node map")
        label = f"_:b{self.count}"
        self.count += 1
        if old is not None:
            self.labels[old] = label
        return label

    def resource(self, iri: Any) -> str:
        """An expanded IRI (or blank node identifier) as a subject or object."""
        if not isinstance(iri, str) or not _ABSOLUTE.match(iri) or iri.startswith(self.relative_base):
            raise Unsupported("a relative or missing IRI")
        if iri.startswith("_:"):
            return self.blank(iri)
        return nquads_iri(iri)

    def iri(self, ctx: Any, value: str, vocab: bool, base: str | None) -> Any:
        """pyld's IRI expansion of ``value`` in ``ctx``, from the memo when it is there."""
        found = None
        if type(ctx) is frozendict:
            found = self.iris((ctx.get("_uuid"), value, base, vocab))
        if found is not None:
            return found[0]
        return self.processor._expand_iri(ctx, value, base=base, vocab=vocab)

    def node(self, active: Any, active_property: str | None, element: Mapping[str, Any], top: bool) -> str:
        """Write the quads of a node object; its subject (pyld's order of context changes)."""
        p, iri = self.processor, self.iri
        property_scoped = _get(active, active_property, "@context")
        previous = active.get("previousContext")
        if previous:  # a type-scoped context does not reach into a new node object …
            revert = True
            if len(element) <= 2:
                for key in element:
                    expanded = iri(active, key, True, None)
                    if expanded == "@value":
                        raise Unsupported("a value object")
                    if expanded == "@id" and len(element) == 1:
                        revert = False  # … but does into a reference to one
            if revert:
                active = previous
        if property_scoped is not None:
            active = p._process_context(active, property_scoped, self.options, override_protected=True)
        if "@context" in element:
            if not top:
                raise Unsupported("a nested @context")
            active = p._process_context(active, element["@context"], self.options)
        type_scoped = active
        for key in sorted(element):
            if iri(active, key, True, None) == "@type":
                for item in sorted(_strings(element[key])):
                    scoped = _get(type_scoped, item, "@context")
                    if scoped is not None and scoped is not False:
                        active = p._process_context(active, scoped, self.options, propagate=False)
        subject: str | None = None
        type_values: list[str] = []
        properties: list[tuple[str, str, Any]] = []
        for key, value in element.items():
            if key == "@context":
                continue
            expanded = iri(active, key, True, None)
            if expanded == "@id":
                if subject is not None or not isinstance(value, str):
                    raise Unsupported("an @id that is not one string")
                subject = self.resource(iri(active, value, False, self.base))
            elif expanded == "@type":
                type_values.extend(_strings(value))
            elif not isinstance(expanded, str) or expanded[0] == "@" or expanded.startswith("_:"):
                raise Unsupported("a keyword, a dropped key or a blank node property")
            elif not _ABSOLUTE.match(expanded):
                raise Unsupported("a key JSON-LD drops")
            else:
                properties.append((key, expanded, value))
        if subject is None:
            subject = self.blank()
        for item in type_values:
            target = self.resource(iri(type_scoped, item, True, self.base))
            self.quads.append((subject, _TYPE, target, ""))
        for key, expanded, value in properties:
            self.property(active, subject, key, expanded, value)
        return subject

    def plan(self, ctx: Any, key: str, kind: str) -> tuple[Any, ...]:
        """What the walk needs of ``key``'s definition in ``ctx``, kept per frozen context."""
        uuid = ctx.get("_uuid") if type(ctx) is frozendict else None
        cached = self.terms((kind, uuid, key)) if uuid is not None else None
        if cached is not None:
            return cast(tuple[Any, ...], cached)
        if kind == "key":  # read in the context holding the key: scoped context, container
            container = _get(ctx, key, "@container") or []
            container = container if isinstance(container, list) else [container]
            usable = _CONTAINERS.issuperset(container) and _get(ctx, key, "@type") != "@json"
            plan: tuple[Any, ...] = (_get(ctx, key, "@context"), usable, "@list" in container)
        else:  # read in the term's own context: coercion, language, direction, reverse
            mapping = ctx["mappings"].get(key)
            plain = _get(ctx, key, "@language") is None and _get(ctx, key, "@direction") is None
            plan = (_get(ctx, key, "@type"), plain, bool(mapping and mapping.get("reverse")))
        if uuid is not None:
            self.processor.memo.terms.put((kind, uuid, key), plan)
        return plan

    def property(self, active: Any, subject: str, key: str, expanded: str, value: Any) -> None:
        p = self.processor
        term_ctx = active
        scoped, usable, is_list = self.plan(active, key, "key")
        if scoped is not None:
            term_ctx = p._process_context(
                active, scoped, self.options, propagate=True, override_protected=True
            )
        coercion = self.plan(term_ctx, key, "value")
        if not usable or coercion[2]:
            raise Unsupported("a container, @json or @reverse term")
        predicate = nquads_iri(expanded)
        values = value if isinstance(value, list) else [value]
        if is_list:
            objects = [self.value(term_ctx, key, item, coercion) for item in values if item is not None]
            head = self.collection(objects)
            self.quads.append((subject, predicate, head, ""))
            return
        for item in values:
            if item is not None:
                target = self.value(term_ctx, key, item, coercion)
                self.quads.append((subject, predicate, target, ""))

    def collection(self, objects: list[str]) -> str:
        """An RDF list of ``objects``: its head (``rdf:nil`` when empty)."""
        head = _NIL
        for item in reversed(objects):
            cell = self.blank()
            self.quads.append((cell, _FIRST, item, ""))
            self.quads.append((cell, _REST, head, ""))
            head = cell
        return head

    def value(self, term_ctx: Any, key: str, item: Any, coercion: tuple[Any, ...]) -> str:
        """The object a property value becomes (writing the quads of a nested node); ``coercion``
        is ``key``'s value plan in ``term_ctx``."""
        if isinstance(item, dict):
            return self.node(term_ctx, key, item, top=False)
        if isinstance(item, list):
            raise Unsupported("a nested array")
        p = self.processor
        if isinstance(item, str):
            coerced, plain, _ = coercion
            if coerced == "@id":
                return self.resource(p._expand_iri(term_ctx, item, base=self.base))
            if coerced == "@vocab":
                return self.resource(p._expand_iri(term_ctx, item, vocab=True, base=self.base))
            if coerced is None or coerced == "@none":
                if not plain:
                    raise Unsupported("a language or direction")
                return nquads_literal(item)
            if coerced != XSD_DOUBLE and isinstance(coerced, str) and _ABSOLUTE.match(coerced):
                return nquads_literal(item, coerced)
            raise Unsupported("a datatype pyld converts")
        if not isinstance(item, bool | int | float):
            raise Unsupported("not a JSON value")
        expanded = p._expand_value(term_ctx, key, item, self.options)
        if not isinstance(expanded, dict) or "@value" not in expanded:
            raise Unsupported("a scalar that did not become a literal")
        if "@language" in expanded or "@direction" in expanded:
            raise Unsupported("a language or direction")
        return nquads_term(p._object_to_rdf(expanded, None, [], self.options))


def _strings(value: Any) -> list[str]:
    """The values of a ``@type`` entry (Unsupported unless each is a string)."""
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in values):
        raise Unsupported("a @type that is not a string")
    return cast(list[str], values)


def fast_quads(
    document: Mapping[str, Any], processor: MemoProcessor, options: dict[str, Any], relative_base: str
) -> list[QuadKey]:
    """The quads of ``document`` as N-Quads terms (default graph only), or Unsupported."""
    if not isinstance(document, dict):
        raise Unsupported("not a node object")
    walk = _Walk(processor, options, relative_base)
    initial = processor._get_initial_context(options)
    walk.node(initial, None, document, top=True)
    return walk.quads
