"""Safe mode: terms the contexts do not define are named, never silently dropped."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from badge_issuer.errors import UndefinedTerms
from badge_issuer.jsonld.loader import DocumentLoader
from badge_issuer.jsonld.processor import to_dataset, undefined_terms

EXAMPLE = Path(__file__).resolve().parents[1] / "vectors" / "di" / "obv3p0-eddsa-rdfc-2022"


@pytest.fixture(scope="module")
def loader() -> DocumentLoader:
    return DocumentLoader.pinned()


@pytest.fixture
def credential() -> dict[str, Any]:
    vector = json.loads((EXAMPLE / "vector.json").read_text(encoding="utf-8"))
    return copy.deepcopy(vector["credential"])


def test_a_well_formed_credential_has_no_undefined_terms(
    loader: DocumentLoader, credential: dict[str, Any]
) -> None:
    assert undefined_terms(credential, loader=loader) == []
    assert to_dataset(credential, loader=loader)["@default"]


def test_undefined_properties_types_and_relative_ids_are_each_named(
    loader: DocumentLoader, credential: dict[str, Any]
) -> None:
    credential["favouriteColour"] = "green"
    credential["credentialSubject"]["shoeSize"] = 44
    credential["type"] = [*credential["type"], "GoldStar"]
    credential["credentialSubject"]["achievement"]["id"] = "achievements/1"
    terms = undefined_terms(credential, loader=loader)
    assert set(terms) == {"favouriteColour", "shoeSize", "GoldStar", "achievements/1"}
    with pytest.raises(UndefinedTerms) as raised:
        to_dataset(credential, loader=loader)
    assert "favouriteColour" in raised.value.message
    assert set(raised.value.terms) == set(terms)


def test_unsafe_processing_is_available_for_diagnostics(
    loader: DocumentLoader, credential: dict[str, Any]
) -> None:
    credential["favouriteColour"] = "green"
    dataset = to_dataset(credential, loader=loader, safe=False)
    assert "favouriteColour" not in json.dumps(dataset)
