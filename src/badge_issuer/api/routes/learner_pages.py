"""The learner's pages: the authorization (sign-in with an emailed code, consent) and connected apps.

A learner proves an email address with a one-time code, then approves or denies the scopes a
wallet asks for; the consent is remembered (the next request of that wallet for those scopes
goes straight back with a code) until the learner withdraws it on ``/learner/apps``. The
session cookie is HttpOnly and SameSite=Lax, and every form that acts carries a token derived
from it. An error for the app goes back to it only when a learner is signed in. Pages are the
site's Jinja templates (``api/html.py``), never cached.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.html import CONTENT_SECURITY_POLICY, Pages
from badge_issuer.api.rate_limit import RateLimit
from badge_issuer.api.routes.oauth import http_answer
from badge_issuer.application import learners, oauth
from badge_issuer.application.discovery import AUTHORIZE_PATH
from badge_issuer.application.oauth import HttpRequest, Prompt
from badge_issuer.errors import (
    AuthorizationRefused,
    MailUnavailable,
    RateLimited,
    SignInFailed,
    ValidationFailed,
)
from badge_issuer.oauth.scopes import IN_PLAIN_WORDS

router = APIRouter(tags=["Open Badges API: learner pages"], include_in_schema=False)

COOKIE = "badge_learner"
APPS_PATH = "/learner/apps"
_MAX_FORM = 16_384
START_AGAIN = "Start again from the app you came from."
#: pages with a form token or a session's data are never stored by caches
_PRIVATE = {"Cache-Control": "no-store"}


def _pages(request: Request) -> Pages:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages


def render_private(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    return _pages(request).render(template, status=status, headers={**_PRIVATE, **(headers or {})}, **context)


def message_page(
    request: Request,
    title: str,
    message: str,
    *,
    status: int,
    link: str = "",
    link_text: str = "",
    error: bool = True,
) -> Response:
    return render_private(
        request,
        "learner_message.html",
        status=status,
        title=title,
        message=message,
        link=link,
        link_text=link_text,
        error=error,
    )


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


async def read_form(request: Request) -> list[tuple[str, str]]:
    body = await request.body()
    if len(body) > _MAX_FORM:
        return []
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def _safe_next(value: str | None) -> str:
    """A path on this site to return to (never another origin)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return APPS_PATH


def _oauth_request(request: Request, params: list[tuple[str, str]]) -> HttpRequest:
    return HttpRequest(
        method="GET",
        url=str(request.url),
        headers={name.lower(): value for name, value in request.headers.items()},
        query=tuple(params),
    )


def sign_in_page(request: Request, next_path: str, *, message: str = "", status: int = 200) -> Response:
    return render_private(
        request, "learner_sign_in.html", status=status, next_path=next_path, message=message
    )


def _code_page(
    request: Request, sign_in: str, next_path: str, *, message: str = "", status: int = 200
) -> Response:
    return render_private(
        request, "learner_code.html", status=status, sign_in=sign_in, next_path=next_path, message=message
    )


def _consent_page(request: Request, prompt: Prompt, params: list[tuple[str, str]], csrf: str) -> Response:
    # the approval redirects the browser to the wallet: the form may lead there, and nowhere else
    redirect = urlsplit(dict(params).get("redirect_uri", ""))
    target = f"{redirect.scheme}://{redirect.netloc}" if redirect.scheme and redirect.netloc else ""
    policy = CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {target}".rstrip())
    scopes = [IN_PLAIN_WORDS.get(scope, scope) for scope in prompt.scopes]
    return render_private(
        request,
        "consent.html",
        headers={"Content-Security-Policy": policy},
        prompt=prompt,
        scopes=scopes,
        params=params,
        csrf=csrf,
    )


def _refused(request: Request, message: str) -> Response:
    return message_page(request, "This request cannot be authorized", message, status=400)


def _not_redirected(request: Request, headers: dict[str, str]) -> Response:
    """An error the app would be sent when no learner is signed in: apps register themselves (any
    https host), so redirecting then would make this origin an open redirector (RFC 9700
    §4.11.2). The page says why and names the app's host, with no link."""
    target = urlsplit(headers.get("location", ""))
    query = dict(parse_qsl(target.query))
    error = query.get("error", "invalid_request")
    why = query.get("error_description", error)
    message = f"{why} ({error}); you were not sent back to the app at {target.hostname or ''}"
    return _refused(request, message)


