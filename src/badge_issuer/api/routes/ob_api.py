"""The Open Badges API resource routes (``/ims/ob/v3p0``): credentials and profile, for a bearer
access token's learner. Errors are ``Imsx_StatusInfo`` bodies (OB 3.0), not problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer import errors
from badge_issuer.api import ob_schemas as ob
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.schemas import ref
from badge_issuer.application import learner_records, oauth, wallet_steps
from badge_issuer.application.discovery import API_PATH
from badge_issuer.oauth.scopes import CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE

router = APIRouter(prefix=API_PATH, tags=["Open Badges API"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 100
T = TypeVar("T")

_MINOR = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    503: "server_busy",
}


def imsx(status: int, description: str, *, minor: str | None = None) -> JSONResponse:
    """An ``Imsx_StatusInfo`` error answer."""
    field = {
        "imsx_codeMinorFieldName": "TargetEndSystem",
        "imsx_codeMinorFieldValue": minor or _MINOR[status],
    }
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {"imsx_codeMinorField": [field]},
    }
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _answer_error(exc: errors.BadgeIssuerError) -> JSONResponse:
    if isinstance(exc, errors.Unauthenticated):
        return imsx(401, exc.message)
    if isinstance(exc, errors.Forbidden):
        return imsx(403, exc.message)
    if isinstance(exc, errors.NotFound):
        return imsx(404, exc.message)
    if isinstance(exc, errors.ConfigurationError):
        return imsx(503, "the service cannot do this until its configuration is fixed")
    detail = exc.message
    if isinstance(exc, errors.ValidationFailed) and exc.issues:
        detail += ": " + "; ".join(f"{issue.pointer or '/'} {issue.message}" for issue in exc.issues[:10])
    return imsx(400, detail)


async def run_answering_imsx(call: Callable[[], T]) -> T | JSONResponse:
    try:
        return await run_in_threadpool(call)
    except errors.BadgeIssuerError as exc:
        return _answer_error(exc)


def imsx_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    imsx_body: dict[str, Any] = {ob.JSON: {"schema": ref(ob.ImsxStatusInfo)}}
    answers: dict[int | str, dict[str, Any]] = {
        status: {"description": "Imsx_StatusInfo", "content": imsx_body} for status in statuses
    }
    common = ob.oauth_responses(200, ob.ImsxStatusInfo)
    return {**answers, 413: common[413], 503: common[503]}


def ok_answer(model: type[Any]) -> dict[str, Any]:
    return {"content": {ob.JSON: {"schema": ref(model)}}}


def query_int(value: str | None, name: str, default: int, minimum: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum or len(value) > 9:
        raise errors.InputError(f"{name} must be an integer of at least {minimum}")
    return int(value)


def _query_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.InputError("since must be an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise errors.InputError("since needs a time zone (e.g. 2026-01-01T00:00:00Z)")
    return moment


def page_links(offset: int, limit: int, total: int) -> dict[str, int]:
    """The offsets of the ``Link`` relations of a page (OB 3.0 §Paging): ``first`` and ``last``
    always, ``next`` while items remain after this page, ``prev`` past the start."""
    last = (total - 1) // limit * limit if total else 0
    rels = {"first": 0, "last": last}
    if offset + limit < total:
        rels["next"] = offset + limit
    if offset > 0:
        rels["prev"] = max(0, offset - limit)
    return rels


def links_header(request: Request, offset: int, limit: int, total: int) -> str:
    base = str(request.url.remove_query_params(["limit", "offset"]))
    joiner = "&" if "?" in base else "?"
    return ", ".join(
        f'<{base}{joiner}{urlencode({"limit": limit, "offset": position})}>; rel="{rel}"'
        for rel, position in page_links(offset, limit, total).items()
    )


@router.get(
    "/credentials",
    summary="getCredentials: the learner's credentials (scope credential.readonly), paged by limit/offset",
    response_model=None,
    responses={200: ok_answer(ob.GetCredentialsResponse), **imsx_errors(400, 401, 403)},
)
async def get_credentials(request: Request, services: ServicesDep) -> Response:
    query = request.query_params

    def read() -> tuple[int, int, learner_records.CredentialPage]:
        grant = oauth.bearer(services, request.headers.get("authorization"), CREDENTIAL_READ)
        limit = min(query_int(query.get("limit"), "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
        offset = query_int(query.get("offset"), "offset", 0, 0)
        since = _query_since(query.get("since"))
        return (
            limit,
            offset,
            learner_records.credentials(services, grant.learner, offset=offset, limit=limit, since=since),
        )

    outcome = await run_answering_imsx(read)
    if isinstance(outcome, JSONResponse):
        return outcome
    limit, offset, page = outcome
    body: dict[str, Any] = {}
    if page.credentials:
        body["credential"] = page.credentials
    if page.compact_jws:
        body["compactJwsString"] = page.compact_jws
    headers = {"X-Total-Count": str(page.total), "Link": links_header(request, offset, limit, page.total)}
    return JSONResponse(body, headers=headers)


@router.post(
    "/credentials",
    summary="upsertCredential: store a verified credential (JSON, VC-JWT, baked PNG/SVG) for the learner "
    "(scope credential.upsert); "
    "201 created, 200 replaced, 304 when a newer copy is held",
    status_code=201,
    response_model=None,
    responses={201: ok_answer(ob.HeldCredential), **imsx_errors(400, 401, 403)},
)
async def upsert_credential(request: Request, services: ServicesDep) -> Response:
    data = await request.body()
    content_type = request.headers.get("content-type")

    def write() -> learner_records.Upserted:
        grant = oauth.bearer(services, request.headers.get("authorization"), CREDENTIAL_UPSERT)
        return wallet_steps.upsert_credential(services, grant.learner, data, content_type)

    outcome = await run_answering_imsx(write)
    if isinstance(outcome, JSONResponse):
        return outcome
    if outcome.unchanged:
        return Response(status_code=304)
    status = 201 if outcome.created else 200
    if outcome.format == "jwt":
        return Response(outcome.body, status_code=status, media_type="text/plain")
    media = (content_type or "").partition(";")[0].strip().lower()
    media = media if media in ("application/vc+ld+json", "application/ld+json") else ob.JSON
    return Response(outcome.body, status_code=status, media_type=media)


@router.get(
    "/profile",
    summary="getProfile: the learner's profile (scope profile.readonly)",
    response_model=None,
    responses={200: ok_answer(ob.LearnerProfile), **imsx_errors(400, 401, 403, 404)},
)
async def get_profile(request: Request, services: ServicesDep) -> Response:
    def read() -> dict[str, Any]:
        grant = oauth.bearer(services, request.headers.get("authorization"), PROFILE_READ)
        return learner_records.profile(services, grant.learner)

    outcome = await run_answering_imsx(read)
    return outcome if isinstance(outcome, JSONResponse) else JSONResponse(outcome)


@router.put(
    "/profile",
    summary="putProfile: replace the learner's profile (scope profile.update)",
    response_model=None,
    responses={200: ok_answer(ob.LearnerProfile), **imsx_errors(400, 401, 403)},
)
async def put_profile(request: Request, services: ServicesDep) -> Response:
    data = await request.body()

    def write() -> dict[str, Any]:
        grant = oauth.bearer(services, request.headers.get("authorization"), PROFILE_UPDATE)
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise errors.ParseError("the body is not JSON") from exc
        return learner_records.put_profile(services, grant.learner, document)

    outcome = await run_answering_imsx(write)
    return outcome if isinstance(outcome, JSONResponse) else JSONResponse(outcome)
