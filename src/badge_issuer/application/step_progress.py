"""What a badge's public page shows of the pathways it is a step of: each pathway, its
requirements, and which of them the badge's own recipient has met.

Only the recipient of that badge is read, and only their **active** (and still valid) badges
from the same issuer (by the keyed recipient hash the record carries): external badges a learner
submitted are theirs to share and are never read for a public page, so their requirements show
as met only once the pathway was awarded (and while that award is active and valid: "Completed"
is not said of a revoked, suspended or expired one). Nothing about any other learner is read.
The page gets names and links, never the ids of the recipient's other credentials (the evaluated tree's
``countedBy`` is dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer.application.pathway_holdings import validity_ended
from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import own_requirements
from badge_issuer.credential.pathway_progress import evaluate, held_from
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository

#: pathways one badge page shows at most
MAX_PATHWAYS = 10


@dataclass(frozen=True)
class StepProgress:
    """One pathway as a step's badge page shows it."""

    name: str
    page: str
    #: the target achievement: its name and page
    target: tuple[str, str]
    #: the requirement tree with ``met`` at every node (no credential ids)
    tree: dict[str, Any]
    #: the pathway's target was awarded to this recipient
    awarded: bool
    #: this badge's achievement (the step the page is about)
    step: str
    #: our achievement slugs → (name, page)
    achievements: dict[str, tuple[str, str]]


def _public(node: Mapping[str, Any]) -> dict[str, Any]:
    answer = {key: value for key, value in node.items() if key not in ("countedBy", "requirements")}
    if isinstance(node.get("requirements"), list):
        answer["requirements"] = [_public(child) for child in node["requirements"]]
    return answer


def _still_held(records: CredentialRepository, credential_id: str, now: datetime) -> bool:
    """The target award a pathway gave is active (not revoked or suspended since) and valid."""
    target = records.get(credential_id)
    return target.status == "active" and validity_ended(json.loads(target.credential_json), now) is None


def on_badge(services: Services, credential_id: str) -> tuple[StepProgress, ...]:
    """The pathways the badge at ``credential_id`` is a step of, with its recipient's progress
    (none for a badge that is not active, or not an award of one of our achievements)."""
    with services.readers() as session:
        records = CredentialRepository(session)
        record = records.get(credential_id)
        if record.status != "active" or record.achievement_id is None or record.recipient_hash is None:
            return ()
        labels = records.achievement_labels([record])
        if record.id not in labels:
            return ()
        step = labels[record.id][0]
        row = IssuerRepository(session).by_id(record.issuer_id)
        repo = PathwayRepository(session)
        now = services.clock()
        found = []
        for item in repo.all(row.id):
            document = json.loads(repo.version(item).document_json)
            if step in own_requirements(document):
                award = repo.award(item.id, record.recipient_hash)
                target = award.credential_id if award is not None else None
                found.append((item.slug, document, target is not None and _still_held(records, target, now)))
            if len(found) >= MAX_PATHWAYS:
                break
        if not found:
            return ()
        own = repo.active_awards(row.id, record.recipient_hash)
        own_labels = records.achievement_labels(own)
        held = [
            held_from(credential, source="own", slug=slug, version=version)
            for item in own
            if item.id in own_labels
            for slug, version in [own_labels[item.id]]
            for credential in [json.loads(item.credential_json)]
            if validity_ended(credential, now) is None
        ]
        named = AchievementRepository(session)
        shown = {
            slug for _, document, _ in found for slug in (document["target"], *own_requirements(document))
        }
        achievements = {
            achievement.slug: (
                str(json.loads(named.version(achievement).document_json).get("name") or achievement.slug),
                services.urls.achievement(row.slug, achievement.slug),
            )
            for achievement in named.list(row.id)
            if achievement.slug in shown
        }

    def page_of(slug: str) -> str:
        return services.urls.achievement(row.slug, slug)

    return tuple(
        StepProgress(
            name=str(document["name"]),
            page=services.urls.pathway(row.slug, slug),
            target=achievements.get(
                document["target"],
                (document["target"], services.urls.achievement(row.slug, document["target"])),
            ),
            tree=_public(evaluate(document["requirements"], held)),
            awarded=awarded,
            step=step,
            achievements=achievements,
        )
        for slug, document, awarded in found
    )
