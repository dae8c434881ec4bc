"""RDFC-1.0: the W3C test suite, canonical N-Quads escaping, and the poisoning bound."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from badge_issuer.errors import CanonicalizationLimit, JsonLdError, ParseError
from badge_issuer.jsonld.canon import (
    Dataset,
    HashAlgorithm,
    canonical_issuer_map,
    canonicalize,
    parse_nquads,
)

SUITE = Path(__file__).resolve().parents[1] / "vectors" / "rdf-canon"
MANIFEST: dict[str, Any] = json.loads((SUITE / "manifest.jsonld").read_text(encoding="utf-8"))
RDFC10_TYPES = {"rdfc:RDFC10EvalTest", "rdfc:RDFC10MapTest", "rdfc:RDFC10NegativeEvalTest"}
CASES = [entry for entry in MANIFEST["entries"] if entry["type"] in RDFC10_TYPES]
# The suite's "high" tests (test044-046, "computable given defined limits") need 39 Hash
# N-Degree Quads calls a blank node; low and medium ones at most 3, within the default of 4.
WORK_FACTOR = {"low": 4, "medium": 4, "high": 64}
HASHES: dict[str | None, HashAlgorithm] = {None: "sha256", "SHA256": "sha256", "SHA384": "sha384"}
XSD = "http://www.w3.org/2001/XMLSchema#"
P = "http://example.org/p"


def read(name: str) -> str:
    return (SUITE / name).read_text(encoding="utf-8")


def case_input(entry: dict[str, Any]) -> Dataset:
    return parse_nquads(read(entry["action"]))


def test_every_rdfc10_manifest_entry_is_collected() -> None:
    by_type = {kind: sum(e["type"] == kind for e in CASES) for kind in RDFC10_TYPES}
    assert by_type == {
        "rdfc:RDFC10EvalTest": 64,
        "rdfc:RDFC10MapTest": 21,
        "rdfc:RDFC10NegativeEvalTest": 1,
    }
    assert len(CASES) == len(MANIFEST["entries"]) == 86
    assert {e.get("hashAlgorithm") for e in CASES} <= set(HASHES)


@pytest.mark.parametrize("entry", CASES, ids=[e["id"].lstrip("#") for e in CASES])
def test_w3c_rdfc10(entry: dict[str, Any]) -> None:
    dataset = case_input(entry)
    options: dict[str, Any] = {
        "work_factor": WORK_FACTOR[entry["computationalComplexity"]],
        "hash_algorithm": HASHES[entry.get("hashAlgorithm")],
    }
    if entry["type"] == "rdfc:RDFC10EvalTest":
        assert canonicalize(dataset, **options).encode() == (SUITE / entry["result"]).read_bytes()
    elif entry["type"] == "rdfc:RDFC10MapTest":
        assert canonical_issuer_map(dataset, **options) == json.loads(read(entry["result"]))
    else:
        # the poison graphs: refused by the work bound (its counter, not the clock, decides)
        with pytest.raises(CanonicalizationLimit):
            canonicalize(dataset, **options)


@pytest.mark.parametrize("test", ["test044", "test045", "test046", "test074"])
def test_suite_poison_graphs_are_refused_at_the_default_work_factor(test: str) -> None:
    dataset = parse_nquads(read(f"rdfc10/{test}-in.nq"))
    assert_refused_quickly(lambda: canonicalize(dataset))


def test_parser_matches_pyld_where_pyld_is_right() -> None:
    """Same dataset shape as pyld; pyld 3.3 leaves ``\\u``, ``\\b``, ``\\f``, ``\\'`` escaped."""
    compared = 0
    for path in sorted((SUITE / "rdfc10").glob("*-in.nq")):
        text = path.read_text(encoding="utf-8")
        if "\\" not in text:
            assert parse_nquads(text) == jsonld.JsonLdProcessor.parse_nquads(text), path.name
            compared += 1
    assert compared > 60
    escaped = '<urn:s> <urn:p> "\\u221E\\b\\f\\\'\\U0001F303" <urn:\\u0067> .\n'
    assert parse_nquads(escaped) == {
        "urn:g": [
            {
                "subject": {"type": "IRI", "value": "urn:s"},
                "predicate": {"type": "IRI", "value": "urn:p"},
                "object": {"type": "literal", "value": "∞\b\f'🌃", "datatype": XSD + "string"},
            }
        ]
    }


def literal_dataset(value: str, **extra: str) -> Dataset:
    obj = {"type": "literal", "value": value, "datatype": XSD + "string", **extra}
    quad = {"subject": {"type": "IRI", "value": "urn:s"}, "predicate": iri(P), "object": obj}
    return {"@default": [quad]}


def iri(value: str) -> dict[str, str]:
    return {"type": "IRI", "value": value}


