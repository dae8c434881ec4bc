"""Our rows as Authlib sees them: a registered client, an authorization code, a token, a learner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

from badge_issuer.db.tables import OAuthClient, OAuthCode, OAuthToken
from badge_issuer.oauth.scopes import scope_list
from badge_issuer.oauth.secrets import same_digest

#: the only client authentication the OB API allows (OB 3.0 §Dynamic Client Registration)
CLIENT_AUTH_METHOD = "client_secret_basic"


@dataclass(frozen=True)
class Learner:
    """The resource owner: a learner known by the keyed hash of an email address they proved."""

    key: str


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.metadata: dict[str, Any] = json.loads(row.metadata_json)

    @property
    def name(self) -> str:
        return self.row.client_name

    def get_client_id(self) -> str:
        return self.row.id

    def get_default_redirect_uri(self) -> None:
        return None  # the OB API requires redirect_uri in every authorization request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope if every scope in it was registered; None (invalid_scope) otherwise."""
        requested = scope_list(scope)
        registered = set(scope_list(self.metadata.get("scope")))
        if not requested or not set(requested) <= registered:
            return None
        return " ".join(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.metadata.get("redirect_uris", [])

    def check_client_secret(self, client_secret: str) -> bool:
        return same_digest(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == CLIENT_AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.metadata.get("response_types", ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", ["authorization_code"])


class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthToken, now: datetime) -> None:
        self.row = row
        self.now = now

    @property
    def learner(self) -> Learner:
        return Learner(self.row.learner)

    def check_client(self, client: Client) -> bool:
        return bool(self.row.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.access_expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.now >= self.row.access_expires_at

    def is_revoked(self) -> bool:
        return self.row.access_revoked_at is not None

    def get_user(self) -> Learner:
        return self.learner
