"""The Open Badges API's Service Description Document (``GET /ims/ob/v3p0/discovery``) and the
RFC 8414 authorization server metadata: where wallets register, authorize, get and revoke tokens."""

from __future__ import annotations

from typing import Any

from badge_issuer.application.services import Services
from badge_issuer.oauth.registration import server_metadata
from badge_issuer.oauth.scopes import (
    CLR_CREDENTIAL_READ,
    CLR_SCOPES,
    CREDENTIAL_READ,
    CREDENTIAL_UPSERT,
    OB_SCOPES,
    PROFILE_READ,
    PROFILE_UPDATE,
)

API_PATH = "/ims/ob/v3p0"
CLR_API_PATH = "/ims/clr/v2p0"
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a password)
REVOKE_PATH = "/oauth/revoke"
REGISTER_PATH = "/oauth/register"


def _operation(operation_id: str, summary: str, scope: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"OAuth2ACG": [scope]}],
        "responses": {"default": {"description": "See the Open Badges 3.0 OpenAPI file."}},
    }


def _components(base: str, scopes: dict[str, str]) -> dict[str, Any]:
    return {
        "securitySchemes": {
            "OAuth2ACG": {
                "type": "oauth2",
                "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256)",
                "x-imssf-registrationUrl": base + REGISTER_PATH,
                # not an OpenAPI field: where RFC 7009 revocation requests go (also in the
                # RFC 8414 metadata at /.well-known/oauth-authorization-server)
                "x-revocationUrl": base + REVOKE_PATH,
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": base + AUTHORIZE_PATH,
                        "tokenUrl": base + TOKEN_PATH,
                        "refreshUrl": base + TOKEN_PATH,
                        "scopes": dict(scopes),
                    }
                },
            }
        }
    }


def _description(
    services: Services,
    *,
    description: str,
    version: str,
    path: str,
    paths: dict[str, Any],
    scopes: dict[str, str],
) -> dict[str, Any]:
    """A profiled OpenAPI 3.0 Service Description Document: the API's ``paths`` at ``path``, this
    document's own, and the OAuth server both APIs share."""
    base = services.base_url
    settings = services.settings
    return {
        "openapi": "3.0.1",
        "info": {
            "title": settings.service_name,
            "description": description,
            "version": version,
            "termsOfService": settings.terms_url or base + "/",
            "x-imssf-privacyPolicyUrl": settings.privacy_url or base + "/",
        },
        "servers": [{"url": base + path}],
        "paths": paths
        | {
            "/discovery": {
                "get": {
                    "operationId": "getServiceDescription",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "The Service Description Document"}},
                }
            },
        },
        "components": _components(base, scopes),
    }


def clr_service_description(services: Services) -> dict[str, Any]:
    """The CLR 2.0 API's Service Description Document (``GET /ims/clr/v2p0/discovery``): the
    same OAuth server, the CLR scope, and the one operation answered here (getCredentials)."""
    paths = {
        "/credentials": {
            "get": _operation("getCredentials", "The learner's ClrCredentials", CLR_CREDENTIAL_READ)
            | {"responses": {"default": {"description": "See the CLR 2.0 OpenAPI file."}}},
        },
    }
    return _description(
        services,
        description="Comprehensive Learner Record 2.0 API of this issuer and host",
        version="2.0",
        path=CLR_API_PATH,
        paths=paths,
        scopes=CLR_SCOPES,
    )


def service_description(services: Services) -> dict[str, Any]:
    """A profiled OpenAPI 3.0 document (OB 3.0 §ServiceDescriptionDocument)."""
    paths = {
        "/credentials": {
            "get": _operation("getCredentials", "The learner's credentials", CREDENTIAL_READ),
            "post": _operation("upsertCredential", "Store a credential for the learner", CREDENTIAL_UPSERT),
        },
        "/profile": {
            "get": _operation("getProfile", "The learner's profile", PROFILE_READ),
            "put": _operation("putProfile", "Replace the learner's profile", PROFILE_UPDATE),
        },
    }
    return _description(
        services,
        description="Open Badges 3.0 API of this issuer and host",
        version="3.0",
        path=API_PATH,
        paths=paths,
        scopes=OB_SCOPES,
    )


def authorization_server_metadata(services: Services) -> dict[str, Any]:
    """RFC 8414 metadata of the same server, for OAuth clients that look there."""
    base = services.base_url
    return {
        "issuer": base,
        "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "revocation_endpoint": base + REVOKE_PATH,
        "registration_endpoint": base + REGISTER_PATH,
        "code_challenge_methods_supported": ["S256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
        **server_metadata(),
    }
