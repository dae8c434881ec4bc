"""How much JSON-LD work a document may ask for, measured by one fast walk before pyld sees it.

pyld's work grows faster than the document on some shapes: its node map compares every value added
to a node's property with every value already there (``has_value``), so a node holding thousands of
blank nodes under one property — or thousands of objects sharing one ``id``, which merge into one
node — costs seconds of CPU in a few hundred kilobytes, before the canonicalization bound applies.
:func:`check_bounds` walks the parsed JSON once, iteratively, and refuses a document holding more
objects, blank nodes (objects without ``id``/``@id`` that are not value objects), values, or
*duplicate checks* (each value added to a node's property is compared with the distinct values
already there; objects with the same ``id`` are one node) than :class:`JsonLdBounds` allows, raising
:class:`~badge_issuer.errors.TooComplex` before any JSON-LD processing. ``@context`` values are not
walked (contexts come from the pinned loader, never from the input).

The defaults leave a wide margin over real credentials (measured with :func:`measure`): the complete
OB 3.0 spec example has 86 objects, 27 blank nodes, 450 values and 125 duplicate checks; the CLR 2.0
test vector 23, 3, 90 and 28; a CLR of 50 complete examples (the largest realistic transcript)
4,303 objects, 1,350 blank nodes, 22,513 values and 69,806 duplicate checks, and it passes. A
3,000-node blank-node star (2.7 s of pyld before) is refused in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from badge_issuer.config import Settings
from badge_issuer.errors import TooComplex


@dataclass(frozen=True)
class JsonLdBounds:
    """Limits on one JSON-LD document (settings ``BADGE_JSONLD_MAX_*``)."""

    max_objects: int = 5_000
    max_blank_nodes: int = 2_000
    max_values: int = 40_000
    #: pyld's value comparisons: each value against the distinct values before it on its node's property
    max_duplicate_checks: int = 100_000

    @classmethod
    def from_settings(cls, settings: Settings) -> JsonLdBounds:
        return cls(
            max_objects=settings.jsonld_max_objects,
            max_blank_nodes=settings.jsonld_max_blank_nodes,
            max_values=settings.jsonld_max_values,
            max_duplicate_checks=settings.jsonld_max_duplicate_checks,
        )


#: the defaults (of ``Settings`` too)
DEFAULT_BOUNDS = JsonLdBounds()
#: no limit at all (for measuring)
UNBOUNDED = JsonLdBounds(math.inf, math.inf, math.inf, math.inf)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Counts:
    """What :func:`measure` found in a document."""

    objects: int
    blank_nodes: int
    values: int
    duplicate_checks: int


def measure(document: Any) -> Counts:
    """The counts of ``document``, with no bound applied."""
    return check_bounds(document, UNBOUNDED)


def check_bounds(
    document: Any, bounds: JsonLdBounds, *, what: str = "the document", duplicates_only: bool = False
) -> Counts:
    """The counts of ``document``; TooComplex as soon as any of ``bounds`` is exceeded.

    ``duplicates_only`` applies only the duplicate-check bound (for an expanded document, whose
    value objects would otherwise count twice)."""
    if duplicates_only:
        bounds = JsonLdBounds(
            UNBOUNDED.max_objects,
            UNBOUNDED.max_blank_nodes,
            UNBOUNDED.max_values,
            bounds.max_duplicate_checks,
        )
    max_objects, max_blank = bounds.max_objects, bounds.max_blank_nodes
    max_values, max_checks = bounds.max_values, bounds.max_duplicate_checks
    objects = blank = values = checks = 0
    #: (node, property) → the distinct values there so far; a node is its id, or the object itself
    seen: dict[tuple[object, str], set[object]] = {}
    stack: list[tuple[Any, tuple[object, str] | None]] = [(document, None)]
    pop, push = stack.pop, stack.append
    while stack:
        item, slot = pop()
        kind = type(item)
        if kind is list or (kind is not dict and isinstance(item, list)):
            # an array's items belong to the property holding the array
            stack.extend([(entry, slot) for entry in item])
            continue
        values += 1
        is_dict = kind is dict or isinstance(item, dict)
        node = item.get("id", item.get("@id")) if is_dict else None
        if slot is not None:
            distinct = seen.get(slot)
            if distinct is None:
                distinct = seen[slot] = set()
            checks += len(distinct)
            distinct.add(("str", item) if kind is str and node is None else _identity(item, node))
        if is_dict:
            objects += 1
            if node is None and "@value" not in item:
                blank += 1
            subject: object = node if isinstance(node, str) else id(item)
            for key, value in item.items():
                if key != "@context":
                    push((value, (subject, key)))
        if objects > max_objects or blank > max_blank or values > max_values or checks > max_checks:
            raise TooComplex(_message(what, bounds, objects, blank, values, checks))
    return Counts(objects, blank, values, checks)


def _identity(item: Any, node: Any) -> object:
    """What pyld's duplicate check tells apart: a literal by value, a node by id, else the object."""
    if isinstance(node, str):
        return ("@id", node)
    if isinstance(item, str | int | float | bool) or item is None:
        return (type(item).__name__, item)
    if isinstance(item, dict) and "@value" in item:  # an expanded literal
        return ("@value", *sorted((key, repr(value)) for key, value in item.items()))
    return id(item)


def _message(what: str, bounds: JsonLdBounds, objects: int, blank: int, values: int, checks: int) -> str:
    for found, limit, noun in (
        (objects, bounds.max_objects, "objects"),
        (blank, bounds.max_blank_nodes, "blank nodes (objects without an id)"),
        (values, bounds.max_values, "values"),
        (checks, bounds.max_duplicate_checks, "duplicate checks (values under one node's property)"),
    ):
        if found > limit:
            return f"{what} holds more than {limit:,} {noun}; refused before JSON-LD processing"
    raise AssertionError("no bound exceeded")
