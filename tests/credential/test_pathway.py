"""Pathway trees: bounds, known achievements and cycles refused; progress evaluated per group kind."""

from __future__ import annotations

from typing import Any

import pytest

from badge_issuer.credential.pathway import (
    MAX_NODES,
    PathwayInput,
    check_bounds,
    check_tree,
    counts_external,
    own_requirements,
)
from badge_issuer.credential.pathway_progress import Held, evaluate, held_from
from badge_issuer.errors import ValidationFailed


def own(
    slug: str,
    *,
    ref: str | None = None,
    version: int = 1,
    results: tuple[float, ...] = (),
    credits: float | None = None,
) -> Held:
    return Held(
        ref=ref or f"https://x.example/credentials/{slug}",
        source="own",
        issuer="did:web:x.example",
        achievement_id=None,
        achievement_types=frozenset(),
        alignments=frozenset(),
        results=results,
        credits=credits,
        slug=slug,
        version=version,
    )


def pathway(requirements: dict[str, Any], target: str = "cert") -> PathwayInput:
    return PathwayInput.model_validate({"name": "P", "target": target, "requirements": requirements})


def leaf(slug: str, **extra: Any) -> dict[str, Any]:
    return {"type": "achievement", "achievement": slug, **extra}


def test_all_any_and_credits_groups() -> None:
    tree = {
        "type": "allOf",
        "requirements": [
            leaf("a", minVersion=2),
            {"type": "anyOf", "count": 2, "requirements": [leaf("b"), leaf("c"), leaf("d", minResult=70)]},
            {"type": "credits", "credits": 6, "requirements": [leaf("e"), leaf("f")]},
        ],
    }
    held = [
        own("a", version=2),
        own("b"),
        own("d", results=(69.0,)),
        own("e", credits=3),
        own("f", credits=2),
    ]
    answer = evaluate(tree, held)
    assert [child["met"] for child in answer["requirements"]] == [True, False, False]
    assert answer["requirements"][2]["credits"] == 5
    held += [own("d", ref="https://x.example/credentials/d2", results=(70.0,)), own("f", ref="f2", credits=4)]
    answer = evaluate(tree, held)
    assert answer["met"] is True
    assert "https://x.example/credentials/d2" in answer["countedBy"] and "f2" in answer["countedBy"]
    assert evaluate(leaf("a", minVersion=3), held)["met"] is False


def test_external_requirements_match_by_id_or_by_issuer_with_type_and_alignment() -> None:
    credential = {
        "id": "urn:uuid:1",
        "issuer": {"id": "did:key:z6Mk"},
        "credentialSubject": {
            "achievement": {
                "id": "https://mooc.example/a/sql",
                "achievementType": "Course",
                "alignment": [{"targetUrl": "https://esco.example/skill/sql"}],
                "creditsAvailable": 2,
            }
        },
    }
    held = [held_from(credential, source="external")]
    assert evaluate({"type": "external", "achievementId": "https://mooc.example/a/sql"}, held)["met"]
    by_issuer = {"type": "external", "issuer": "did:key:z6Mk", "achievementType": "Course"}
    assert evaluate(by_issuer, held)["credits"] == 2
    assert not evaluate({**by_issuer, "alignment": "https://esco.example/skill/java"}, held)["met"]
    assert not evaluate({**by_issuer, "issuer": "did:key:other"}, held)["met"]
    # our own leaves never match an external badge, even of the same slug-like id
    assert not evaluate(leaf("sql"), held)["met"]


def test_trees_are_bounded_and_checked_against_what_the_issuer_holds() -> None:
    deep: dict[str, Any] = leaf("a")
    for _ in range(6):
        deep = {"type": "allOf", "requirements": [deep]}
    with pytest.raises(ValidationFailed, match="deep"):
        check_bounds(deep)
    with pytest.raises(ValidationFailed, match="at most"):
        check_bounds({"type": "allOf", "requirements": [leaf("a")] * MAX_NODES})
    with pytest.raises(ValidationFailed, match="no achievement 'z'"):
        check_tree(pathway({"type": "allOf", "requirements": [leaf("z")]}), {"a", "cert"}, {})
    with pytest.raises(ValidationFailed, match="cycle"):
        check_tree(pathway({"type": "allOf", "requirements": [leaf("cert")]}), {"cert"}, {})
    # a → b through another pathway whose target b requires cert: cert ⇒ a ⇒ b ⇒ cert
    with pytest.raises(ValidationFailed, match="cycle"):
        check_tree(
            pathway({"type": "allOf", "requirements": [leaf("a")]}),
            {"a", "b", "cert"},
            {"a": {"b"}, "b": {"cert"}},
        )
    check_tree(pathway({"type": "allOf", "requirements": [leaf("a")]}), {"a", "b", "cert"}, {"b": {"a"}})


