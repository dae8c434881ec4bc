"""OpenID4VCI 1.0 (issuer side): HTTP ⇄ ``application/wallet_issuing.py`` and, for the authorization
code grant's token requests, ``application/wallet_authorizing.py``.

Per issuer: Credential Issuer Metadata and Authorization Server metadata at their well-known
URLs (the well-known segment before the identifier's path), credential offers by reference, and
the token, nonce and credential endpoints. Refusals the protocols define are answered as they
require — ``{"error", "error_description"}`` with 400, or 401 and ``WWW-Authenticate`` for a bad
access token — and never cached; everything else (an unknown issuer: 404) is a problem document.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer.api import ob_schemas, schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.application import (
    claiming,
    wallet_authorizing,
    wallet_issuing,
    wallet_notifying,
    wallet_steps,
    wallet_tokens,
)
from badge_issuer.errors import BadgeIssuerError, WalletProtocolError
from badge_issuer.formats.bounded_json import loads_bounded

router = APIRouter(tags=["openid4vci"])
NO_STORE = {"Cache-Control": "no-store"}
PUBLIC = {"Cache-Control": "public, max-age=300"}
MAX_FORM_BYTES = 16_384
MAX_REQUEST_BYTES = 65_536
_AUTH_ERRORS = {"invalid_token": 401, "invalid_client": 401}


def _oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Answers that carry the OAuth error body (``ob_schemas.OAuthError``), not a problem."""
    return {
        status: {
            "description": "an error code the OAuth 2.0 / OpenID4VCI specification names",
            "content": {"application/json": {"schema": schemas.ref(ob_schemas.OAuthError)}},
        }
        for status in statuses
    }


def oauth_error(exc: WalletProtocolError) -> JSONResponse:
    status = _AUTH_ERRORS.get(exc.error, 400)
    headers = dict(NO_STORE)
    if exc.error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="openid4vci"'
    elif status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.message}, status_code=status, headers=headers
    )


@router.get(
    "/.well-known/openid-credential-issuer/issuers/{issuer}",
    summary="OpenID4VCI Credential Issuer Metadata of an issuer (one configuration per achievement)",
    response_model=schemas.CredentialIssuerMetadata,
    responses=schemas.responses(404),
)
def credential_issuer_metadata(issuer: str, services: ServicesDep) -> JSONResponse:
    return JSONResponse(wallet_issuing.issuer_metadata(services, issuer), headers=PUBLIC)


@router.get(
    "/.well-known/oauth-authorization-server/issuers/{issuer}",
    summary="OAuth 2.0 Authorization Server metadata of an issuer's pre-authorized code grant",
    response_model=schemas.AuthorizationServerMetadata,
    responses=schemas.responses(404),
)
def authorization_server_metadata(issuer: str, services: ServicesDep) -> JSONResponse:
    return JSONResponse(wallet_issuing.authorization_server_metadata(services, issuer), headers=PUBLIC)


@router.get(
    "/issuers/{issuer}/openid4vci/offers/{reference}",
    summary="A credential offer by reference (credential_offer_uri), until used or expired",
    response_model=schemas.CredentialOffer,
    responses=schemas.responses(404),
)
def credential_offer(issuer: str, reference: str, services: ServicesDep) -> JSONResponse:
    return JSONResponse(claiming.offer_by_reference(services, issuer, reference), headers=NO_STORE)


@router.post(
    "/issuers/{issuer}/openid4vci/token",
    summary="Token endpoint: a pre-authorized code (and its tx_code), or an authorization code "
    "(PKCE S256, client_secret_basic), for an access token",
    response_model=schemas.TokenResponse,
    responses={**schemas.responses(404), **_oauth_errors(400, 401)},
)
async def token(issuer: str, request: Request, services: ServicesDep) -> JSONResponse:
    try:
        form = await _form(request)
        if form.get("grant_type") == "authorization_code":
            answer = await run_in_threadpool(
                lambda: wallet_tokens.redeem_code(
                    services, issuer, form=form, authorization=request.headers.get("Authorization")
                )
            )
            return JSONResponse(answer, headers={**NO_STORE, "Pragma": "no-cache"})
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:pre-authorized_code":
            raise WalletProtocolError(
                "unsupported_grant_type", "grant_type must be authorization_code or pre-authorized_code"
            )
        issued = await run_in_threadpool(
            wallet_issuing.redeem_pre_authorized_code,
            services,
            issuer,
            code=form.get("pre-authorized_code"),
            tx_code=form.get("tx_code"),
        )
    except WalletProtocolError as exc:
        return oauth_error(exc)
    return JSONResponse(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in},
        headers={**NO_STORE, "Pragma": "no-cache"},
    )


