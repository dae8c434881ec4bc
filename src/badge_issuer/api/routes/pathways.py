"""Pathways: CRUD (scope ``admin`` to write, ``read`` to read), a learner's progress, the automatic
award (scope ``issue``) and its audit, external badges a learner submits, and the public
definition documents."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from badge_issuer import errors
from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.negotiation import prefers_html
from badge_issuer.api.routes.pages import pages_of
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import pathway_awards, pathways
from badge_issuer.application.pathways import PathwayView
from badge_issuer.credential.pathway import PathwayInput

router = APIRouter(tags=["pathways"])
PREFIX = "/api/v1/issuers/{issuer}/pathways"
MAX_INT = 2**31 - 1
RecipientQuery = Annotated[
    str, Query(min_length=3, max_length=320, description="the learner: an email address or a DID/URL")
]


class LearnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recipient: str = Field(min_length=3, max_length=320, description="an email address or a DID/URL")


class ExternalBadgeIn(LearnerIn):
    credential: dict[str, Any] = Field(description="an OB 3.0 credential of another issuer, as signed")


def _negotiated() -> dict[int | str, dict[str, Any]]:
    """The answers of a pathway's URL: its definition, or (for browsers) its page."""
    documented = schemas.responses(404, 422, ok=200, model=schemas.PathwayDocument)
    documented[200]["content"]["text/html"] = {"schema": schemas.ref(schemas.HtmlPage)}
    return documented


def _json(view: PathwayView) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "version": view.version,
        "currentVersion": view.current_version,
        "pathway": view.document,
    }


@router.post(
    PREFIX,
    status_code=status.HTTP_201_CREATED,
    summary="Create a pathway",
    response_model=schemas.PathwayOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def create(issuer: str, body: PathwayInput, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    return _json(pathways.new_pathway(services, issuer, body))


@router.get(
    PREFIX,
    summary="List pathways",
    response_model=list[schemas.PathwayOut],
    responses=schemas.responses(*schemas.AUTHED),
)
def list_all(issuer: str, services: ServicesDep, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "read")
    return [_json(view) for view in pathways.list_pathways(services, issuer)]


@router.get(
    PREFIX + "/{pathway}",
    summary="A pathway (current version, or ?version=n)",
    response_model=schemas.PathwayOut,
    responses=schemas.responses(*schemas.AUTHED, 422),
)
def get_one(
    issuer: str,
    pathway: str,
    services: ServicesDep,
    caller: PrincipalDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    return _json(pathways.get_pathway(services, issuer, pathway, version))


@router.put(
    PREFIX + "/{pathway}",
    summary="Update a pathway: publishes a new version",
    response_model=schemas.PathwayOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def update(
    issuer: str, pathway: str, body: PathwayInput, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    return _json(pathways.publish_pathway_version(services, issuer, pathway, body))


@router.get(
    PREFIX + "/{pathway}/progress",
    summary="A learner's progress on a pathway",
    response_model=schemas.PathwayProgress,
    responses=schemas.responses(*schemas.AUTHED, 400, 422),
)
def progress(
    issuer: str, pathway: str, recipient: RecipientQuery, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    """Our own active awards to the learner and the external badges they submitted (verified again
    now); ``award`` is the automatic award, once made."""
    acting_for(caller, issuer, "read")
    return pathway_awards.progress(services, issuer, pathway, recipient)


@router.post(
    PREFIX + "/{pathway}/awards",
    summary="Award the pathway's target to a learner who completed it (once; safe to retry)",
    response_model=schemas.PathwayProgress,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def award(
    issuer: str, pathway: str, body: LearnerIn, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "issue")
    return pathway_awards.award_progress(
        services, issuer, pathway, body.recipient, client_id=caller.client_id
    )


@router.get(
    PREFIX + "/{pathway}/awards",
    summary="The audit of a pathway's automatic awards, with steps no longer active",
    response_model=schemas.PathwayAwards,
    responses=schemas.responses(*schemas.AUTHED),
)
def awards(issuer: str, pathway: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    return pathway_awards.awards_audit(services, issuer, pathway)


@router.post(
    "/api/v1/issuers/{issuer}/external-badges",
    summary="Submit a learner's badge from another issuer toward this issuer's pathways",
    response_model=schemas.ExternalBadgeAccepted,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def submit_external(
    issuer: str, body: ExternalBadgeIn, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    """Verified now (it must verify and be awarded to the recipient) and again whenever it would
    count; every pathway it completes is awarded."""
    acting_for(caller, issuer, "issue")
    awards = pathway_awards.submit_external(
        services, issuer, body.recipient, body.credential, client_id=caller.client_id
    )
    return {"awards": awards}


@router.get(
    "/issuers/{issuer}/pathways/{pathway}",
    summary="A pathway's public definition (current version; a page with its steps for browsers)",
    response_class=Response,
    responses=_negotiated(),
)
def public_current(issuer: str, pathway: str, request: Request, services: ServicesDep) -> Response:
    return public_version(issuer, pathway, None, request, services)


@router.get(
    "/issuers/{issuer}/pathways/{pathway}/versions/{version}",
    summary="One version of a pathway's public definition (a page for browsers)",
    response_class=Response,
    responses=_negotiated(),
)
def public_version(
    issuer: str,
    pathway: str,
    version: Annotated[int | None, Path(ge=1, le=MAX_INT)],
    request: Request,
    services: ServicesDep,
) -> Response:
    if prefers_html(request.headers.get("accept")):
        return _page(request, services, issuer, pathway, version)
    document = pathways.get_pathway(services, issuer, pathway, version).document
    max_age = 300 if version is None else 86400
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"},
    )


def _page(
    request: Request, services: ServicesDep, issuer: str, pathway: str, version: int | None
) -> Response:
    """The pathway with its steps, for people."""
    pages = pages_of(request)
    try:
        page = pathways.pathway_page(services, issuer, pathway, version)
    except errors.BadgeIssuerError as exc:
        answer = pages.error(exc)
    else:
        answer = pages.render(
            "pathway.html",
            pathway=page.document,
            issuer_name=page.issuer_name,
            issuer_page=page.issuer_page,
            current_version=page.current_version,
            achievements=page.achievements,
        )
    answer.headers["Vary"] = "Accept"
    return answer
