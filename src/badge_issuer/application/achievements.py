"""Achievements (badge classes): create, read, list, and update (which publishes a new version)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from badge_issuer.achievements import create_achievement, update_achievement
from badge_issuer.application.services import Services
from badge_issuer.credential.requests import AchievementInput
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Achievement, AchievementVersion


@dataclass(frozen=True)
class AchievementView:
    """One version of an achievement, and which version is current."""

    slug: str
    version: int
    current_version: int
    #: the OB 3.0 Achievement document of this version
    document: dict[str, Any]


def _view(achievement: Achievement, version: AchievementVersion) -> AchievementView:
    return AchievementView(
        slug=achievement.slug,
        version=version.version,
        current_version=achievement.current_version,
        document=json.loads(version.document_json),
    )


def new_achievement(services: Services, issuer: str, data: AchievementInput) -> AchievementView:
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        achievement, version = create_achievement(
            row, data, session=session, urls=services.urls, now=services.clock()
        )
        return _view(achievement, version)


@dataclass(frozen=True)
class SkillQuery:
    """Achievements aligned to a skill: one ``alignment`` entry matching every field given
    (``target``: its targetUrl; ``framework``: its targetFramework, any case; ``code``: targetCode)."""

    target: str | None = None
    framework: str | None = None
    code: str | None = None

    def matches(self, document: dict[str, Any]) -> bool:
        alignments = document.get("alignment")
        return any(
            isinstance(item, dict)
            and (self.target is None or item.get("targetUrl") == self.target)
            and (self.code is None or item.get("targetCode") == self.code)
            and (
                self.framework is None
                or str(item.get("targetFramework", "")).casefold() == self.framework.casefold()
            )
            for item in (alignments if isinstance(alignments, list) else [])
        )


def list_achievements(
    services: Services, issuer: str, skill: SkillQuery | None = None
) -> list[AchievementView]:
    """Every achievement of ``issuer`` at its current version (aligned to ``skill``, if given)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        views = [_view(item, repo.version(item)) for item in repo.list(row.id)]
    return [view for view in views if skill is None or skill.matches(view.document)]


def get_achievement(
    services: Services, issuer: str, achievement: str, version: int | None = None
) -> AchievementView:
    """The current version, or version ``version`` (NotFound if there is none)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        item = repo.get(row.id, achievement)
        return _view(item, repo.version(item, version))


def publish_version(
    services: Services, issuer: str, achievement: str, data: AchievementInput
) -> AchievementView:
    """Publish version n+1; credentials issued before keep pointing at their version."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        item, version = update_achievement(
            row, achievement, data, session=session, urls=services.urls, now=services.clock()
        )
        return _view(item, version)