@router.post(
    "/issuers/{issuer}/openid4vci/par",
    summary="Pushed authorization request (RFC 9126): a registered wallet's authorization request, "
    "checked and kept under a one-time request_uri",
    status_code=201,
    response_model=schemas.PushedAuthorizationResponse,
    responses={**schemas.responses(404, 429), **_oauth_errors(400, 401)},
)
async def pushed_authorization_request(issuer: str, request: Request, services: ServicesDep) -> JSONResponse:
    try:
        form = await _form(request)
        answer = await run_in_threadpool(
            lambda: wallet_authorizing.push(
                services, issuer, form, authorization=request.headers.get("Authorization")
            )
        )
    except WalletProtocolError as exc:
        return oauth_error(exc)
    return JSONResponse(answer, status_code=201, headers=NO_STORE)


@router.post(
    "/issuers/{issuer}/openid4vci/nonce",
    summary="Nonce endpoint: a fresh c_nonce for a key proof (single use)",
    response_model=schemas.NonceResponse,
    responses=schemas.responses(404),
)
async def nonce(issuer: str, services: ServicesDep) -> JSONResponse:
    await run_in_threadpool(wallet_issuing.authorization_server_metadata, services, issuer)  # 404 if none
    value = await run_in_threadpool(wallet_issuing.new_nonce, services)
    return JSONResponse({"c_nonce": value}, headers=NO_STORE)


@router.post(
    "/issuers/{issuer}/openid4vci/credential",
    summary="Credential endpoint: the award signed for the DID of the request's jwt key proof",
    response_model=schemas.CredentialResponse,
    responses={**schemas.responses(404), **_oauth_errors(400, 401)},
)
async def credential(issuer: str, request: Request, services: ServicesDep) -> JSONResponse:
    try:
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not access_token:
            raise WalletProtocolError(
                "invalid_token", "a Bearer access token from the token endpoint is needed"
            )
        body = await _json(request)
        issued = await run_in_threadpool(
            wallet_steps.issue_to_wallet, services, issuer, access_token=access_token.strip(), body=body
        )
    except WalletProtocolError as exc:
        return oauth_error(exc)
    return JSONResponse(issued, headers=NO_STORE)


@router.post(
    "/issuers/{issuer}/openid4vci/notification",
    summary="Notification endpoint: the wallet reports credential_accepted, credential_failure or "
    "credential_deleted for a credential response's notification_id (204)",
    status_code=204,
    response_class=Response,
    responses={**schemas.responses(404), **_oauth_errors(400, 401)},
)
async def notification(issuer: str, request: Request, services: ServicesDep) -> Response:
    try:
        scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not access_token:
            raise WalletProtocolError(
                "invalid_token", "a Bearer access token from the token endpoint is needed"
            )
        try:
            body = await _json(request)
        except WalletProtocolError as exc:
            raise WalletProtocolError("invalid_notification_request", exc.message) from None
        await run_in_threadpool(
            lambda: wallet_notifying.notify(services, issuer, access_token=access_token.strip(), body=body)
        )
    except WalletProtocolError as exc:
        return oauth_error(exc)
    return Response(status_code=204, headers=NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise WalletProtocolError(
            "invalid_request", "the token request must be application/x-www-form-urlencoded"
        )
    raw = await _bounded_body(request, MAX_FORM_BYTES)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise WalletProtocolError("invalid_request", "the form is not valid UTF-8 form encoding") from None
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise WalletProtocolError("invalid_request", "a form parameter is repeated")
    return dict(pairs)


async def _json(request: Request) -> Any:
    media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise WalletProtocolError(
            "invalid_credential_request", "the credential request must be application/json"
        )
    raw = await _bounded_body(request, MAX_REQUEST_BYTES)
    try:
        return loads_bounded(raw)
    except BadgeIssuerError:  # malformed, too deep or too large: the protocol's error, never a 500
        raise WalletProtocolError("invalid_credential_request", "the body is not JSON") from None


async def _bounded_body(request: Request, limit: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise WalletProtocolError("invalid_request", f"the request body is larger than {limit} bytes")
    return body
