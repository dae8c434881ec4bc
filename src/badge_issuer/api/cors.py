"""CORS: public documents and public verification open to every origin; the rest closed by default.

Browser wallets and web verifiers fetch credentials, DID documents, status lists, profiles,
achievements and images, and post to the public verify routes, from any origin: those answers and
their preflights allow ``*`` — without ``Authorization`` among the allowed request headers and
without credentials, so a page elsewhere can never act with someone's API key. Routes that take an
API key (``AUTHENTICATED_PREFIXES``; anything not listed as public counts as such) get CORS only for
the origins in ``BADGE_CORS_ORIGINS``, with ``Authorization`` allowed; for any other origin they
answer without CORS headers, so the browser keeps the response from the calling page.

The Open Badges API (``/ims/ob/v3p0/…``) and the OAuth endpoints a wallet calls from script
(token, revocation, registration) answer any origin *with* ``Authorization`` allowed: browser
wallets are single-page apps on origins nobody can list in advance, and what they send there — an
OAuth access token, or their own client credentials — is never ambient (no cookies: credentials
are not allowed), so a page elsewhere has nothing of the learner's to send. The learner's pages
(``/oauth/authorize``, ``/learner/…``) are navigations with a session cookie and get no CORS.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

#: paths any origin may read (GET/HEAD) or post to (the public verify routes)
PUBLIC_PREFIXES = (
    "/credentials/",
    "/issuers/",
    "/images/",
    "/.well-known/",
    "/api/v1/verify",
    "/presentations/verify",
    "/healthz",
)
#: paths a browser wallet calls with its own bearer token or client credentials, from any origin
BEARER_PREFIXES = ("/ims/ob/v3p0/", "/oauth/token", "/oauth/revoke", "/oauth/register")
#: and an issuer's OpenID4VCI credential and notification endpoints (the wallet's access token) and
#: token and pushed authorization request endpoints (a registered wallet's own client credentials)
BEARER_SUFFIX = (
    "/openid4vci/credential",
    "/openid4vci/notification",
    "/openid4vci/token",
    "/openid4vci/par",
)
#: paths under a public prefix that still need an API key
AUTHENTICATED_PATHS = ("/credentials/issue", "/credentials/status")
PUBLIC_HEADERS = ("Accept", "Content-Type", "If-None-Match")
EXPOSED_HEADERS = ("ETag", "Location", "Link", "Retry-After", "X-Request-Id", "X-Total-Count")
PREFLIGHT_MAX_AGE = 600


def is_bearer(path: str) -> bool:
    return path.startswith(BEARER_PREFIXES) or (path.startswith("/issuers/") and path.endswith(BEARER_SUFFIX))


def is_public(path: str) -> bool:
    if path in AUTHENTICATED_PATHS:
        return False
    return path.startswith(PUBLIC_PREFIXES)


class Cors:
    """Chooses the public or the configured policy by path; no CORS at all for other origins."""

    def __init__(self, app: ASGIApp, *, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.public = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=list(PUBLIC_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE,
        )
        self.bearer = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST", "PUT", "OPTIONS"],
            allow_headers=[*PUBLIC_HEADERS, "Authorization"],
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE,
        )
        self.configured = (
            CORSMiddleware(
                app,
                allow_origins=list(origins),
                allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
                allow_headers=[*PUBLIC_HEADERS, "Authorization", "Idempotency-Key"],
                expose_headers=list(EXPOSED_HEADERS),
                max_age=PREFLIGHT_MAX_AGE,
            )
            if origins
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if is_bearer(scope["path"]):
            await self.bearer(scope, receive, send)
        elif is_public(scope["path"]):
            await self.public(scope, receive, send)
        elif self.configured is not None:
            await self.configured(scope, receive, send)
        else:
            await self.app(scope, receive, send)
