"""The OAuth 2.0 endpoints of the Open Badges API (registration, token, revocation) and discovery.

Routes only translate: the form or JSON body becomes an ``HttpRequest`` for the use case, and its
``HttpAnswer`` (Authlib's status, body and headers) goes back as it is.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer.api import ob_schemas as ob
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.rate_limit import rate_limited
from badge_issuer.api.schemas import problem_answer, ref
from badge_issuer.application import discovery, oauth
from badge_issuer.application.oauth import HttpAnswer, HttpRequest

router = APIRouter(tags=["Open Badges API: OAuth 2.0"])

_FORM = "application/x-www-form-urlencoded"


async def http_request(request: Request, *, form: bool) -> HttpRequest:
    """The parts of ``request`` the OAuth endpoints read (the body size is already bounded)."""
    body = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs: tuple[tuple[str, str], ...] = ()
    document: Any = None
    if form and media_type == _FORM:
        pairs = tuple(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif not form and media_type == "application/json":
        try:
            document = json.loads(body)
        except ValueError:
            document = None
    return HttpRequest(
        method=request.method,
        url=str(request.url),
        headers={name.lower(): value for name, value in request.headers.items()},
        query=tuple(request.query_params.multi_items()),
        form=pairs,
        json=document,
    )


def http_answer(answer: HttpAnswer) -> Response:
    headers = {name: value for name, value in answer.headers if name.lower() != "content-type"}
    if isinstance(answer.body, dict):
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)
    return Response(answer.body or b"", status_code=answer.status, headers=headers)


@router.post(
    discovery.REGISTER_PATH,
    summary="OAuth 2.0 Dynamic Client Registration (RFC 7591), open: no initial access token",
    status_code=201,
    response_model=None,
    openapi_extra={"requestBody": {"content": {ob.JSON: {"schema": ref(ob.ClientRegistration)}}}},
    responses={**ob.oauth_responses(201, ob.ClientInformation, 400), 429: problem_answer(429)},
    dependencies=[Depends(rate_limited("oauth"))],
)
async def register(request: Request, services: ServicesDep) -> Response:
    answer = await run_in_threadpool(oauth.register_client, services, await http_request(request, form=False))
    return http_answer(answer)


@router.post(
    discovery.TOKEN_PATH,
    summary="OAuth 2.0 token endpoint: authorization_code (PKCE S256) and refresh_token grants",
    response_model=None,
    responses=ob.oauth_responses(200, ob.TokenResponse, 400, 401),
)
async def token(request: Request, services: ServicesDep) -> Response:
    answer = await run_in_threadpool(oauth.token, services, await http_request(request, form=True))
    return http_answer(answer)


@router.post(
    discovery.REVOKE_PATH,
    summary="OAuth 2.0 token revocation (RFC 7009)",
    response_model=None,
    responses=ob.oauth_responses(200, ob.RevocationResponse, 400, 401),
)
async def revoke(request: Request, services: ServicesDep) -> Response:
    answer = await run_in_threadpool(oauth.revoke, services, await http_request(request, form=True))
    return http_answer(answer)


@router.get(
    discovery.API_PATH + "/discovery",
    summary="Open Badges API Service Description Document (no authentication)",
    response_model=None,
    responses=ob.oauth_responses(200, ob.ServiceDescription),
    tags=["Open Badges API"],
)
def service_description(services: ServicesDep) -> JSONResponse:
    return JSONResponse(
        discovery.service_description(services), headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 authorization server metadata (RFC 8414)",
    response_model=None,
    responses=ob.oauth_responses(200, ob.AuthorizationServerMetadata),
)
def authorization_server_metadata(services: ServicesDep) -> JSONResponse:
    return JSONResponse(
        discovery.authorization_server_metadata(services), headers={"Cache-Control": "public, max-age=3600"}
    )
