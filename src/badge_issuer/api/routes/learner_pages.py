"""The learner's pages: the authorization (sign-in with an emailed code, consent) and connected apps.

A learner proves an email address with a one-time code, then approves or denies the scopes a
wallet asks for; the consent is remembered (the next request of that wallet for those scopes
goes straight back with a code) until the learner withdraws it on ``/learner/apps``. The
session cookie is HttpOnly and SameSite=Lax, and every form that acts carries a token derived
from it.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.html import hidden, page, text
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


def _cookie(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


async def _form(request: Request) -> list[tuple[str, str]]:
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


def sign_in_page(next_path: str, *, message: str = "", status: int = 200) -> Response:
    error = f'<p class="error">{text(message)}</p>' if message else ""
    return page(
        "Sign in with your email address",
        f"{error}<p>We will email you a one-time code. Use the address your badges were sent to.</p>"
        f'<form method="post" action="/learner/sign-in">{hidden({"next": next_path})}'
        '<label>Email address <input type="email" name="email" required maxlength="320" autofocus></label> '
        "<button>Send code</button></form>",
        status=status,
    )


def _code_page(sign_in: str, next_path: str, *, message: str = "", status: int = 200) -> Response:
    error = f'<p class="error">{text(message)}</p>' if message else ""
    return page(
        "Enter your code",
        f"{error}<p>If badges can be sent to that address, a code is on its way. "
        "It works for a few minutes.</p>"
        '<form method="post" action="/learner/sign-in/code">'
        f"{hidden({'next': next_path, 'sign_in': sign_in})}"
        '<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required '
        'maxlength="16" autofocus></label> <button>Sign in</button></form>',
        status=status,
    )


def _consent_page(prompt: Prompt, params: list[tuple[str, str]], csrf: str) -> Response:
    scopes = "".join(f"<li>{text(IN_PLAIN_WORDS.get(scope, scope))}</li>" for scope in prompt.scopes)
    return page(
        f"Connect {prompt.client_name}?",
        f'<p><img src="{text(prompt.logo_uri)}" alt="" height="48"> <a href="{text(prompt.client_uri)}">'
        f"{text(prompt.client_name)}</a> would like to:</p><ul>{scopes}</ul>"
        f'<p><a href="{text(prompt.tos_uri)}">Its terms</a> · '
        f'<a href="{text(prompt.policy_uri)}">its privacy policy</a>. '
        f'You can withdraw this on <a href="{APPS_PATH}">your connected apps</a>.</p>'
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden(params)}{hidden({"csrf": csrf})}'
        '<button name="decision" value="approve">Allow</button>'
        '<button name="decision" value="deny">Deny</button></form>',
    )


def _refused(message: str) -> Response:
    return page("This request cannot be authorized", f'<p class="error">{text(message)}</p>', status=400)


@router.get(AUTHORIZE_PATH)
async def authorize(request: Request, services: ServicesDep) -> Response:
    params = list(request.query_params.multi_items())
    session_token = _cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    try:
        outcome = await run_in_threadpool(oauth.review, services, _oauth_request(request, params), learner)
    except AuthorizationRefused as exc:
        return _refused(exc.message)
    if not isinstance(outcome, Prompt):
        return http_answer(outcome)
    if learner is None or session_token is None:
        return sign_in_page(AUTHORIZE_PATH + "?" + urlencode(params))
    return _consent_page(outcome, params, learners.csrf_token(session_token))


@router.post(AUTHORIZE_PATH)
async def decide(request: Request, services: ServicesDep) -> Response:
    fields = await _form(request)
    values = dict(fields)
    session_token = _cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return page("Your session has ended", "<p>Start again from the app you came from.</p>", status=401)
    if not hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        return page("This form has expired", "<p>Start again from the app you came from.</p>", status=403)
    params = [(name, value) for name, value in fields if name not in ("csrf", "decision")]
    approve = values.get("decision") == "approve"
    try:
        answer = await run_in_threadpool(
            lambda: oauth.decide(services, _oauth_request(request, params), learner, approve=approve)
        )
    except AuthorizationRefused as exc:
        return _refused(exc.message)
    return http_answer(answer)


def _count(request: Request) -> None:
    """Count a sign-in step against the client's ``oauth`` rate limit (they send email)."""
    limit: RateLimit = request.app.state.rate_limits["oauth"]
    limit.hit(request.client.host if request.client is not None else "unknown")


@router.post("/learner/sign-in")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    values = dict(await _form(request))
    next_path = _safe_next(values.get("next"))
    try:
        _count(request)
        sign_in_id = await run_in_threadpool(learners.start_sign_in, services, values.get("email", ""))
    except ValidationFailed:
        return sign_in_page(next_path, message="That is not an email address.", status=400)
    except RateLimited:
        return sign_in_page(next_path, message="Too many codes were asked for; try again later.", status=429)
    except MailUnavailable:
        return sign_in_page(next_path, message="Email cannot be sent right now; try again later.", status=503)
    return _code_page(sign_in_id, next_path)


@router.post("/learner/sign-in/code")
async def sign_in_code(request: Request, services: ServicesDep) -> Response:
    values = dict(await _form(request))
    next_path = _safe_next(values.get("next"))
    sign_in_id = values.get("sign_in", "")
    try:
        _count(request)
        token = await run_in_threadpool(learners.finish_sign_in, services, sign_in_id, values.get("code", ""))
    except SignInFailed as exc:
        return _code_page(sign_in_id, next_path, message=exc.message, status=400)
    except RateLimited:
        return _code_page(sign_in_id, next_path, message="Too many tries; wait a minute.", status=429)
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
    session_token = _cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return sign_in_page(APPS_PATH)
    apps = await run_in_threadpool(learners.connected_apps, services, learner)
    csrf = learners.csrf_token(session_token)
    items = "".join(
        f'<li><a href="{text(app.client_uri)}">{text(app.name)}</a> since {text(app.granted.date())}: '
        f"{text(', '.join(IN_PLAIN_WORDS.get(scope, scope) for scope in app.scopes))}"
        f'<form method="post" action="{APPS_PATH}/withdraw">'
        f"{hidden({'client_id': app.client_id, 'csrf': csrf})}"
        "<button>Withdraw</button></form></li>"
        for app in apps
    )
    body = f"<ul>{items}</ul>" if apps else "<p>No app is connected.</p>"
    sign_out = hidden({"csrf": csrf})
    sign_out_form = (
        f'<form method="post" action="/learner/sign-out">{sign_out}<button>Sign out</button></form>'
    )
    return page("Your connected apps", body + sign_out_form)


@router.post("/learner/sign-out")
async def sign_out(request: Request, services: ServicesDep) -> Response:
    values = dict(await _form(request))
    session_token = _cookie(request)
    if session_token and hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        await run_in_threadpool(learners.sign_out, services, session_token)
    response = page("Signed out", "<p>You are signed out.</p>")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post(APPS_PATH + "/withdraw")
async def withdraw(request: Request, services: ServicesDep) -> Response:
    values = dict(await _form(request))
    session_token = _cookie(request)
    learner = await run_in_threadpool(learners.signed_in, services, session_token)
    if learner is None or session_token is None:
        return sign_in_page(APPS_PATH, status=401)
    if not hmac.compare_digest(values.get("csrf", ""), learners.csrf_token(session_token)):
        return page("This form has expired", f'<p><a href="{APPS_PATH}">Back</a></p>', status=403)
    await run_in_threadpool(learners.withdraw, services, learner, values.get("client_id", ""))
    return RedirectResponse(APPS_PATH, status_code=303)
