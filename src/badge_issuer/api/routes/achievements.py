"""Achievements (badge classes): create, read, list, and update (which publishes a new version)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from badge_issuer.achievements import create_achievement, update_achievement
from badge_issuer.api.deps import services_of
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.credential.requests import AchievementInput
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Achievement, AchievementVersion

router = APIRouter(prefix="/api/v1/issuers/{issuer}/achievements", tags=["achievements"])


def achievement_json(achievement: Achievement, version: AchievementVersion) -> dict[str, Any]:
    return {
        "slug": achievement.slug,
        "version": version.version,
        "currentVersion": achievement.current_version,
        "achievement": json.loads(version.document_json),
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an achievement")
def create(issuer: str, body: AchievementInput, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        achievement, version = create_achievement(
            row, body, session=session, urls=services.urls, now=services.clock()
        )
        return achievement_json(achievement, version)


@router.get("", summary="List achievements")
def list_achievements(issuer: str, request: Request, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "read")
    with services_of(request).readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        return [achievement_json(item, repo.version(item)) for item in repo.list(row.id)]


@router.get("/{achievement}", summary="An achievement (current version, or ?version=n)")
def get_one(
    issuer: str,
    achievement: str,
    request: Request,
    caller: PrincipalDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    with services_of(request).readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        item = repo.get(row.id, achievement)
        return achievement_json(item, repo.version(item, version))


@router.put("/{achievement}", summary="Update an achievement: publishes a new version")
def update(
    issuer: str, achievement: str, body: AchievementInput, request: Request, caller: PrincipalDep
) -> dict[str, Any]:
    """Credentials issued before keep pointing at the version they were issued under."""
    acting_for(caller, issuer, "admin")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        item, version = update_achievement(
            row, achievement, body, session=session, urls=services.urls, now=services.clock()
        )
        return achievement_json(item, version)