def test_stored_documents_say_what_they_require() -> None:
    document = pathway(
        {
            "type": "allOf",
            "requirements": [
                leaf("a"),
                {
                    "type": "anyOf",
                    "count": 1,
                    "requirements": [leaf("b"), {"type": "external", "achievementId": "x:y"}],
                },
            ],
        }
    ).model_dump(mode="json", by_alias=True)
    assert own_requirements(document) == {"a", "b"}
    assert counts_external(document) is True
    assert counts_external({"requirements": {"type": "allOf", "requirements": [leaf("a")]}}) is False


def test_a_credential_without_an_id_is_named_by_a_urn_of_its_content() -> None:
    credential = {
        "issuer": "did:key:z6Mk",
        "credentialSubject": {"achievement": {"id": "https://a.example/x"}},
    }
    ref = held_from(credential, source="external").ref
    assert ref.startswith("urn:sha256:") and len(ref) == len("urn:sha256:") + 64
    assert held_from(dict(credential), source="external").ref == ref
    assert held_from({**credential, "name": "other"}, source="external").ref != ref


def test_a_credits_group_counts_each_badge_once_however_many_requirements_it_matches() -> None:
    course: dict[str, Any] = {
        "id": "urn:uuid:course",
        "issuer": {"id": "did:key:z6Mk"},
        "credentialSubject": {
            "achievement": {
                "id": "https://mooc.example/a/sql",
                "achievementType": "Course",
                "alignment": [{"targetUrl": "https://esco.example/skill/sql"}],
                "creditsAvailable": 3,
            }
        },
    }
    by_type = {"type": "external", "issuer": "did:key:z6Mk", "achievementType": "Course"}
    by_skill = {"type": "external", "issuer": "did:key:z6Mk", "alignment": "https://esco.example/skill/sql"}
    group = {"type": "credits", "credits": 6, "requirements": [by_type, by_skill]}
    one = [held_from(course, source="external")]
    answer = evaluate(group, one)
    assert answer["met"] is False and answer["credits"] == 3  # not 6: the one badge counted twice
    assert [child["met"] for child in answer["requirements"]] == [True, False]
    # a second course that only the by-type requirement accepts: the badge that both accept is
    # left to the by-skill requirement, so the two badges meet both (6 credits)
    other = {**course, "id": "urn:uuid:other"}
    other["credentialSubject"] = {
        "achievement": {**course["credentialSubject"]["achievement"], "alignment": []}
    }
    answer = evaluate(group, [*one, held_from(other, source="external")])
    assert answer["met"] is True and answer["credits"] == 6
    assert answer["requirements"][0]["countedBy"] == ["urn:uuid:other"]
    assert answer["requirements"][1]["countedBy"] == ["urn:uuid:course"]
    # a nested group's badges are not counted again by a sibling
    nested = {
        "type": "credits",
        "credits": 6,
        "requirements": [{"type": "allOf", "requirements": [by_type]}, by_skill],
    }
    assert evaluate(nested, one)["credits"] == 3
    # the same in every group: "any 2 of" and an allOf of two overlapping requirements need two badges
    for group_of_two in (
        {"type": "allOf", "requirements": [by_type, by_skill]},
        {"type": "anyOf", "count": 2, "requirements": [by_type, by_skill]},
    ):
        assert evaluate(group_of_two, one)["met"] is False
        assert evaluate(group_of_two, [*one, held_from(other, source="external")])["met"] is True


def test_a_met_group_keeps_only_the_badges_it_needs_so_its_siblings_can_count_the_rest() -> None:
    # "any 1 of a, b" and "any 2 of b, c, d": holding a, b and c meets both (a for the first, b and
    # c for the second); the first, met twice over, must not take b away from the second
    either = {
        "type": "allOf",
        "requirements": [
            {"type": "anyOf", "count": 1, "requirements": [leaf("a"), leaf("b")]},
            {"type": "anyOf", "count": 2, "requirements": [leaf("b"), leaf("c"), leaf("d")]},
        ],
    }
    answer = evaluate(either, [own("a"), own("b"), own("c")])
    assert answer["met"] is True, answer
    first, second = answer["requirements"]
    assert first["countedBy"] == ["https://x.example/credentials/a"]
    assert second["countedBy"] == ["https://x.example/credentials/b", "https://x.example/credentials/c"]
    # a credits group that is met keeps only the badges its credits need; the others stay free
    credits = {
        "type": "allOf",
        "requirements": [
            {"type": "credits", "credits": 3, "requirements": [leaf("e"), leaf("f")]},
            {"type": "anyOf", "count": 2, "requirements": [leaf("f"), leaf("g"), leaf("h")]},
        ],
    }
    answer = evaluate(credits, [own("e", credits=3), own("f", credits=3), own("g")])
    assert answer["met"] is True, answer
    assert answer["requirements"][0]["credits"] == 3  # each badge counted once across the tree
    assert answer["requirements"][0]["countedBy"] == ["https://x.example/credentials/e"]
    # a group that is not met keeps what it has (nothing is taken from a sibling for it)
    short = evaluate(
        {"type": "credits", "credits": 9, "requirements": [leaf("e"), leaf("f")]},
        [own("e", credits=3), own("f", credits=3)],
    )
    assert short["met"] is False and short["credits"] == 6