@router.get(AUTHORIZE_PATH)
async def authorize(request: Request, services: ServicesDep) -> Response:
    params = list(request.query_params.multi_items())
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    try:
        outcome = await run_in_threadpool(oauth.review, services, _oauth_request(request, params), learner)
    except AuthorizationRefused as exc:
        return _refused(request, exc.message)
    if not isinstance(outcome, Prompt):
        if learner is None:  # an error for the app: only a signed-in learner is sent back with it
            return _not_redirected(request, dict((name.lower(), value) for name, value in outcome.headers))
        return http_answer(outcome)
    if learner is None or session_token is None:
        return sign_in_page(request, AUTHORIZE_PATH + "?" + urlencode(params))
    return _consent_page(request, outcome, params, learners.csrf_token(session_token))


@router.post(AUTHORIZE_PATH)
async def decide(request: Request, services: ServicesDep) -> Response:
    fields = await read_form(request)
    values = dict(fields)
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return message_page(
            request, "Your session has ended", "Start again from the app you came from.", status=401
        )
    if not hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        return message_page(
            request, "This form has expired", "Start again from the app you came from.", status=403
        )
    params = [(name, value) for name, value in fields if name not in ("csrf", "decision")]
    approve = values.get("decision") == "approve"
    try:
        answer = await run_in_threadpool(
            lambda: oauth.decide(services, _oauth_request(request, params), learner, approve=approve)
        )
    except AuthorizationRefused as exc:
        return _refused(request, exc.message)
    return http_answer(answer)


def _count(request: Request) -> None:
    """Count a sign-in step against the client's ``oauth`` rate limit (they send email)."""
    limit: RateLimit = request.app.state.rate_limits["oauth"]
    limit.hit(request.client.host if request.client is not None else "unknown")


@router.post("/learner/sign-in")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    values = dict(await read_form(request))
    next_path = _safe_next(values.get("next"))
    try:
        _count(request)
        sign_in_id = await run_in_threadpool(learners.start_sign_in, services, values.get("email", ""))
    except ValidationFailed:
        return sign_in_page(request, next_path, message="That is not an email address.", status=400)
    except RateLimited:
        return sign_in_page(
            request, next_path, message="Too many codes were asked for; try again later.", status=429
        )
    except MailUnavailable:
        return sign_in_page(
            request, next_path, message="Email cannot be sent right now; try again later.", status=503
        )
    return _code_page(request, sign_in_id, next_path)


@router.post("/learner/sign-in/code")
async def sign_in_code(request: Request, services: ServicesDep) -> Response:
    values = dict(await read_form(request))
    next_path = _safe_next(values.get("next"))
    sign_in_id = values.get("sign_in", "")
    try:
        _count(request)
        token = await run_in_threadpool(learners.finish_sign_in, services, sign_in_id, values.get("code", ""))
    except SignInFailed as exc:
        return _code_page(request, sign_in_id, next_path, message=exc.message, status=400)
    except RateLimited:
        return _code_page(request, sign_in_id, next_path, message="too many tries; wait a minute", status=429)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=services.settings.learner_session_seconds,
        httponly=True,
        samesite="lax",
        secure=services.base_url.startswith("https://"),
        path="/",
    )
    return response


@router.get(APPS_PATH)
async def connected_apps(request: Request, services: ServicesDep) -> Response:
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return sign_in_page(request, APPS_PATH)
    apps = await run_in_threadpool(learners.connected_apps, services, learner)
    shown = [
        {
            "client_id": app.client_id,
            "name": app.name,
            "client_uri": app.client_uri,
            "granted": app.granted,
            "scopes": [IN_PLAIN_WORDS.get(scope, scope) for scope in app.scopes],
        }
        for app in apps
    ]
    return render_private(request, "connected_apps.html", apps=shown, csrf=learners.csrf_token(session_token))


@router.post("/learner/sign-out")
async def sign_out(request: Request, services: ServicesDep) -> Response:
    values = dict(await read_form(request))
    session_token = session_cookie(request)
    if session_token and hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        await run_in_threadpool(learners.sign_out, services, session_token)
    response = message_page(request, "Signed out", "You are signed out.", status=200, error=False)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post(APPS_PATH + "/withdraw")
async def withdraw(request: Request, services: ServicesDep) -> Response:
    values = dict(await read_form(request))
    session_token = session_cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return sign_in_page(request, APPS_PATH, status=401)
    if not hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        return message_page(
            request,
            "This form has expired",
            "Open your connected apps again.",
            status=403,
            link=APPS_PATH,
            link_text="Your connected apps",
        )
    await run_in_threadpool(learners.withdraw, services, learner, values.get("client_id", ""))
    return RedirectResponse(APPS_PATH, status_code=303)
