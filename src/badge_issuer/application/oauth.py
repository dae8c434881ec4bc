"""The OAuth 2.0 use cases of the Open Badges API: register, authorize, token, revoke, bearer.

Each runs Authlib's endpoint (``oauth/server.py``) over one transaction and commits what it did,
errors included: a replayed code revokes its tokens even though the request is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2 import OAuth2Error
from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.db.tables import OAuthConsent
from badge_issuer.errors import AuthorizationRefused
from badge_issuer.oauth.bearer import Grant, authenticate
from badge_issuer.oauth.models import Client, Learner
from badge_issuer.oauth.scopes import scope_list
from badge_issuer.oauth.server import HttpAnswer, HttpRequest, Lifetimes, OAuthServer
from badge_issuer.observability.logs import audit

__all__ = ["Grant", "HttpAnswer", "HttpRequest"]


@dataclass(frozen=True)
class Prompt:
    """What the consent page shows: who asks, for which scopes."""

    client_id: str
    client_name: str
    client_uri: str
    logo_uri: str
    tos_uri: str
    policy_uri: str
    scopes: tuple[str, ...]


def _server(services: Services, session: Session) -> OAuthServer:
    settings = services.settings
    lifetimes = Lifetimes(
        access=timedelta(seconds=settings.oauth_access_token_seconds),
        refresh=timedelta(seconds=settings.oauth_refresh_token_seconds),
    )
    return OAuthServer(OAuthRepository(session), services.clock, lifetimes)


@contextmanager
def _transaction(services: Services) -> Iterator[OAuthServer]:
    with services.sessions() as session, session.begin():
        yield _server(services, session)


def register_client(services: Services, request: HttpRequest) -> HttpAnswer:
    """RFC 7591 registration: 201 with the client id and secret (shown once), or 400."""
    with _transaction(services) as server:
        answer: HttpAnswer = server.create_endpoint_response("client_registration", request)
    if answer.status == 201 and isinstance(answer.body, dict):
        audit(
            "oauth.client_registered",
            client=answer.body.get("client_id"),
            name=answer.body.get("client_name"),
        )
    return answer


def token(services: Services, request: HttpRequest) -> HttpAnswer:
    """The token endpoint: authorization_code (PKCE) and refresh_token grants."""
    with _transaction(services) as server:
        answer: HttpAnswer = server.create_token_response(request)
        return answer


def revoke(services: Services, request: HttpRequest) -> HttpAnswer:
    """RFC 7009 revocation: 200 whether or not the token was known."""
    with _transaction(services) as server:
        answer: HttpAnswer = server.create_endpoint_response("revocation", request)
        return answer


def _refused(server: OAuthServer, error: OAuth2Error) -> HttpAnswer:
    if error.redirect_uri:
        answer: HttpAnswer = server.handle_error_response(None, error)
        return answer
    raise AuthorizationRefused(error.description or error.error)


def review(services: Services, request: HttpRequest, learner: str | None) -> Prompt | HttpAnswer:
    """Check an authorization request: what to ask the learner, or where to send the browser.

    A learner whose remembered consent covers the scopes is sent back with a code at once; a
    request the client can be told about (bad scope, no PKCE, no state) goes back as an error.
    """
    with _transaction(services) as server:
        try:
            grant = server.get_consent_grant(request, end_user=Learner(learner) if learner else None)
        except OAuth2Error as error:
            return _refused(server, error)
        client: Client = grant.request.client
        scopes = tuple(scope_list(grant.request.scope))
        if learner is not None:
            consent = server.repository.consent(client.get_client_id(), learner)
            if consent is not None and set(scopes) <= set(scope_list(consent.scope)):
                answer: HttpAnswer = server.create_authorization_response(
                    grant.request, grant_user=Learner(learner), grant=grant
                )
                return answer
        meta = client.metadata
        return Prompt(
            client_id=client.get_client_id(),
            client_name=client.name,
            client_uri=meta["client_uri"],
            logo_uri=meta["logo_uri"],
            tos_uri=meta["tos_uri"],
            policy_uri=meta["policy_uri"],
            scopes=scopes,
        )


def decide(services: Services, request: HttpRequest, learner: str, *, approve: bool) -> HttpAnswer:
    """The learner's answer: approve (remember the consent, redirect with a code) or deny."""
    with _transaction(services) as server:
        try:
            grant = server.get_consent_grant(request, end_user=Learner(learner))
        except OAuth2Error as error:
            return _refused(server, error)
        if approve:
            _remember(server, grant.request.client.get_client_id(), learner, grant.request.scope)
            audit(
                "oauth.consent_granted",
                client=grant.request.client.get_client_id(),
                learner=learner[:12],
                scope=grant.request.scope,
            )
        answer: HttpAnswer = server.create_authorization_response(
            grant.request, grant_user=Learner(learner) if approve else None, grant=grant
        )
        return answer


def _remember(server: OAuthServer, client_id: str, learner: str, scope: str) -> None:
    repository = server.repository
    consent = repository.consent(client_id, learner)
    if consent is None:
        repository.add(
            OAuthConsent(client_id=client_id, learner=learner, scope=scope, granted_at=server.now())
        )
        return
    consent.scope = " ".join(dict.fromkeys([*scope_list(consent.scope), *scope_list(scope)]))
    consent.granted_at = server.now()


def bearer(services: Services, authorization: str | None, scope: str) -> Grant:
    """The grant behind a request's ``Authorization: Bearer`` header, if it holds ``scope``."""
    with services.readers() as session:
        return authenticate(OAuthRepository(session), services.clock, authorization, scope)