def test_control_characters_follow_rdfc10_appendix_a() -> None:
    """REC Appendix A: BS HT LF FF CR " \\ as ECHAR; U+0000-0007, VT, U+000E-001F, DEL and
    non-XML-1.1-Char code points as ``\\u`` + four uppercase HEX; everything else raw."""
    value = '\b\f\x01\x1f\x7f\t\n"\\\r\x0b\x00é∞\ufffe\uffff\ud800🌃'
    expected = (
        "<urn:s> <http://example.org/p> "
        '"\\b\\f\\u0001\\u001F\\u007F\\t\\n\\"\\\\\\r\\u000B\\u0000é∞\\uFFFE\\uFFFF\\uD800🌃" .\n'
    )
    assert canonicalize(literal_dataset(value)) == expected
    assert canonicalize(literal_dataset(value)).encode("utf-8")  # always encodable


def test_literal_forms() -> None:
    lang = literal_dataset("chat", datatype="http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
    lang["@default"][0]["object"]["language"] = "fr-CA"  # type: ignore[index]
    assert canonicalize(lang) == '<urn:s> <http://example.org/p> "chat"@fr-CA .\n'
    typed = literal_dataset("1", datatype=XSD + "integer")
    assert canonicalize(typed) == f'<urn:s> <{P}> "1"^^<{XSD}integer> .\n'
    assert canonicalize(literal_dataset("x")) == f'<urn:s> <{P}> "x" .\n'


@pytest.mark.parametrize(
    ("term", "language"),
    [(iri("urn:a b"), None), (iri("urn:a>\n<urn:b"), None), (iri(""), None), (None, "en US")],
)
def test_terms_the_canonical_form_cannot_write_are_refused(
    term: dict[str, str] | None, language: str | None
) -> None:
    dataset = literal_dataset("x") if language is None else literal_dataset("x", language=language)
    if term is not None:
        dataset["@default"][0]["subject"] = term  # type: ignore[index]
    with pytest.raises(JsonLdError):
        canonicalize(dataset)


@pytest.mark.parametrize(
    "line",
    [
        "<urn:s> <urn:p> <urn:o>",
        '<urn:s> <urn:p> "\\x" .',
        "<urn:s> _:p <urn:o> .",
        "<a b> <p> <o> .",
    ],
)
def test_parser_is_strict(line: str) -> None:
    with pytest.raises(ParseError):
        parse_nquads(line + "\n")


def test_pyld_json_ld_output_and_duplicates() -> None:
    doc = {
        "@context": {"@vocab": "http://example.org/"},
        "@id": "urn:badge",
        "evidence": [{"name": "same"}, {"name": "same"}],
        "issuer": {"name": {"@value": "Issuer", "@language": "en"}},
        "tags": {"@list": ["a", "b"]},
    }
    dataset = jsonld.to_rdf(doc)
    first = canonicalize(dataset)
    assert first.count("\n") == len({line for line in first.splitlines()})
    assert "_:c14n" in first and "_:b" not in first
    doubled = {graph: [*quads, *quads] for graph, quads in dataset.items()}
    assert canonicalize(doubled) == first
    assert '"Issuer"@en' in first
    # evidence twice, issuer, two list nodes; map keys are pyld's labels without "_:"
    assert set(canonical_issuer_map(dataset)) == {"b0", "b1", "b2", "b3", "b4"}


def relabel(dataset: Dataset, rng: random.Random) -> Dataset:
    """An isomorphic copy: fresh blank node labels, quads shuffled."""
    names: dict[str, str] = {}

    def term(t: Any) -> Any:
        if t["type"] != "blank node":
            return dict(t)
        return {**t, "value": names.setdefault(t["value"], f"_:x{rng.randrange(10**9)}")}

    out: dict[str, list[Any]] = {}
    for graph, quads in dataset.items():
        key = term({"type": "blank node", "value": graph})["value"] if graph[:2] == "_:" else graph
        moved = []
        for quad in quads:
            moved.append({pos: term(quad[pos]) for pos in ("subject", "predicate", "object")})
        rng.shuffle(moved)
        out[key] = moved
    return out


@pytest.mark.parametrize("test", ["test022", "test036", "test040", "test054", "test059", "test072"])
def test_isomorphic_inputs_give_the_same_bytes(test: str) -> None:
    dataset = parse_nquads(read(f"rdfc10/{test}-in.nq"))
    rng = random.Random(test)
    expected = canonicalize(dataset)
    for _ in range(5):
        assert canonicalize(relabel(dataset, rng)) == expected


def bnode_graph(edges: list[tuple[int, int]], graph: str = "@default") -> Dataset:
    quads = [
        {
            "subject": {"type": "blank node", "value": f"_:n{a}"},
            "predicate": iri(P),
            "object": {"type": "blank node", "value": f"_:n{b}"},
        }
        for a, b in edges
    ]
    return {graph: quads}


def assert_refused_quickly(run: Callable[[], object]) -> float:
    started = time.thread_time()  # CPU time: a loaded CI box stretches the wall clock (2.2 s seen)
    with pytest.raises(CanonicalizationLimit):
        run()
    elapsed = time.thread_time() - started
    assert elapsed < 1.0  # a bound on a hang, not a benchmark
    return elapsed


def test_clique_of_30_is_refused_quickly() -> None:
    clique = bnode_graph([(a, b) for a in range(30) for b in range(30) if a != b])
    assert_refused_quickly(lambda: canonicalize(clique))


def test_complete_bipartite_15_15_is_refused_quickly() -> None:
    bipartite = bnode_graph([(a, 15 + b) for a in range(15) for b in range(15)])
    assert_refused_quickly(lambda: canonicalize(bipartite))


def test_permutations_without_recursion_are_bounded() -> None:
    """_:a1 and _:a2 tie; each relates 12 times, in 12 graphs, to the one labelled _:x: the
    12! permutations of [x, x, ...] would never call Hash N-Degree Quads."""
    quads = {
        f"urn:g{i}": [
            {
                "subject": {"type": "blank node", "value": f"_:a{k}"},
                "predicate": iri(P),
                "object": {"type": "blank node", "value": "_:x"},
            }
            for k in (1, 2)
        ]
        for i in range(12)
    }
    assert_refused_quickly(lambda: canonicalize(quads))


def test_copying_big_issuers_is_bounded() -> None:
    """Two anonymous stars of 3000 leaves: each permutation copies an issuer of thousands of
    entries, so counting permutations alone would allow seconds of quadratic work."""
    stars = bnode_graph([(0, 10 + i) for i in range(3000)] + [(1, 5000 + i) for i in range(3000)])
    assert_refused_quickly(lambda: canonicalize(stars))


def test_deep_recursion_is_refused_not_a_recursion_error() -> None:
    chains = bnode_graph([(a, a + 1) for a in range(400)] + [(a, a + 1) for a in range(500, 900)])
    assert_refused_quickly(lambda: canonicalize(chains, work_factor=10**6))


def with_names(dataset: Dataset) -> Dataset:
    """Give every blank node a distinguishing literal, as credential nodes have."""
    quads = list(dataset["@default"])
    nodes = {q[pos]["value"] for q in quads for pos in ("subject", "object")}
    for node in sorted(nodes):
        name = {"type": "literal", "value": node[2:], "datatype": XSD + "string"}
        quads.append(
            {
                "subject": {"type": "blank node", "value": node},
                "predicate": iri(P + "n"),
                "object": name,
            }
        )
    return {"@default": quads}


CHAIN = [(a, a + 1) for a in range(10)]  # 11 nodes
TREE = [(a, 2 * a + k) for a in range(5) for k in (1, 2)]  # a binary tree of 11 nodes


@pytest.mark.parametrize(
    "dataset",
    [
        with_names(bnode_graph(CHAIN)),
        with_names(bnode_graph(TREE)),
        bnode_graph(TREE),  # anonymous: 42 Hash N-Degree Quads calls, the bound is 44
        bnode_graph([(0, 1), (0, 2), (3, 4), (3, 5)]),  # two identical anonymous trees
    ],
    ids=["named-chain", "named-tree", "anonymous-tree", "twin-trees"],
)
def test_ordinary_graphs_pass_the_default_bound(dataset: Dataset) -> None:
    out = canonicalize(dataset)
    assert out.count("\n") == len(dataset["@default"])
    nodes = {q[pos]["value"] for q in dataset["@default"] for pos in ("subject", "object")}
    labels = sorted(canonical_issuer_map(dataset).values())
    assert labels == sorted(f"c14n{i}" for i in range(len({n for n in nodes if n[:2] == "_:"})))


def test_anonymous_chain_costs_quadratic_work() -> None:
    """11 blank nodes that only differ by position: the 9 inner ones tie, and each Hash
    N-Degree Quads walks the chain, 81 calls. Refused at the default bound of 44."""
    chain = bnode_graph(CHAIN)
    assert_refused_quickly(lambda: canonicalize(chain))
    assert canonicalize(chain, work_factor=8).count("\n") == 10


def test_work_factor_zero_allows_only_unique_hashes() -> None:
    assert canonicalize(bnode_graph([(0, 1)]), work_factor=0).count("_:c14n") == 2
    with pytest.raises(CanonicalizationLimit):
        canonicalize(bnode_graph([(0, 1), (2, 3)]), work_factor=0)
    with pytest.raises(ValueError, match="work_factor"):
        canonicalize(bnode_graph([(0, 1)]), work_factor=-1)
