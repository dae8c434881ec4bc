"""Pathways: create, read, list, publish a new version, and their public documents.

A pathway's definition is checked against what the issuer holds when it is published (its target
and every own achievement it names exist; no pathway, through others, requires its own target),
and each version is kept: the public document of version n never changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.credential.pathway import PathwayInput, check_bounds, check_tree, own_requirements
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.db.tables import Issuer, Pathway, PathwayVersion
from badge_issuer.errors import InputError
from badge_issuer.urls import Urls


@dataclass(frozen=True)
class PathwayView:
    slug: str
    version: int
    current_version: int
    #: the public definition of this version
    document: dict[str, Any]


def _view(pathway: Pathway, version: PathwayVersion) -> PathwayView:
    return PathwayView(
        slug=pathway.slug,
        version=version.version,
        current_version=pathway.current_version,
        document=json.loads(version.document_json),
    )


def _slug_from(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-") or "pathway"


def _resolve(node: dict[str, Any], urls: Urls, issuer: str) -> dict[str, Any]:
    """The tree as published: own requirements also name their achievement's URL."""
    if node["type"] == "achievement":
        return node | {"achievementUrl": urls.achievement(issuer, node["achievement"])}
    if "requirements" in node:
        return node | {"requirements": [_resolve(child, urls, issuer) for child in node["requirements"]]}
    return node


def _document(data: PathwayInput, *, urls: Urls, issuer: Issuer, slug: str, version: int) -> dict[str, Any]:
    body = data.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"slug"})
    return {
        "id": urls.pathway(issuer.slug, slug, version),
        "type": "Pathway",
        "slug": slug,
        "version": version,
        "issuer": issuer.did,
        **body,
        "targetUrl": urls.achievement(issuer.slug, data.target),
        "requirements": _resolve(body["requirements"], urls, issuer.slug),
    }


def _checked(session: Session, issuer: Issuer, data: PathwayInput, *, slug: str) -> None:
    """Bounds, text, known achievements, and no cycle through the issuer's other pathways."""
    check_bounds(data.requirements.model_dump(mode="json", by_alias=True))
    refuse_untransportable(data.model_dump(mode="json", by_alias=True, exclude_none=True), what="the pathway")
    known = {item.slug for item in AchievementRepository(session).list(issuer.id)}
    repo = PathwayRepository(session)
    edges: dict[str, set[str]] = {}
    for other in repo.all(issuer.id):
        if other.slug == slug:
            continue
        document = json.loads(repo.version(other).document_json)
        edges.setdefault(document["target"], set()).update(own_requirements(document))
    check_tree(data, known, edges)


def new_pathway(services: Services, issuer: str, data: PathwayInput) -> PathwayView:
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        slug = data.slug or _slug_from(data.name)
        if repo.slug_taken(row.id, slug):
            raise InputError(f"pathway {slug!r} exists; update it instead", pointer="/slug")
        _checked(session, row, data, slug=slug)
        pathway = repo.add(issuer_id=row.id, slug=slug, now=services.clock())
        document = _document(data, urls=services.urls, issuer=row, slug=slug, version=1)
        return _view(pathway, repo.add_version(pathway, document, services.clock()))


def publish_pathway_version(services: Services, issuer: str, slug: str, data: PathwayInput) -> PathwayView:
    """Publish version n+1; awards made under earlier versions keep naming theirs."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        pathway = repo.get(row.id, slug, for_update=True)
        if data.slug is not None and data.slug != slug:
            raise InputError("a pathway's slug cannot change", pointer="/slug")
        _checked(session, row, data, slug=slug)
        document = _document(
            data, urls=services.urls, issuer=row, slug=slug, version=pathway.current_version + 1
        )
        return _view(pathway, repo.add_version(pathway, document, services.clock()))


def list_pathways(services: Services, issuer: str) -> list[PathwayView]:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        return [_view(item, repo.version(item)) for item in repo.all(row.id)]


def get_pathway(services: Services, issuer: str, slug: str, version: int | None = None) -> PathwayView:
    """The current version, or version ``version`` (NotFound if there is none)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        item = repo.get(row.id, slug)
        return _view(item, repo.version(item, version))


@dataclass(frozen=True)
class PathwayPage:
    """What the pathway's page shows: its definition, the issuer, and our achievements' names."""

    document: dict[str, Any]
    issuer_name: str
    issuer_page: str
    current_version: int
    #: our achievement slug → (name, page URL), for the target and every own step
    achievements: dict[str, tuple[str, str]]


def pathway_page(services: Services, issuer: str, slug: str, version: int | None = None) -> PathwayPage:
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = PathwayRepository(session)
        item = repo.get(row.id, slug)
        document = json.loads(repo.version(item, version).document_json)
        named = AchievementRepository(session)
        shown = {document["target"], *own_requirements(document)}
        achievements = {}
        for achievement in named.list(row.id):
            if achievement.slug in shown:
                current = json.loads(named.version(achievement).document_json)
                achievements[achievement.slug] = (
                    str(current.get("name") or achievement.slug),
                    services.urls.achievement(issuer, achievement.slug),
                )
        return PathwayPage(
            document=document,
            issuer_name=str(json.loads(row.profile_json).get("name", issuer)),
            issuer_page=services.urls.issuer_profile(issuer),
            current_version=item.current_version,
            achievements=achievements,
        )
