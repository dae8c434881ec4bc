"""Safe mode: find the terms of a document that its contexts do not define.

pyld silently drops a property the active context cannot expand, and resolves an undefined
``type`` (or a relative ``id``) against a base IRI, so the value would either sit in the credential
unsigned or be signed as something other verifiers drop. Documents are expanded against the
sentinel base ``RELATIVE_BASE``; ``Findings`` gathers the dropped properties and every IRI that
resolved against the sentinel, so that signing can refuse the document and verification can name
each undefined term.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from badge_issuer.errors import UndefinedTerms

#: the base IRI documents are expanded against: anything resolved against it was relative
RELATIVE_BASE = "https://relative-iri.invalid/"

#: JSON-LD keywords whose values are not node objects we need to look inside
_SKIP = frozenset({"@value", "@context", "@language", "@direction", "@index"})


class Findings:
    """Collects undefined terms: pyld's dropped properties, then relative ``@type`` IRIs."""

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def on_property_dropped(self, expanded_property: str | None) -> None:
        """The hook pyld calls for every property it ignores during expansion."""
        if expanded_property is not None and expanded_property not in self.dropped:
            self.dropped.append(expanded_property)

    def undefined(self, expanded: Any) -> list[str]:
        """Every undefined term: the dropped properties and each relative ``@type``/``@id``."""
        terms = list(self.dropped)
        for value in _relative_iris(expanded):
            if value not in terms:
                terms.append(value)
        return terms

    def raise_if_any(self, expanded: Any) -> None:
        terms = self.undefined(expanded)
        if terms:
            raise UndefinedTerms(terms)


def _relative_iris(expanded: Any) -> Iterator[str]:
    """``@type`` and ``@id`` values that resolved against RELATIVE_BASE (so were relative)."""
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "@value" in item:
                continue
            for key, value in item.items():
                if key in ("@type", "@id"):
                    for iri in value if isinstance(value, list) else [value]:
                        if isinstance(iri, str) and iri.startswith(RELATIVE_BASE):
                            yield iri[len(RELATIVE_BASE) :] or iri
                elif key not in _SKIP:
                    stack.append(value)
