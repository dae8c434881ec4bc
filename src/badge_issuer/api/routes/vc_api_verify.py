"""The W3C VC-API verifier routes: ``POST /credentials/verify`` and ``POST /presentations/verify``.

Public, like ``/api/v1/verify`` (and under the same rate limit). **200** ``{verified: true, checks,
warnings, errors, report}`` when verified; anything else is **400** ``application/problem+json``
whose body carries the same members with ``verified: false`` — a credential that does not verify
(what the VC-API verifier and Data Integrity test suites expect), and a request that is not JSON
or is not a verify request — except options this verifier does not understand (**422**, also with
those members), bodies over the size bound (413), non-JSON media types (415) and the rate limit
(429).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.problems import PROBLEM_MEDIA_TYPE, domain_problem, problem_body
from badge_issuer.api.routes.verify import RATE_LIMIT, rate_limited_answers
from badge_issuer.application import vc_api_verifying
from badge_issuer.application.services import Services
from badge_issuer.application.vc_api_verifying import VcApiResult
from badge_issuer.errors import InputError, UnsupportedMediaType
from badge_issuer.formats.bounded_json import loads_bounded

router = APIRouter(tags=["VC-API"])


def _body(request_body: type[Any]) -> dict[str, Any]:
    """The documented JSON request body (the route reads and judges the bytes itself)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(request_body)}},
        }
    }


def _answers() -> dict[int | str, dict[str, Any]]:
    documented = rate_limited_answers(
        schemas.responses(400, 415, 422, 429, ok=200, model=schemas.VcApiVerification)
    )
    documented[400]["description"] = (
        "Not verified: the body is a problem whose members also include verified (false), checks, "
        "warnings, errors and report, as in the 200 answer; also for a body that is not a verify request"
    )
    documented[422]["description"] = "Options this verifier does not understand (same members as 400)"
    return documented


async def json_bytes(request: Request) -> bytes:
    """The body, read here so the handlers can run in the thread pool; JSON by its media type."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            "the VC-API takes a JSON body: send it with Content-Type: application/json"
        )
    return await request.body()


JsonBytes = Annotated[bytes, Depends(json_bytes)]


def _answer(
    verify: Callable[..., VcApiResult], services: Services, data: bytes, request: Request
) -> JSONResponse:
    """200 with the result when verified, else a 400 problem carrying the result's members."""
    client = request.client.host if request.client is not None else None
    try:
        result = verify(services, loads_bounded(data, what="the request body"), client=client)
    except InputError as exc:
        problem = domain_problem(exc)
        return JSONResponse(
            {**problem, **vc_api_verifying.refused(exc).to_json()},
            status_code=problem["status"],
            media_type=PROBLEM_MEDIA_TYPE,
        )
    if result.verified:
        return JSONResponse(result.to_json())
    detail = result.errors[0] if result.errors else "not verified"
    problem = problem_body(400, "not-verified", "Not verified", detail)
    return JSONResponse({**problem, **result.to_json()}, status_code=400, media_type=PROBLEM_MEDIA_TYPE)


@router.post(
    "/credentials/verify",
    summary="VC-API: verify a Verifiable Credential",
    description=(
        "W3C VC-API `POST /credentials/verify`: `{verifiableCredential, options: {checks}}`. Open Badges "
        "and CLR credentials are held to their JSON Schemas, any other VerifiableCredential (VCDM 2.0 "
        "or 1.1) to the VC Data Model rules; both to their proofs, issuer key, validity and status."
    ),
    response_class=JSONResponse,
    dependencies=RATE_LIMIT,
    responses=_answers(),
    openapi_extra=_body(schemas.VerifyCredentialRequest),
)
def verify_credential(services: ServicesDep, body: JsonBytes, request: Request) -> JSONResponse:
    return _answer(vc_api_verifying.verify_credential_request, services, body, request)


@router.post(
    "/presentations/verify",
    summary="VC-API: verify a Verifiable Presentation and the credentials it holds",
    description=(
        "W3C VC-API `POST /presentations/verify`: `{verifiablePresentation, options: {challenge, "
        "domain}}`. With a challenge or domain, the presentation must carry an authentication proof "
        "with them; every credential it holds must verify too."
    ),
    response_class=JSONResponse,
    dependencies=RATE_LIMIT,
    responses=_answers(),
    openapi_extra=_body(schemas.VerifyPresentationRequest),
)
def verify_presentation(services: ServicesDep, body: JsonBytes, request: Request) -> JSONResponse:
    return _answer(vc_api_verifying.verify_presentation_request, services, body, request)
