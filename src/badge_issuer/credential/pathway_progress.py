"""A learner's progress on a pathway: which requirements the credentials they hold meet.

``evaluate`` walks a stored pathway definition (``PathwayInput`` as JSON) over ``Held``
credentials — our own active awards and external badges that verified — and answers the same
tree with ``met``, the credits each part counts and the credentials that met it. It reads
nothing else: what counts was decided before (revoked, expired or failing credentials are not
passed in).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Held:
    """One credential the learner holds, as the pathway's leaves see it."""

    #: the credential's id (URL) — what evidence and the progress report name
    ref: str
    #: "own" (one of ours) or "external" (submitted by the learner)
    source: str
    issuer: str | None
    achievement_id: str | None
    achievement_types: frozenset[str]
    alignments: frozenset[str]
    results: tuple[float, ...]
    credits: float | None
    #: our own achievement's slug and version (None for an external badge)
    slug: str | None = None
    version: int | None = None


def _number(value: Any) -> float | None:
    try:
        return float(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else None
    except ValueError:
        return None


def _ref(credential: Mapping[str, Any]) -> str:
    """The credential's ``id``, else a URN of its content (a credential may have no id)."""
    value = credential.get("id")
    if isinstance(value, str) and value:
        return value
    text = json.dumps(credential, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "urn:sha256:" + hashlib.sha256(text.encode()).hexdigest()


def held_from(
    credential: Mapping[str, Any], *, source: str, slug: str | None = None, version: int | None = None
) -> Held:
    """What a pathway reads of an OB 3.0 credential (missing or odd members read as absent)."""
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    kinds = achievement.get("achievementType")
    alignments = achievement.get("alignment")
    results = subject.get("result")
    earned = _number(subject.get("creditsEarned"))
    return Held(
        ref=_ref(credential),
        source=source,
        issuer=issuer_id if isinstance(issuer_id, str) else None,
        achievement_id=achievement.get("id") if isinstance(achievement.get("id"), str) else None,
        achievement_types=frozenset([kinds] if isinstance(kinds, str) else []),
        alignments=frozenset(
            item["targetUrl"]
            for item in (alignments if isinstance(alignments, list) else [])
            if isinstance(item, Mapping) and isinstance(item.get("targetUrl"), str)
        ),
        results=tuple(
            number
            for item in (results if isinstance(results, list) else [])
            if isinstance(item, Mapping) and (number := _number(item.get("value"))) is not None
        ),
        credits=earned if earned is not None else _number(achievement.get("creditsAvailable")),
        slug=slug,
        version=version,
    )


def _leaf_matches(leaf: Mapping[str, Any], held: Held) -> bool:
    if leaf["type"] == "achievement":
        if held.source != "own" or held.slug != leaf["achievement"]:
            return False
        minimum = leaf.get("minVersion")
        if minimum is not None and (held.version or 0) < minimum:
            return False
        threshold = leaf.get("minResult")
        return threshold is None or any(value >= threshold for value in held.results)
    if held.source != "external":
        return False
    if leaf.get("achievementId") is not None:
        return bool(held.achievement_id == leaf["achievementId"])
    if held.issuer != leaf.get("issuer"):
        return False
    if leaf.get("achievementType") is not None and leaf["achievementType"] not in held.achievement_types:
        return False
    alignment = leaf.get("alignment")
    return alignment is None or alignment in held.alignments


def external_leaf_matches(leaf: Mapping[str, Any], held: Held) -> bool:
    """Whether an external badge (``held``, source "external") meets the external ``leaf``."""
    return leaf.get("type") == "external" and _leaf_matches(leaf, held)


def evaluate(node: Mapping[str, Any], held: Sequence[Held]) -> dict[str, Any]:
    """``node`` answered: ``met``, ``credits`` counted and ``countedBy`` (credential ids)."""
    kind = node["type"]
    if kind not in ("allOf", "anyOf", "credits"):
        matches = [item for item in held if _leaf_matches(node, item)]
        best = max(matches, key=lambda item: item.credits or 0.0, default=None)
        credits = (node.get("credits") if kind == "external" else None) or (best.credits if best else None)
        return {
            **dict(node),
            "met": best is not None,
            "credits": (credits or 0.0) if best is not None else 0.0,
            "countedBy": [best.ref] if best is not None else [],
        }
    order, children = _each_counted_once(node["requirements"], held)
    met_children = [index for index in order if children[index]["met"]]
    if kind == "allOf":
        met = len(met_children) == len(children)
        counted = met_children
    elif kind == "anyOf":
        met = len(met_children) >= node["count"]
        counted = met_children[: node["count"]] if met else met_children
    else:
        counted = _enough(met_children, children, node["credits"])
        met = sum(children[index]["credits"] for index in counted) >= node["credits"]
    # a met group counts (and takes from its siblings) only the badges it needs
    credits = sum(children[index]["credits"] for index in sorted(counted))
    refs = list(dict.fromkeys(ref for index in sorted(counted) for ref in children[index]["countedBy"]))
    answer = {key: value for key, value in node.items() if key != "requirements"}
    return answer | {"met": met, "credits": credits, "countedBy": refs, "requirements": children}


def _candidates(node: Mapping[str, Any], held: Sequence[Held]) -> int:
    """How many held credentials could meet some leaf of ``node``."""
    stack: list[Any] = [node]
    leaves = []
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping) and isinstance(item.get("requirements"), list):
            stack.extend(item["requirements"])
        elif isinstance(item, Mapping):
            leaves.append(item)
    return sum(1 for credential in held if any(_leaf_matches(leaf, credential) for leaf in leaves))


def _enough(met: list[int], children: Sequence[Mapping[str, Any]], credits: float) -> list[int]:
    """The first of the met children (in choosing order) whose credits reach ``credits`` (all of
    them when they do not)."""
    total = 0.0
    for taken, index in enumerate(met, start=1):
        total += children[index]["credits"]
        if total >= credits:
            return met[:taken]
    return met


def _each_counted_once(
    nodes: Sequence[Mapping[str, Any]], held: Sequence[Held]
) -> tuple[list[int], list[dict[str, Any]]]:
    """The children of a group, each evaluated over the credentials no other child met it with: one
    badge counts once in the group however many of its requirements it matches ("any 2 of" means
    two badges, as does an allOf of two overlapping external requirements). The
    child with the fewest candidates chooses first (so a badge that only one requirement accepts is
    left to it); the answers keep the children's order, with the order they chose in."""
    order = sorted(range(len(nodes)), key=lambda index: (_candidates(nodes[index], held), index))
    used: set[str] = set()
    answers: dict[int, dict[str, Any]] = {}
    for index in order:
        answer = evaluate(nodes[index], [item for item in held if item.ref not in used])
        if answer["met"]:
            used.update(answer["countedBy"])
        answers[index] = answer
    return order, [answers[index] for index in range(len(nodes))]
