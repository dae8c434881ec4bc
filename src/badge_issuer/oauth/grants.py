"""The grants: authorization code with PKCE S256 and ``state`` required, and refresh with rotation.

Codes are single use: redeeming one marks it used, and presenting a used code again revokes every
token issued from it (RFC 6749 §4.1.2). A rotated refresh token presented again revokes its
family too (OAuth 2.0 Security BCP §4.14.2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge

from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.db.tables import OAuthCode, OAuthToken
from badge_issuer.oauth.models import CLIENT_AUTH_METHOD, AuthorizationCode, Client, Learner, Token
from badge_issuer.oauth.secrets import digest
from badge_issuer.observability.logs import audit

CODE_LIFETIME = timedelta(seconds=600)  # OB 3.0: "a recommended lifetime of 600 seconds"


class RequiredS256(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, confidential ones too, and only the S256 method (OB 3.0 §PKCE)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's class attribute)

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class _Stores:
    """What the grants need from the server: the repository and the clock."""

    repository: OAuthRepository
    now: Callable[[], datetime]


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [CLIENT_AUTH_METHOD]  # noqa: RUF012 (Authlib's class attribute)

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state'", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        stores: _Stores = self.server
        data = request.payload.data
        stores.repository.add(
            OAuthCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                learner=request.user.key,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=stores.now() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        stores: _Stores = self.server
        row = stores.repository.code(digest(code))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:  # replayed: deny, and revoke what the code gave
            stores.repository.revoke_family(row.code_hash, stores.now())
            audit("oauth.code_replayed", client=row.client_id, learner=row.learner[:12])
            return None
        if stores.now() >= row.expires_at:
            return None
        return AuthorizationCode(row)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        stores: _Stores = self.server
        authorization_code.row.used_at = stores.now()

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Learner:
        return Learner(authorization_code.row.learner)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [CLIENT_AUTH_METHOD]  # noqa: RUF012 (Authlib's class attribute)
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        stores: _Stores = self.server
        row = stores.repository.token_by_refresh(digest(refresh_token))
        if row is None:
            return None
        now = stores.now()
        if row.refresh_revoked_at is not None:
            if row.code_hash is not None:  # a rotated token came back: someone else may hold it
                stores.repository.revoke_family(row.code_hash, now)
                audit("oauth.refresh_replayed", client=row.client_id, learner=row.learner[:12])
            return None
        if row.refresh_expires_at is None or now >= row.refresh_expires_at:
            return None
        return Token(row, now)

    def authenticate_user(self, refresh_token: Token) -> Learner:
        return refresh_token.learner

    def revoke_old_credential(self, refresh_token: Token) -> None:
        row: OAuthToken = refresh_token.row
        now = self.server.now()
        row.refresh_revoked_at = now
        if row.access_revoked_at is None:
            row.access_revoked_at = now
