"""RDFC-1.0 (W3C RDF Dataset Canonicalization, Recommendation of 21 May 2024), bounded.

The algorithm gives every blank node a canonical label ``c14nN`` and prints the dataset as
sorted canonical N-Quads (REC §4.4, Appendix A):

1. §4.6 Hash First Degree Quads: hash each blank node's mention set, the node itself written
   ``_:a`` and every other blank node ``_:z``. A node whose hash is unique is labelled at once,
   in hash order (§4.4.3 step 4).
2. §4.8 Hash N-Degree Quads settles nodes that share a hash (step 5): it hashes the paths
   to related blank nodes (§4.7 Hash Related Blank Node), trying every permutation of the
   nodes that share a related hash and recursing into nodes not labelled yet. The
   lexically least path wins; its temporary issuer (§4.5) fixes the order of the canonical
   labels issued for those nodes.

Step 2 is exponential on purpose-built inputs (cliques, "dataset poisoning", REC §7.1). The
bound: calls to Hash N-Degree Quads may not exceed ``work_factor × number of blank nodes``
(at least ``work_factor``). Permutations tried in its step 5.4 may not exceed eight times
that, and never fewer than ``_MIN_TRIES`` (so a rich credential with some look-alike nodes
passes); a permutation that copies an issuer or walks a list of more than 16 entries counts
as one more per 16 (related nodes that are all labelled already permute without any call,
and copies of big issuers would make the work quadratic). Both counters are checked on
every call and every permutation, and recursion deeper than ``_MAX_DEPTH`` is refused. Past
any bound :class:`~badge_issuer.errors.CanonicalizationLimit` is raised. The same places (and
each first-degree hash) check the CPU budget of the verification under way
(``badge_issuer.budget``). Typical credentials have only unique first-degree hashes and make no
call at all; the W3C tests of low and medium complexity need at most 3 calls a blank node.

Input is the dataset shape of pyld 3.3 (``jsonld.to_rdf(doc)`` without ``format``):
``{graph name: [quad]}``, graph name ``"@default"``, an IRI or ``"_:label"``; each quad
``{"subject"|"predicate"|"object": {"type": "IRI"|"blank node"|"literal", "value": ...,
"datatype"?: ..., "language"?: ...}}``; blank node values carry ``_:``. :func:`parse_nquads`
builds the same shape from an N-Quads document (pyld's own parser ignores ``\\u`` escapes).
Terms the canonical form cannot represent (IRIs with characters outside IRIREF, malformed
language tags, blank-node predicates) raise :class:`~badge_issuer.errors.JsonLdError`. Writing
and reading N-Quads is ``nquads``'s (its names are re-exported here); this module is the algorithm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from itertools import permutations
from typing import Literal, Protocol, TypeAlias

from badge_issuer.budget import checkpoint
from badge_issuer.errors import CanonicalizationLimit
from badge_issuer.jsonld.nquads import (
    RDF_LANG_STRING,
    XSD_STRING,
    Dataset,
    Quad,
    QuadKey,
    Term,
    nquads_iri,
    nquads_line,
    nquads_literal,
    nquads_term,
    parse_nquads,
    quad_keys,
)

HashAlgorithm: TypeAlias = Literal["sha256", "sha384"]

_MAX_DEPTH = 128  # Hash N-Degree Quads recursion (two frames a level), well inside Python's
_TRIES_PER_CALL = 8  # permutations allowed per allowed call: lists of 2 or 3 related nodes
#: floor of the permutation budget: the complete OB 3.0 spec example needs about 1,300
_MIN_TRIES = 20_000
_ENTRIES_PER_TRY = 16  # a permutation copying a bigger issuer or list counts as several


class _Digest(Protocol):
    def hexdigest(self) -> str: ...


_HASHES: dict[str, Callable[[bytes], _Digest]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
}

_Result: TypeAlias = tuple[str, dict[str, str]]  # a hash and the identifier issuer behind it


def _issue(issued: dict[str, str], prefix: str, existing: str) -> str:
    """§4.5 Issue Identifier; the counter is the size of the (insertion-ordered) map."""
    found = issued.get(existing)
    if found is None:
        found = issued[existing] = f"{prefix}{len(issued)}"
    return found


class _Canonicalizer:
    """The canonicalization state (§4.2) of one run, plus the work counters."""

    def __init__(self, quads: list[QuadKey], work_factor: int, hash_algorithm: str) -> None:
        if work_factor < 0:
            raise ValueError("work_factor must not be negative")
        if hash_algorithm not in _HASHES:
            raise ValueError(f"unsupported hash algorithm {hash_algorithm!r}")
        self._digest = _HASHES[hash_algorithm]
        self.quads = list(dict.fromkeys(quads))  # an RDF dataset is a set: duplicates go
        # blank node to quads map (§4.4.3 step 2); a quad is listed once per distinct blank node
        # (only blank node terms start with "_"; the default graph is "")
        mentions: dict[str, list[QuadKey]] = {}
        for quad in self.quads:
            s, _, o, g = quad
            if s[0] == "_":
                mentions.setdefault(s[2:], []).append(quad)
            if o[0] == "_" and o != s:
                mentions.setdefault(o[2:], []).append(quad)
            if g and g[0] == "_" and g != s and g != o:
                mentions.setdefault(g[2:], []).append(quad)
        self.mentions = mentions
        self.canonical: dict[str, str] = {}
        self.first_degree: dict[str, str] = {}
        self.limit = work_factor * max(len(self.mentions), 1)
        self.try_limit = max(_TRIES_PER_CALL * self.limit, _MIN_TRIES)
        self.calls = 0
        self.tries = 0

    def hash(self, text: str) -> str:
        return self._digest(text.encode("utf-8")).hexdigest()

    def run(self) -> dict[str, str]:
        """§4.4.3 steps 3 to 5; returns the issued identifiers map."""
        by_hash: dict[str, list[str]] = {}
        for node, quads in self.mentions.items():
            checkpoint("RDFC-1.0 canonicalization")
            self.first_degree[node] = digest = self.hash_first_degree(node, quads)
            by_hash.setdefault(digest, []).append(node)
        shared: list[list[str]] = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                _issue(self.canonical, "c14n", nodes[0])
            else:
                shared.append(nodes)
        for nodes in shared:
            paths = []
            for node in nodes:
                if node not in self.canonical:
                    paths.append(self.hash_n_degree(node, {node: "b0"}, 0))
            paths.sort(key=lambda result: result[0])
            for _, issuer in paths:
                for existing in issuer:
                    _issue(self.canonical, "c14n", existing)
        return self.canonical

    def hash_first_degree(self, node: str, quads: list[QuadKey]) -> str:
        """§4.6 Hash First Degree Quads: ``node`` written ``_:a``, other blank nodes ``_:z``."""
        ref = f"_:{node}"

        def label(term: str) -> str:
            return "_:a" if term == ref else "_:z"

        return self.hash("".join(sorted(nquads_line(quad, label) for quad in quads)))

    def hash_related(self, related: str, predicate: str, issuer: dict[str, str], pos: str) -> str:
        """§4.7 Hash Related Blank Node (``predicate`` is already ``<iri>``)."""
        known = self.canonical.get(related) or issuer.get(related)
        text = pos if pos == "g" else pos + predicate
        return self.hash(text + (f"_:{known}" if known else self.first_degree[related]))

    def _spend(self, calls: int, tries: int) -> None:
        """Count work and refuse it past the bound; checked on every call and permutation."""
        checkpoint("RDFC-1.0 canonicalization")
        self.calls += calls
        self.tries += tries
        if self.calls > self.limit or self.tries > self.try_limit:
            raise CanonicalizationLimit(
                f"RDFC-1.0 work bound exceeded ({self.calls} calls, {self.tries} permutation "
                f"steps; {self.limit} calls allowed for {len(self.mentions)} blank nodes): "
                "refusing a likely poisoned dataset"
            )

    def hash_n_degree(self, node: str, issuer: dict[str, str], depth: int) -> _Result:
        """§4.8 Hash N-Degree Quads; ``issuer`` is never mutated, the chosen one is returned."""
        self._spend(1, 0)
        if depth > _MAX_DEPTH:
            raise CanonicalizationLimit("RDFC-1.0 recursion too deep: refusing the dataset")
        related_by_hash: dict[str, list[str]] = {}  # Hn
        ref = f"_:{node}"
        for quad in self.mentions[node]:
            for term, pos in ((quad[0], "s"), (quad[2], "o"), (quad[3], "g")):
                if term.startswith("_:") and term != ref:
                    digest = self.hash_related(term[2:], quad[1], issuer, pos)
                    related_by_hash.setdefault(digest, []).append(term[2:])
        data: list[str] = []
        for related_hash in sorted(related_by_hash):
            data.append(related_hash)
            chosen_path, chosen_issuer = "", issuer
            for perm in permutations(related_by_hash[related_hash]):
                self._spend(0, 1 + (len(issuer) + len(perm)) // _ENTRIES_PER_TRY)
                path = self._try_path(perm, issuer, chosen_path, depth)
                if path is not None and (not chosen_path or path[0] < chosen_path):
                    chosen_path, chosen_issuer = path
            data.append(chosen_path)
            issuer = chosen_issuer
        return self.hash("".join(data)), issuer

    def _try_path(
        self, perm: tuple[str, ...], issuer: dict[str, str], chosen: str, depth: int
    ) -> _Result | None:
        """§4.8.3 steps 5.4.1 to 5.4.5 for one permutation; None when it cannot win."""
        copy = dict(issuer)
        path = ""
        recursion: list[str] = []
        for related in perm:
            canonical = self.canonical.get(related)
            if canonical is not None:
                path += f"_:{canonical}"
            else:
                if related not in copy:
                    recursion.append(related)
                path += f"_:{_issue(copy, 'b', related)}"
            if chosen and len(path) >= len(chosen) and path > chosen:
                return None
        for related in recursion:
            result_hash, result_issuer = self.hash_n_degree(related, copy, depth + 1)
            path += f"_:{_issue(copy, 'b', related)}<{result_hash}>"
            copy = result_issuer
            if chosen and len(path) >= len(chosen) and path > chosen:
                return None
        return path, copy


def canonical_issuer_map(
    dataset: Dataset,
    *,
    work_factor: int = 4,
    hash_algorithm: HashAlgorithm = "sha256",
) -> dict[str, str]:
    """The issued identifiers map: input blank node label → canonical label, both WITHOUT
    the ``_:`` prefix (the form of the W3C ``*-rdfc10map.json`` files), in issue order."""
    return dict(_Canonicalizer(quad_keys(dataset), work_factor, hash_algorithm).run())


def canonicalize(
    dataset: Dataset,
    *,
    work_factor: int = 4,
    hash_algorithm: HashAlgorithm = "sha256",
) -> str:
    """The canonical N-Quads document of ``dataset`` (REC §4.4.3 step 7 and §5): one
    ``\\n``-terminated line per distinct quad, sorted by code point, blank nodes ``_:c14nN``.

    Raises CanonicalizationLimit past the work bound (see the module docstring)."""
    return canonicalize_quads(quad_keys(dataset), work_factor=work_factor, hash_algorithm=hash_algorithm)


def canonicalize_quads(
    quads: list[QuadKey],
    *,
    work_factor: int = 4,
    hash_algorithm: HashAlgorithm = "sha256",
) -> str:
    """:func:`canonicalize` of quads already written as N-Quads terms (blank nodes ``_:label``,
    the default graph ``""``), as ``quad_keys`` and ``jsonld.fast_rdf`` write them."""
    state = _Canonicalizer(quads, work_factor, hash_algorithm)
    label = {f"_:{old}": f"_:{new}" for old, new in state.run().items()}.__getitem__
    lines = [nquads_line(quad, label) for quad in state.quads]
    lines.sort()
    return "".join(lines)


__all__ = [
    "RDF_LANG_STRING",
    "XSD_STRING",
    "Dataset",
    "HashAlgorithm",
    "Quad",
    "QuadKey",
    "Term",
    "canonical_issuer_map",
    "canonicalize",
    "canonicalize_quads",
    "nquads_iri",
    "nquads_line",
    "nquads_literal",
    "nquads_term",
    "parse_nquads",
    "quad_keys",
]
