"""Public documents, no authentication: credentials, issuer profiles and DIDs, achievements,
status lists and images. Anyone can check a badge without calling the issuer's staff."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.negotiation import prefers_html
from badge_issuer.api.routes import pages
from badge_issuer.application import publishing

router = APIRouter(tags=["public"])

VC_MEDIA = "application/vc+ld+json"
LD_MEDIA = "application/ld+json"
DID_MEDIA = "application/did+json"
#: largest integer a path may carry (the database columns are 32-bit)
MAX_INT = 2**31 - 1


#: the documents whose URL also answers a page to a browser (``api/negotiation.py``)
NEGOTIATED = "Browsers asking for `text/html` (over every JSON type) get the page for people; errors too."


def _json(document: Any, media_type: str, max_age: int, *, vary: bool = False) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    headers = {"Cache-Control": f"public, max-age={max_age}"}
    if vary:
        headers["Vary"] = "Accept"
    return Response(body, media_type=media_type, headers=headers)


def _wants_page(request: Request) -> bool:
    return prefers_html(request.headers.get("accept"))


def _negotiated(model: type[BaseModel], media: str) -> dict[int | str, dict[str, Any]]:
    """The answers of a document URL: the JSON-LD document, or (for browsers) its page."""
    documented = schemas.responses(404, 422, ok=200, model=model, media=media)
    documented[200]["content"]["text/html"] = {"schema": schemas.ref(schemas.HtmlPage)}
    documented[200]["headers"] = {
        "Vary": {"description": "`Accept`: JSON-LD or a page", "schema": {"type": "string"}}
    }
    return documented


@router.get(
    "/credentials/{credential_id}",
    summary="A credential at its id (a page with a live verdict for browsers)",
    description="The credential exactly as signed (its status is in its status list, not here). "
    + NEGOTIATED,
    response_class=Response,
    responses=_negotiated(schemas.Credential, VC_MEDIA),
)
def credential(credential_id: str, request: Request, services: ServicesDep) -> Response:
    if _wants_page(request):
        answer = pages.badge(request, credential_id)
    else:
        text = publishing.credential_text(services, credential_id)
        answer = Response(text, media_type=VC_MEDIA, headers={"Cache-Control": "public, max-age=3600"})
    answer.headers["Vary"] = "Accept"
    return answer


@router.get(
    "/credentials/{credential_id}/credential.json",
    summary="The credential exactly as signed, as a download",
    response_class=Response,
    responses=schemas.responses(404, 422, ok=200, model=schemas.Credential, media=VC_MEDIA),
)
def credential_download(credential_id: str, services: ServicesDep) -> Response:
    """The same bytes as the credential's id answers machines, whatever the client accepts."""
    text = publishing.credential_text(services, credential_id)
    headers = {
        "Cache-Control": "public, max-age=3600",
        "Content-Disposition": f'attachment; filename="badge-{credential_id[:64]}.json"',
    }
    return Response(text, media_type=VC_MEDIA, headers=headers)


@router.get(
    "/credentials/{credential_id}/baked.{kind}",
    summary="The credential baked into its badge image (PNG or SVG)",
    response_class=Response,
    responses={
        200: {
            "description": "baked (OB 3.0): PNG iTXt `openbadgecredential`, SVG `openbadges:credential`",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **schemas.responses(404, 422),
    },
)
def baked(credential_id: str, kind: Literal["png", "svg"], services: ServicesDep) -> Response:
    """The achievement's own image with the credential (exactly as signed) baked in; a badge drawn
    from the achievement's name when it has no image stored here. Unbaking gives back the credential."""
    image = publishing.baked_badge(services, credential_id, kind)
    headers = {
        "Cache-Control": "public, max-age=3600",
        "Content-Disposition": f'attachment; filename="badge-{credential_id[:64]}.{kind}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(image.data, media_type=image.media_type, headers=headers)


@router.get(
    "/issuers/{issuer}",
    summary="An issuer's Profile (a page listing its achievements for browsers)",
    description=NEGOTIATED,
    response_class=Response,
    responses=_negotiated(schemas.ProfileDocument, LD_MEDIA),
)
def issuer_profile(issuer: str, request: Request, services: ServicesDep) -> Response:
    if _wants_page(request):
        answer = pages.issuer(request, issuer)
        answer.headers["Vary"] = "Accept"
        return answer
    return _json(publishing.issuer_profile(services, issuer), LD_MEDIA, 300, vary=True)


@router.get(
    "/issuers/{issuer}/did.json",
    summary="An issuer's DID document",
    response_class=Response,
    responses=schemas.responses(404, 422, ok=200, model=schemas.DidDocument, media=DID_MEDIA),
)
def issuer_did(issuer: str, services: ServicesDep) -> Response:
    """did:web issuers list every key (current and retired) under ``assertionMethod``."""
    return _json(publishing.issuer_did_document(services, issuer), DID_MEDIA, 300)


@router.get(
    "/issuers/{issuer}/achievements/{achievement}",
    summary="An achievement (current version; a page with how many were awarded for browsers)",
    description=NEGOTIATED,
    response_class=Response,
    responses=_negotiated(schemas.AchievementDocument, LD_MEDIA),
)
def achievement_current(issuer: str, achievement: str, request: Request, services: ServicesDep) -> Response:
    return achievement_version(issuer, achievement, None, request, services)


@router.get(
    "/issuers/{issuer}/achievements/{achievement}/versions/{version}",
    summary="One achievement version (a page for browsers)",
    description=NEGOTIATED,
    response_class=Response,
    responses=_negotiated(schemas.AchievementDocument, LD_MEDIA),
)
def achievement_version(
    issuer: str,
    achievement: str,
    version: Annotated[int | None, Path(ge=1, le=MAX_INT)],
    request: Request,
    services: ServicesDep,
) -> Response:
    if _wants_page(request):
        answer = pages.achievement(request, issuer, achievement, version)
        answer.headers["Vary"] = "Accept"
        return answer
    document = publishing.achievement_document(services, issuer, achievement, version)
    return _json(document, LD_MEDIA, 300 if version is None else 86400, vary=True)


@router.get(
    "/issuers/{issuer}/status/{purpose}/{sequence}",
    summary="A Bitstring Status List credential",
    response_class=Response,
    responses={
        **schemas.responses(404, 422, ok=200, model=schemas.Credential, media=VC_MEDIA),
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
)
def status_list(
    issuer: str,
    purpose: str,
    sequence: Annotated[int, Path(ge=1, le=MAX_INT)],
    request: Request,
    services: ServicesDep,
) -> Response:
    """Signed by the issuer; regenerated when a bit changes. Honours If-None-Match."""
    published = publishing.status_list(services, issuer, purpose, sequence)
    headers = {"ETag": published.etag, "Cache-Control": f"public, max-age={published.ttl_seconds}"}
    if request.headers.get("if-none-match") == published.etag:
        return Response(status_code=304, headers=headers)
    return Response(published.json_text, media_type=VC_MEDIA, headers=headers)
