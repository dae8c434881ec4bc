"""Dynamic Client Registration (RFC 7591) as the OB API profiles it.

No initial access token; every wallet names itself with ``client_name``, ``client_uri``,
``logo_uri``, ``tos_uri``, ``policy_uri``, ``software_id``, ``software_version``,
``redirect_uris`` and ``scope`` (OB 3.0 §Dynamic Client Registration). Its URLs are https on the
host of ``client_uri`` (plain http only for loopback addresses, RFC 8252 §7.3); the only client
authentication is ``client_secret_basic``; grant types ``authorization_code``/``refresh_token``,
response type ``code``. The client secret is returned once and stored hashed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from joserfc.errors import InvalidClaimError, MissingClaimError

from badge_issuer.db.oauth import OAuthRepository
from badge_issuer.db.tables import OAuthClient
from badge_issuer.oauth.models import CLIENT_AUTH_METHOD, Client
from badge_issuer.oauth.scopes import SCOPES
from badge_issuer.oauth.secrets import digest, new_secret

REQUIRED = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
_URLS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_MAX_TEXT = 2000
_MAX_REDIRECT_URIS = 10
_MAX_CONTACTS = 10
GRANT_TYPES = ("authorization_code", "refresh_token")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenBadgesClientClaims(ClientMetadataClaims):  # type: ignore[misc]
    """RFC 7591 metadata checks, plus what the OB API requires of a wallet's registration."""

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        for name in REQUIRED:
            if name not in self:
                raise MissingClaimError(name)
            if not self[name]:
                raise InvalidClaimError(name)
        for name in REQUIRED[:7]:  # the text and URL fields
            if not isinstance(self[name], str) or len(self[name]) > _MAX_TEXT:
                raise InvalidClaimError(name)
        uris = self["redirect_uris"]
        if not isinstance(uris, list) or not 0 < len(uris) <= _MAX_REDIRECT_URIS:
            raise InvalidClaimError("redirect_uris")
        if not isinstance(self["scope"], str) or len(self["scope"]) > _MAX_TEXT:
            raise InvalidClaimError("scope")
        contacts = self.get("contacts", [])
        if not isinstance(contacts, list) or len(contacts) > _MAX_CONTACTS:
            raise InvalidClaimError("contacts")
        super().validate(now, leeway)
        host = urlsplit(self["client_uri"]).hostname
        for name in _URLS:
            self._same_host(name, self[name], host)
        for uri in uris:
            if not isinstance(uri, str) or len(uri) > _MAX_TEXT:
                raise InvalidClaimError("redirect_uris")
            self._same_host("redirect_uris", uri, host)

    @staticmethod
    def _same_host(name: str, url: str, host: str | None) -> None:
        parts = urlsplit(url)
        secure = parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname or ""))
        if not secure or not parts.hostname or parts.hostname != host:
            raise InvalidClaimError(name)


def server_metadata() -> dict[str, Any]:
    """What registrations are checked against (RFC 8414 names)."""
    return {
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": [CLIENT_AUTH_METHOD],
    }


class OpenRegistration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration: anyone may register a client (no initial access token)."""

    def __init__(self, repository: OAuthRepository, now: Callable[[], datetime]) -> None:
        super().__init__(claims_classes=[OpenBadgesClientClaims])
        self.repository = repository
        self.now = now

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return server_metadata()

    def generate_client_id(self, request: Any) -> str:
        return new_secret(24)

    def generate_client_secret(self, request: Any) -> str:
        return new_secret(32)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        metadata = dict(client_metadata)
        metadata.setdefault("token_endpoint_auth_method", CLIENT_AUTH_METHOD)
        metadata.setdefault("grant_types", ["authorization_code"])
        metadata.setdefault("response_types", ["code"])
        row = OAuthClient(
            id=client_info["client_id"],
            secret_hash=digest(client_info["client_secret"]),
            client_name=metadata["client_name"],
            metadata_json=json.dumps(metadata, sort_keys=True),
            issued_at=self.now(),
        )
        self.repository.add(row)
        return Client(row)
