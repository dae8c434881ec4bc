"""Achievements (badge classes): create, read, list, and update (which publishes a new version)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import achievements
from badge_issuer.application.achievements import AchievementView, SkillQuery
from badge_issuer.credential.requests import AchievementInput

router = APIRouter(prefix="/api/v1/issuers/{issuer}/achievements", tags=["achievements"])


def achievement_json(view: AchievementView) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "version": view.version,
        "currentVersion": view.current_version,
        "achievement": view.document,
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an achievement",
    response_model=schemas.AchievementOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 409, 415, 422),
)
def create(
    issuer: str, body: AchievementInput, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    return achievement_json(achievements.new_achievement(services, issuer, body))


@router.get(
    "",
    summary="List achievements, or those aligned to a skill",
    response_model=list[schemas.AchievementOut],
    responses=schemas.responses(*schemas.AUTHED, 422),
)
def list_achievements(
    issuer: str,
    services: ServicesDep,
    caller: PrincipalDep,
    alignment: Annotated[
        str | None, Query(max_length=2000, description="an alignment's targetUrl (a skill's URL)")
    ] = None,
    framework: Annotated[
        str | None, Query(max_length=200, description="an alignment's targetFramework (e.g. ESCO), any case")
    ] = None,
    code: Annotated[str | None, Query(max_length=200, description="an alignment's targetCode")] = None,
) -> list[dict[str, Any]]:
    """With `alignment`, `framework` and/or `code`: the achievements with one alignment matching
    every one given (which badges evidence a skill)."""
    acting_for(caller, issuer, "read")
    skill = None
    if alignment is not None or framework is not None or code is not None:
        skill = SkillQuery(target=alignment, framework=framework, code=code)
    return [achievement_json(view) for view in achievements.list_achievements(services, issuer, skill)]


@router.get(
    "/{achievement}",
    summary="An achievement (current version, or ?version=n)",
    response_model=schemas.AchievementOut,
    responses=schemas.responses(*schemas.AUTHED, 422),
)
def get_one(
    issuer: str,
    achievement: str,
    services: ServicesDep,
    caller: PrincipalDep,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    return achievement_json(achievements.get_achievement(services, issuer, achievement, version))


@router.put(
    "/{achievement}",
    summary="Update an achievement: publishes a new version",
    response_model=schemas.AchievementOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def update(
    issuer: str, achievement: str, body: AchievementInput, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    """Credentials issued before keep pointing at the version they were issued under."""
    acting_for(caller, issuer, "admin")
    return achievement_json(achievements.publish_version(services, issuer, achievement, body))
