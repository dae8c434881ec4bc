"""JSON-LD → RDF dataset with pyld, offline and (by default) in safe mode.

Every call gets its own pyld processor and the caller's pinned ``DocumentLoader``; pyld's global
loader and caches are never touched. Processed contexts are shared through the loader's thread-safe
cache (``context_cache.SharedContextResolver``) and kept across documents (``context_memo``).

:func:`canonical_nquads` (what the RDFC suites hash) and :func:`undefined_terms` first try the one
walk of ``fast_rdf`` (:func:`walk`), which writes the quads of credential-shaped documents straight
from the JSON; any other document takes pyld's expansion and node map (:func:`to_dataset`). Both
give the same canonical N-Quads (``tests/jsonld/test_differential.py``). Inside a
:func:`shared_walks` block (one verification) a document is walked once for all its checks.

Work is bounded before pyld runs: the document must fit ``JsonLdBounds`` (``jsonld.bounds``), and
the expanded form is measured again before the node map (where aliases of ``@id`` are resolved and
pyld's duplicate checks happen). Context resolution and blank node labelling check the CPU budget
of the verification under way (``badge_issuer.budget``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

from badge_issuer.budget import checkpoint
from badge_issuer.errors import BadgeIssuerError, ContextNotAllowed, JsonLdError, TooComplex
from badge_issuer.jsonld import canon
from badge_issuer.jsonld.bounds import DEFAULT_BOUNDS, Counts, JsonLdBounds, check_bounds
from badge_issuer.jsonld.context_cache import SharedContextResolver
from badge_issuer.jsonld.context_memo import MemoProcessor
from badge_issuer.jsonld.fast_rdf import Unsupported, fast_quads
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.jsonld.nquads import QuadKey
from badge_issuer.jsonld.safemode import RELATIVE_BASE, Findings

#: pyld's dataset: graph name → list of quads (each a dict of subject/predicate/object terms)
Dataset = dict[str, list[dict[str, Any]]]


def _options(loader: DocumentLoader) -> dict[str, Any]:
    return {
        "documentLoader": loader,
        "contextResolver": SharedContextResolver(loader.context_cache, loader),
        "base": RELATIVE_BASE,
        "processingMode": "json-ld-1.1",
        "rdfDirection": None,
    }


def _unwrap(exc: jsonld.JsonLdError) -> BaseException:
    """The innermost cause of a pyld error (pyld wraps our loader's errors)."""
    cause: BaseException = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    details = getattr(cause, "details", None)
    if isinstance(details, Mapping) and isinstance(details.get("cause"), BaseException):
        return cast(BaseException, details["cause"])
    return cause


class _BudgetedIssuer(IdentifierIssuer):  # type: ignore[misc]
    """pyld's blank node labeller, checking the CPU budget at every label it hands out."""

    def get_id(self, old: str | None = None) -> str:
        checkpoint("JSON-LD node map")
        return cast(str, super().get_id(old))


def _refuse(exc: jsonld.JsonLdError) -> BadgeIssuerError:
    cause = _unwrap(exc)
    if isinstance(cause, ContextNotAllowed | TooComplex):
        return cause
    message = getattr(cause, "message", None) or str(cause).split("\n", 1)[0]
    return JsonLdError(f"JSON-LD processing failed: {message}")


def _expand(
    document: Mapping[str, Any], loader: DocumentLoader, bounds: JsonLdBounds, findings: Findings
) -> Any:
    check_bounds(document, bounds)
    checkpoint("JSON-LD expansion")
    processor = MemoProcessor(loader.context_memo, on_property_dropped=findings.on_property_dropped)
    try:
        expanded = processor.expand(dict(document), _options(loader))
    except jsonld.JsonLdError as exc:
        raise _refuse(exc) from None
    check_bounds(expanded, bounds, what="the expanded document", duplicates_only=True)
    return expanded


def expand(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    safe: bool = True,
    bounds: JsonLdBounds = DEFAULT_BOUNDS,
) -> Any:
    """The expanded form; in safe mode, UndefinedTerms names every term the contexts lack.

    TooComplex when ``document`` exceeds ``bounds`` (checked before any JSON-LD processing)."""
    findings = Findings()
    expanded = _expand(document, loader, bounds, findings)
    if safe:
        findings.raise_if_any(expanded)
    return expanded


def walk(
    document: Mapping[str, Any], *, loader: DocumentLoader, bounds: JsonLdBounds = DEFAULT_BOUNDS
) -> list[QuadKey] | None:
    """The quads by ``jsonld.fast_rdf``'s one walk, or None when the document needs pyld's path.

    A document it writes has no undefined term (the walk leaves any to pyld), so safe mode holds.
    Bounded like pyld's path: the document's bounds first; a document near the duplicate-check
    bound goes to pyld's path, which measures the expanded form too."""
    walks = _WALKS.get()
    key = _walk_key(document, loader, bounds, walks) if walks is not None else None
    if walks is not None and key is not None and key in walks.datasets:
        return walks.datasets[key]
    counts: Counts = check_bounds(document, bounds)
    quads: list[QuadKey] | None = None
    if counts.duplicate_checks <= bounds.max_duplicate_checks // 2:
        checkpoint("JSON-LD expansion")
        memo = MemoProcessor(loader.context_memo)
        try:
            quads = fast_quads(document, memo, _options(loader), RELATIVE_BASE)
        except (Unsupported, jsonld.JsonLdError, JsonLdError):  # pyld's path decides and words errors
            quads = None
    if walks is not None and key is not None:
        walks.datasets[key] = quads
    return quads


def canonical_nquads(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    bounds: JsonLdBounds = DEFAULT_BOUNDS,
    work_factor: int = 4,
) -> str:
    """RDFC-1.0 canonical N-Quads of a document, in safe mode: by the one walk, else by pyld."""
    quads = walk(document, loader=loader, bounds=bounds)
    if quads is not None:
        return canon.canonicalize_quads(quads, work_factor=work_factor)
    dataset = to_dataset(document, loader=loader, safe=True, bounds=bounds)
    return canon.canonicalize(dataset, work_factor=work_factor)


class _Walks:
    """The datasets of the documents walked in one ``shared_walks`` block, and those documents."""

    def __init__(self) -> None:
        self.datasets: dict[Hashable, list[QuadKey] | None] = {}
        #: every document a key was made for: held, so that the ids in the keys stay unique
        self.held: list[Mapping[str, Any]] = []


#: the walks of the current ``shared_walks`` block (None: no block)
_WALKS: ContextVar[_Walks | None] = ContextVar("badge_jsonld_walks", default=None)


@contextmanager
def shared_walks() -> Iterator[None]:
    """Within the block, a document (by its members) is walked once and its dataset shared.

    One verification opens one (``verification.verify_credential``): the ``context`` check and the
    ``proof`` check read the same document (each its own copy without ``proof``, sharing every
    member). The map belongs to the block, in the current context only, so no other verification
    or thread ever sees it; nothing reading a dataset edits it, and nothing edits a document under
    verification."""
    token = _WALKS.set(_Walks())
    try:
        yield
    finally:
        _WALKS.reset(token)


def _walk_key(
    document: Mapping[str, Any], loader: DocumentLoader, bounds: JsonLdBounds, walks: _Walks
) -> Hashable:
    """A document known by its members: each name with the identity of its value (the document is
    held for the block, so no other object can take that identity while it lasts; an equal value
    that is another object only misses). Copies of one document that share its values, in any
    order, have one key."""
    walks.held.append(document)
    return (id(loader), bounds, frozenset(zip(document, map(id, document.values()), strict=True)))


def undefined_terms(
    document: Mapping[str, Any], *, loader: DocumentLoader, bounds: JsonLdBounds = DEFAULT_BOUNDS
) -> list[str]:
    """The terms of ``document`` its contexts do not define (empty when all are defined)."""
    if walk(document, loader=loader, bounds=bounds) is not None:
        return []
    findings = Findings()
    expanded = _expand(document, loader, bounds, findings)
    return findings.undefined(expanded)


def to_dataset(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    safe: bool = True,
    bounds: JsonLdBounds = DEFAULT_BOUNDS,
) -> Dataset:
    """The RDF dataset of a JSON-LD document (blank nodes labelled ``_:b0``, ``_:b1``, …)."""
    expanded = expand(document, loader=loader, safe=safe, bounds=bounds)
    try:
        return _dataset_of_expanded(expanded)
    except jsonld.JsonLdError as exc:
        raise _refuse(exc) from None


def _dataset_of_expanded(expanded: Any) -> Dataset:
    """JSON-LD → RDF §8 on an already expanded document.

    ``JsonLdProcessor.to_rdf`` would expand the document a second time (most of its cost); the
    node map and graph steps are the same as its own, on the pyld version we pin.
    """
    processor = jsonld.JsonLdProcessor()
    issuer = _BudgetedIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    options = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1", "rdfDirection": None}
    dataset: Dataset = {}
    for graph_name, graph in sorted(node_map.items()):
        if graph_name == "@default" or jsonld._is_absolute_iri(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset
