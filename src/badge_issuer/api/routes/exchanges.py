"""VC-API exchanges of a claim (VCALM), for the Learner Credential Wallet: HTTP ⇄ ``exchanging.py``.

``GET`` on the exchange URL answers with the protocols it offers (an interaction URL); ``POST``
takes one step: ``{}`` gets the ``VerifiablePresentationRequest``, ``{"verifiablePresentation"}``
the award for the authenticated DID. Presentations are verified like ``/api/v1/verify``, so these
POSTs count against the verify routes' per-client rate limit. Errors are problems.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.routes.vc_api_verify import JsonBytes
from badge_issuer.api.routes.verify import RATE_LIMIT, rate_limited_answers
from badge_issuer.application import exchanging, wallet_steps
from badge_issuer.formats.bounded_json import loads_bounded

router = APIRouter(tags=["VC-API"])
NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/issuers/{issuer}/exchanges/{exchange}",
    summary="VC-API exchange of a claim: the protocols its interaction URL offers",
    response_model=schemas.InteractionProtocols,
    responses=schemas.responses(404, 409),
)
def exchange_protocols(issuer: str, exchange: str, services: ServicesDep) -> JSONResponse:
    return JSONResponse(exchanging.protocols(services, issuer, exchange), headers=NO_STORE)


@router.post(
    "/issuers/{issuer}/exchanges/{exchange}",
    summary="VC-API exchange of a claim: DID Authentication, then the award for that DID (once)",
    response_model=schemas.ExchangeResponse,
    response_model_exclude_none=True,
    dependencies=RATE_LIMIT,
    responses=rate_limited_answers(schemas.responses(400, 404, 409, 415, 422, 429)),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(schemas.ExchangeRequest)}},
        }
    },
)
async def exchange_step(
    issuer: str, exchange: str, body: JsonBytes, request: Request, services: ServicesDep
) -> JSONResponse:
    client = request.client.host if request.client is not None else None
    payload = loads_bounded(body or b"{}", what="the request body")
    answer = await run_in_threadpool(
        wallet_steps.participate, services, issuer, exchange, payload, client=client
    )
    return JSONResponse(answer, headers=NO_STORE)
