"""Our single-expansion JSON-LD → RDF gives exactly pyld's own ``to_rdf`` dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from badge_issuer.jsonld import canon
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.jsonld.processor import to_dataset

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
DOCUMENTS = [
    *sorted((VECTORS / "ob-v3p0-examples").glob("*.json")),
    VECTORS / "di" / "w3c-vc-di-eddsa" / "unsigned.json",
    VECTORS / "di" / "w3c-vc-di-eddsa" / "eddsa-rdfc-2022" / "signedDataInt.json",
]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_dataset_equals_pyld_to_rdf(path: Path) -> None:
    loader = DocumentLoader.pinned()
    document = json.loads(path.read_text(encoding="utf-8"))
    ours = to_dataset(document, loader=loader, safe=False)
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(loader.context_cache, loader),
        "base": "https://relative-iri.invalid/",
    }
    theirs = jsonld.JsonLdProcessor().to_rdf(document, options)
    assert canon.canonicalize(ours) == canon.canonicalize(theirs)
    assert sum(map(len, ours.values())) == sum(map(len, theirs.values())) > 5
