"""Public documents, no authentication: credentials, issuer profiles and DIDs, achievements,
status lists and images. Anyone can check a badge without calling the issuer's staff."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from badge_issuer.api.deps import services_of
from badge_issuer.crypto.did import did_key_document, did_web_document
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.documents import profile_document, served_achievement
from badge_issuer.errors import NotFound
from badge_issuer.issuers import did_keys
from badge_issuer.revocation import StatusSessions, status_list_credential

router = APIRouter(tags=["public"])

VC_MEDIA = "application/vc+ld+json"
LD_MEDIA = "application/ld+json"
DID_MEDIA = "application/did+json"
#: largest integer a path may carry (the database columns are 32-bit)
MAX_INT = 2**31 - 1


def _json(document: Any, media_type: str, max_age: int) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"})


@router.get(
    "/credentials/{credential_id}",
    summary="A credential at its id",
    response_class=Response,
    responses={200: {"content": {VC_MEDIA: {}}}},
)
def credential(credential_id: str, request: Request) -> Response:
    """The credential exactly as signed (its status is in its status list, not here)."""
    with services_of(request).readers() as session:
        record = CredentialRepository(session).get(credential_id)
        text = record.credential_json
    return Response(text, media_type=VC_MEDIA, headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/issuers/{issuer}",
    summary="An issuer's Profile",
    response_class=Response,
    responses={200: {"content": {LD_MEDIA: {}}}},
)
def issuer_profile(issuer: str, request: Request) -> Response:
    with services_of(request).readers() as session:
        document = profile_document(IssuerRepository(session).by_slug(issuer))
    return _json(document, LD_MEDIA, 300)


@router.get(
    "/issuers/{issuer}/did.json",
    summary="An issuer's DID document",
    response_class=Response,
    responses={200: {"content": {DID_MEDIA: {}}}},
)
def issuer_did(issuer: str, request: Request) -> Response:
    """did:web issuers list every key (current and retired) under ``assertionMethod``."""
    with services_of(request).readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        if row.did_method == "key":
            document = did_key_document(row.did)
        else:
            document = did_web_document(row.did, did_keys(row, session))
    return _json(document, DID_MEDIA, 300)


@router.get(
    "/issuers/{issuer}/achievements/{achievement}",
    summary="An achievement (current version)",
    response_class=Response,
    responses={200: {"content": {LD_MEDIA: {}}}},
)
def achievement_current(issuer: str, achievement: str, request: Request) -> Response:
    return achievement_version(issuer, achievement, None, request)


@router.get(
    "/issuers/{issuer}/achievements/{achievement}/versions/{version}",
    summary="One achievement version",
    response_class=Response,
    responses={200: {"content": {LD_MEDIA: {}}}},
)
def achievement_version(
    issuer: str, achievement: str, version: Annotated[int | None, Path(ge=1, le=MAX_INT)], request: Request
) -> Response:
    with services_of(request).readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        repo = AchievementRepository(session)
        item = repo.get(row.id, achievement)
        document = json.loads(repo.version(item, version).document_json)
    return _json(served_achievement(document), LD_MEDIA, 300 if version is None else 86400)


@router.get(
    "/issuers/{issuer}/status/{purpose}/{sequence}",
    summary="A Bitstring Status List credential",
    response_class=Response,
    responses={200: {"content": {VC_MEDIA: {}}}, 304: {"description": "unchanged"}},
)
def status_list(
    issuer: str, purpose: str, sequence: Annotated[int, Path(ge=1, le=MAX_INT)], request: Request
) -> Response:
    """Signed by the issuer; regenerated when a bit changes. Honours If-None-Match."""
    services = services_of(request)
    if purpose not in ("revocation", "suspension"):
        raise NotFound(f"no {purpose!r} status lists")
    published = status_list_credential(
        StatusSessions(readers=services.readers, writers=services.sessions),
        issuer,
        purpose,
        sequence,
        tools=services.issuance,
        ttl_seconds=services.settings.status_list_ttl_seconds,
    )
    headers = {"ETag": published.etag, "Cache-Control": f"public, max-age={published.ttl_seconds}"}
    if request.headers.get("if-none-match") == published.etag:
        return Response(status_code=304, headers=headers)
    return Response(published.json_text, media_type=VC_MEDIA, headers=headers)
