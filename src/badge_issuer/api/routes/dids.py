"""Public DID documents (did:web), so anyone can check our signatures without calling us."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from badge_issuer.api.deps import services_of
from badge_issuer.api.services import DEPLOYMENT_KEY
from badge_issuer.crypto.did import did_web_document
from badge_issuer.crypto.keys import public_key_multibase

router = APIRouter(tags=["public"])

DID_MEDIA_TYPE = "application/did+json"


@router.get(
    "/.well-known/did.json",
    summary="The deployment's did:web DID document",
    response_class=JSONResponse,
    responses={200: {"content": {DID_MEDIA_TYPE: {}}}},
)
def deployment_did_document(request: Request) -> JSONResponse:
    services = services_of(request)
    public_key = services.keystore.public_key(DEPLOYMENT_KEY)
    document = did_web_document(services.deployment_did, [(public_key_multibase(public_key), public_key)])
    return JSONResponse(
        document,
        media_type=DID_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )
