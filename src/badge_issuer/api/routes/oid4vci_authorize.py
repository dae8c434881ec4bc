"""The OpenID4VCI authorization endpoint of an issuer (authorization code grant): HTTP ⇄
``application/wallet_authorizing.py``.

A learner not signed in gets #13's email sign-in first (``next`` brings them back here), then the
consent page naming the wallet and the badges; the answer redirects to the wallet's registered
``redirect_uri`` with the code (and ``state``, ``iss``) or the error. A request whose client or
``redirect_uri`` is not recognised is never redirected: the learner sees why. Nor is any error
when no learner is signed in: wallets register themselves (any https host), so an error redirect
without a session would make this origin an open redirector (RFC 9700 §4.11.2) — the page names
the wallet's host instead, with no automatic redirect and no link.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.html import CONTENT_SECURITY_POLICY
from badge_issuer.api.routes.learner_pages import (
    START_AGAIN,
    message_page,
    read_form,
    render_private,
    session_cookie,
    sign_in_page,
)
from badge_issuer.application import learners, wallet_authorizing
from badge_issuer.errors import WalletAuthorizationRefused, WalletProtocolError

router = APIRouter(tags=["openid4vci"], include_in_schema=False)
PATH = "/issuers/{issuer}/openid4vci/authorize"


def _refused(
    request: Request, services: ServicesDep, issuer: str, exc: WalletProtocolError, *, signed_in: bool
) -> Response:
    """Back to the wallet with the error only for a signed-in learner (whose client and
    ``redirect_uri`` were recognised); otherwise a page, which names where it did not go."""
    if isinstance(exc, WalletAuthorizationRefused) and signed_in:
        return RedirectResponse(wallet_authorizing.refusal_redirect(services, issuer, exc), status_code=302)
    message = exc.message
    if isinstance(exc, WalletAuthorizationRefused):
        host = urlsplit(exc.redirect_uri).hostname or ""
        message = f"{message} ({exc.error}); you were not sent back to the wallet at {host}"
    return message_page(request, "This request cannot be authorized", message, status=400)


@router.get(PATH)
async def authorize(issuer: str, request: Request, services: ServicesDep) -> Response:
    params = list(request.query_params.multi_items())
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    try:
        prompt = await run_in_threadpool(wallet_authorizing.review, services, issuer, params)
    except WalletProtocolError as exc:
        return _refused(request, services, issuer, exc, signed_in=learner is not None)
    if learner is None or session_token is None:
        return sign_in_page(request, request.url.path + "?" + urlencode(params))
    # the answer redirects the browser to the wallet: the form may lead there, and nowhere else
    policy = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {prompt.redirect_origin}"
    )
    return render_private(
        request,
        "wallet_consent.html",
        headers={"Content-Security-Policy": policy},
        prompt=prompt,
        params=params,
        action=str(request.url.path),
        csrf=learners.csrf_token(session_token),
    )


@router.post(PATH)
async def decide(issuer: str, request: Request, services: ServicesDep) -> Response:
    fields = await read_form(request)
    values = dict(fields)
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return message_page(request, "Your session has ended", START_AGAIN, status=401)
    if not hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        return message_page(request, "This form has expired", START_AGAIN, status=403)
    params = [(name, value) for name, value in fields if name not in ("csrf", "decision")]
    approve = values.get("decision") == "approve"
    try:
        location = await run_in_threadpool(
            lambda: wallet_authorizing.decide(services, issuer, params, learner, approve=approve)
        )
    except WalletProtocolError as exc:
        return _refused(request, services, issuer, exc, signed_in=True)
    return RedirectResponse(location, status_code=302)
