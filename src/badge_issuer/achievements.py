"""Achievement (badge class) management: create, and update by publishing a new version."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.credential.achievement import Achievement
from badge_issuer.credential.base import validate_model
from badge_issuer.credential.requests import AchievementInput
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.tables import Achievement as AchievementRow
from badge_issuer.db.tables import AchievementVersion, Issuer
from badge_issuer.documents import achievement as achievement_document
from badge_issuer.errors import InputError
from badge_issuer.urls import Urls


def _slug_from(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "achievement"


def checked(document: dict[str, Any]) -> dict[str, Any]:
    """Refuse a badge class the OB 3.0 model rejects, before it is published and cannot be issued."""
    validate_model(Achievement, document, what="OB 3.0 Achievement")
    return document


def create_achievement(
    issuer: Issuer, data: AchievementInput, *, session: Session, urls: Urls, now: datetime
) -> tuple[AchievementRow, AchievementVersion]:
    refuse_untransportable(
        data.model_dump(mode="json", by_alias=True, exclude_none=True), what="the achievement"
    )
    repo = AchievementRepository(session)
    slug = data.slug or _slug_from(data.name)
    if repo.slug_taken(issuer.id, slug):
        raise InputError(f"achievement {slug!r} exists; update it instead", pointer="/slug")
    document = checked(achievement_document(data, urls=urls, issuer=issuer, slug=slug, version=1))
    achievement = repo.add(issuer_id=issuer.id, slug=slug, now=now)
    return achievement, repo.add_version(achievement, document, now)


def update_achievement(
    issuer: Issuer, slug: str, data: AchievementInput, *, session: Session, urls: Urls, now: datetime
) -> tuple[AchievementRow, AchievementVersion]:
    """Publish version n+1; credentials issued earlier keep pointing at their version."""
    refuse_untransportable(
        data.model_dump(mode="json", by_alias=True, exclude_none=True), what="the achievement"
    )
    repo = AchievementRepository(session)
    achievement = repo.get(issuer.id, slug, for_update=True)
    if data.slug is not None and data.slug != slug:
        raise InputError("an achievement's slug cannot change", pointer="/slug")
    document = checked(
        achievement_document(
            data, urls=urls, issuer=issuer, slug=slug, version=achievement.current_version + 1
        )
    )
    return achievement, repo.add_version(achievement, document, now)
