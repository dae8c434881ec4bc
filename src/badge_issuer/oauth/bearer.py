"""Bearer access tokens on the resource routes (RFC 6750, through Authlib's ResourceProtector)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError

from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.errors import Forbidden, Unauthenticated
from badge_issuer.oauth.models import Token
from badge_issuer.oauth.scopes import scope_list
from badge_issuer.oauth.secrets import digest
from badge_issuer.oauth.server import Headers


@dataclass(frozen=True)
class Grant:
    """What a valid access token lets its bearer do: act for ``learner`` within ``scopes``."""

    client_id: str
    learner: str
    scopes: frozenset[str]


class _Validator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, repository: OAuthRepository, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.repository = repository
        self.now = now

    def authenticate_token(self, token_string: str) -> Token | None:
        row = self.repository.token_by_access(digest(token_string))
        return Token(row, self.now()) if row is not None else None


@dataclass(frozen=True)
class _Request:
    headers: Headers


def authenticate(
    repository: OAuthRepository, now: Callable[[], datetime], authorization: str | None, scope: str
) -> Grant:
    """The grant of the request's bearer token if it is live and holds ``scope``.

    A missing, unknown, expired or revoked token is ``Unauthenticated``; a token without the
    scope is ``Forbidden``.
    """
    protector = ResourceProtector()
    protector.register_token_validator(_Validator(repository, now))
    headers = Headers({"authorization": authorization} if authorization else {})
    try:
        token: Token = protector.validate_request([scope], _Request(headers))
    except InsufficientScopeError as exc:
        raise Forbidden(f"the access token does not hold the scope {scope}") from exc
    except OAuth2Error as exc:  # missing, malformed, unknown, expired or revoked
        raise Unauthenticated("a valid bearer access token is required") from exc
    row = token.row
    return Grant(row.client_id, row.learner, frozenset(scope_list(row.scope)))
