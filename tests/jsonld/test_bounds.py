"""The bounds checked before JSON-LD processing: real credentials pass, purpose-built shapes do not.

pyld's node map compares each value added to a node's property with those already there, so a
blank-node star (one node holding thousands of blank nodes) took seconds to tens of seconds of CPU
(3,000 nodes: 2.7 s; 6,000 nodes, 542 KB: 19 s) before any of our bounds applied.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from badge_issuer.config import Settings
from badge_issuer.errors import TooComplex
from badge_issuer.jsonld.bounds import DEFAULT_BOUNDS, JsonLdBounds, check_bounds, measure
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, VC_V2, DocumentLoader
from badge_issuer.jsonld.processor import expand, to_dataset, undefined_terms

ROOT = Path(__file__).resolve().parents[1]
COMPLETE = ROOT / "vectors" / "ob-v3p0-examples" / "complete-openbadgecredential.json"
CLR = Path("/work/shared/reference/test-vectors/clrv2p0-eddsa-rdfc-2022/vector.json")
LOADER = DocumentLoader.pinned()


def complete() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(COMPLETE.read_text(encoding="utf-8"))
    return value


def clr_of(count: int) -> dict[str, Any]:
    """A ClrCredential holding ``count`` copies of the complete OB 3.0 example (distinct courses)."""
    credentials = []
    for index in range(count):
        credential = complete()
        credential["id"] = f"http://1edtech.edu/credentials/{index}"
        achievement = credential["credentialSubject"]["achievement"]
        achievement["id"] = f"https://1edtech.edu/achievements/course-{index}"
        achievement["name"] = f"Course {index}"
        credentials.append(credential)
    return {
        "@context": [VC_V2, "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json", OB_V3P0_CONTEXT],
        "id": "http://1edtech.edu/clr/1",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": "https://1edtech.edu/issuers/565049", "type": ["Profile"], "name": "1EdTech"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "type": ["ClrSubject"],
            "verifiableCredential": credentials,
        },
    }


def star(count: int) -> dict[str, Any]:
    """One node holding ``count`` distinct blank nodes under one property."""
    return {
        "@context": [VC_V2, OB_V3P0_CONTEXT],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityHash": f"h{n}", "identityType": "emailAddress"}
                for n in range(count)
            ],
        },
    }


def test_real_credentials_pass_with_a_wide_margin() -> None:
    example = measure(complete())
    assert example.objects * 40 < DEFAULT_BOUNDS.max_objects
    assert example.blank_nodes * 40 < DEFAULT_BOUNDS.max_blank_nodes
    assert example.values * 40 < DEFAULT_BOUNDS.max_values
    assert example.duplicate_checks * 40 < DEFAULT_BOUNDS.max_duplicate_checks
    to_dataset(complete(), loader=LOADER, safe=False)  # the bounds do not refuse it
    transcript = clr_of(50)
    counts = check_bounds(transcript, DEFAULT_BOUNDS)  # a 50-credential CLR passes
    assert counts.objects > 50 * 80
    assert undefined_terms(clr_of(2), loader=LOADER) == []


@pytest.mark.skipif(not CLR.exists(), reason="the shared reference folder is not on this machine")
def test_the_clr_test_vector_passes() -> None:
    vector = json.loads(CLR.read_text(encoding="utf-8"))["signed_credential"]
    check_bounds(vector, DEFAULT_BOUNDS)
    to_dataset(vector, loader=LOADER, safe=False)


@pytest.mark.parametrize("count", [3_000, 6_000])
def test_a_blank_node_star_is_refused_before_pyld_runs(count: int) -> None:
    document = star(count)
    started = time.thread_time()
    with pytest.raises(TooComplex, match="too complex: the document holds more than"):
        to_dataset(document, loader=LOADER)
    with pytest.raises(TooComplex):
        undefined_terms(document, loader=LOADER)
    assert time.thread_time() - started < 5  # CPU time; was 2.7 s and 19 s each; now a walk


def test_a_smaller_star_is_refused_by_its_duplicate_checks() -> None:
    counts = measure(star(1000))
    assert counts.blank_nodes < DEFAULT_BOUNDS.max_blank_nodes
    assert counts.duplicate_checks >= 1000 * 999 // 2
    with pytest.raises(TooComplex, match="duplicate checks"):
        expand(star(1000), loader=LOADER)


def test_objects_sharing_an_id_count_as_one_node() -> None:
    # pyld merges them, so their values pile up on one node's property
    shared = [{"id": "urn:x:same", "name": f"name {n}"} for n in range(400)]
    document = {"@context": [VC_V2], "id": "urn:x:1", "relatedResource": shared}
    assert measure(document).duplicate_checks >= 400 * 399 // 2
    repeated = [{"id": "urn:x:same", "name": "one name"} for _ in range(400)]
    assert (
        measure({**document, "relatedResource": repeated}).duplicate_checks < 400 * 4
    )  # linear: each compared with one


def test_each_bound_is_its_own_refusal() -> None:
    document = star(10)
    counts = measure(document)
    for field, found in (
        ("max_objects", counts.objects),
        ("max_blank_nodes", counts.blank_nodes),
        ("max_values", counts.values),
        ("max_duplicate_checks", counts.duplicate_checks),
    ):
        bounds = JsonLdBounds(**{**DEFAULT_BOUNDS.__dict__, field: found - 1})
        with pytest.raises(TooComplex):
            check_bounds(document, bounds)
        check_bounds(document, JsonLdBounds(**{**DEFAULT_BOUNDS.__dict__, field: found}))


def test_contexts_are_not_counted_and_the_walk_is_not_recursive() -> None:
    deep: Any = "leaf"
    for _ in range(50_000):
        deep = [deep]
    counts = measure({"@context": [{"x": {"@id": "urn:x"}} for _ in range(1000)], "p": deep})
    assert counts.objects == 1 and counts.values == 2


def test_bounds_come_from_settings() -> None:
    settings = Settings(
        jsonld_max_objects=7, jsonld_max_blank_nodes=6, jsonld_max_values=5, jsonld_max_duplicate_checks=4
    )
    assert JsonLdBounds.from_settings(settings) == JsonLdBounds(7, 6, 5, 4)
    assert JsonLdBounds.from_settings(Settings()) == DEFAULT_BOUNDS
    copy.deepcopy(DEFAULT_BOUNDS)
