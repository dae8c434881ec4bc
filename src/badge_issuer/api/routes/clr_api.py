"""The CLR 2.0 API resource routes (``/ims/clr/v2p0``): the learner's own ClrCredentials for a
bearer access token of scope ``…/clr/v2p0/scope/credential.readonly``. Errors are
``Imsx_StatusInfo`` bodies, paging is ``limit``/``offset`` with ``X-Total-Count`` and ``Link``,
as in the Open Badges API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from badge_issuer.api import ob_schemas as ob
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.routes.ob_api import imsx_errors, links_header, ok_answer, query_int, run_answering_imsx
from badge_issuer.application import learner_clr, oauth
from badge_issuer.application.discovery import CLR_API_PATH, clr_service_description
from badge_issuer.oauth.scopes import CLR_CREDENTIAL_READ

router = APIRouter(prefix=CLR_API_PATH, tags=["CLR 2.0 API"])


@router.get(
    "/credentials",
    summary="getCredentials: the learner's ClrCredentials, one per issuer that awarded them an "
    "active badge (scope clr credential.readonly), paged by limit/offset",
    response_model=None,
    responses={200: ok_answer(ob.GetClrCredentialsResponse), **imsx_errors(400, 401, 403)},
)
async def get_clr_credentials(request: Request, services: ServicesDep) -> Response:
    query = request.query_params

    def read() -> tuple[int, int, learner_clr.ClrPage]:
        grant = oauth.bearer(services, request.headers.get("authorization"), CLR_CREDENTIAL_READ)
        limit = min(query_int(query.get("limit"), "limit", learner_clr.MAX_PAGE, 1), learner_clr.MAX_PAGE)
        offset = query_int(query.get("offset"), "offset", 0, 0)
        return limit, offset, learner_clr.learner_clrs(services, grant.learner, offset=offset, limit=limit)

    outcome = await run_answering_imsx(read)
    if isinstance(outcome, JSONResponse):
        return outcome
    limit, offset, page = outcome
    body: dict[str, Any] = {"credential": page.credentials} if page.credentials else {}
    headers = {"X-Total-Count": str(page.total), "Link": links_header(request, offset, limit, page.total)}
    return JSONResponse(body, headers=headers)


@router.get(
    "/discovery",
    summary="getServiceDescription: the CLR 2.0 API's Service Description Document (no token)",
    response_model=None,
    responses=ob.oauth_responses(200, ob.ServiceDescription),
)
def clr_discovery(services: ServicesDep) -> JSONResponse:
    return JSONResponse(clr_service_description(services), headers={"Cache-Control": "public, max-age=3600"})
