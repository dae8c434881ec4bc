"""The authorization server of one request: Authlib's RFC 6749/7009/7591/7636 over one session.

Built per request (it holds the request's database session, so nothing is shared between
threads). Surfaces give it an ``HttpRequest`` and get an ``HttpAnswer`` back; whoever built it
commits or rolls back the session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, JsonPayload, JsonRequest, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint

from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.db.tables import OAuthToken
from badge_issuer.oauth.grants import AuthorizationCodeGrant, RefreshTokenGrant, RequiredS256
from badge_issuer.oauth.models import CLIENT_AUTH_METHOD, Client, Token
from badge_issuer.oauth.registration import OpenRegistration
from badge_issuer.oauth.scopes import SCOPES
from badge_issuer.oauth.secrets import digest, new_secret


@dataclass(frozen=True)
class HttpRequest:
    """What the OAuth endpoints read of an HTTP request (headers with lower-case names)."""

    method: str
    url: str
    headers: Mapping[str, str]
    query: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    json: Any = None


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: Any  # a JSON value, or text
    headers: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta


class Headers(dict[str, str]):
    """Header lookup in any case (Authlib asks for ``Authorization``)."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _FormRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request.method, request.url, headers=Headers(request.headers))
        self.payload = _Payload(request.query + request.form)
        self._args = dict(request.query)
        self._form = dict(request.form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class _JsonRequest(JsonRequest):  # type: ignore[misc]
    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request.method, request.url, Headers(request.headers))
        self.payload = _JsonPayload(request.json if isinstance(request.json, dict) else {})


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = [CLIENT_AUTH_METHOD]  # noqa: RUF012 (Authlib's class attribute)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        server: OAuthServer = self.server
        hashed = digest(token_string)
        finders = [server.repository.token_by_access, server.repository.token_by_refresh]
        if token_type_hint == "refresh_token":  # noqa: S105 (a hint name)
            finders.reverse()
        for find in finders:
            row = find(hashed)
            if row is not None:
                return Token(row, server.now())
        return None

    def revoke_token(self, token: Token, request: Any) -> None:
        """Revoking either token of a grant revokes both (RFC 7009 §2.1 allows it)."""
        now = self.server.now()
        token.row.access_revoked_at = token.row.access_revoked_at or now
        token.row.refresh_revoked_at = token.row.refresh_revoked_at or now


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(
        self, repository: OAuthRepository, now: Callable[[], datetime], lifetimes: Lifetimes
    ) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.repository = repository
        self.now = now
        self.lifetimes = lifetimes
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: new_secret(32),
                refresh_token_generator=lambda **_: new_secret(32),
                expires_generator=int(lifetimes.access.total_seconds()),
            ),
        )
        self.register_grant(AuthorizationCodeGrant, [RequiredS256()])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(OpenRegistration(repository, now))

    def query_client(self, client_id: str) -> Client | None:
        row = self.repository.client(client_id) if isinstance(client_id, str) else None
        return Client(row) if row is not None else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        now = self.now()
        if request.authorization_code is not None:
            family: str | None = request.authorization_code.row.code_hash
        else:
            family = request.refresh_token.row.code_hash if request.refresh_token is not None else None
        refresh = token.get("refresh_token")
        self.repository.add(
            OAuthToken(
                client_id=request.client.get_client_id(),
                learner=request.user.key,
                scope=token["scope"],
                access_hash=digest(token["access_token"]),
                refresh_hash=digest(refresh) if refresh else None,
                code_hash=family,
                issued_at=now,
                access_expires_at=now + self.lifetimes.access,
                refresh_expires_at=now + self.lifetimes.refresh if refresh else None,
            )
        )

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: HttpRequest | OAuth2Request) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else _FormRequest(request)

    def create_json_request(self, request: HttpRequest) -> JsonRequest:
        return _JsonRequest(request)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> HttpAnswer:
        return HttpAnswer(status, body, tuple((str(name), str(value)) for name, value in headers))
