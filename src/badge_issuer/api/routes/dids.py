"""Public DID documents (did:web), so anyone can check our signatures without calling us."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.application import publishing

router = APIRouter(tags=["public"])

DID_MEDIA_TYPE = "application/did+json"


@router.get(
    "/.well-known/did.json",
    summary="The deployment's did:web DID document",
    response_class=Response,
    responses=schemas.responses(ok=200, model=schemas.DidDocument, media=DID_MEDIA_TYPE),
)
def deployment_did_document(services: ServicesDep) -> JSONResponse:
    return JSONResponse(
        publishing.deployment_did_document(services),
        media_type=DID_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )
