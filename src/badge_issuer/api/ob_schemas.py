"""The documented bodies of the Open Badges API and its OAuth 2.0 endpoints.

These routes answer in their own standards' shapes, not RFC 9457 problems: OAuth errors are
``{"error", "error_description"}`` (RFC 6749 §5.2, RFC 7591 §3.2.2) and the OB resource routes
answer ``Imsx_StatusInfo`` (OB 3.0). A body over the size limit is still a 413 problem.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from badge_issuer.api.schemas import problem_answer, ref

JSON = "application/json"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class OAuthError(_Open):
    """An OAuth 2.0 error (RFC 6749 §5.2; registration: RFC 7591 §3.2.2)."""

    error: str = Field(examples=["invalid_grant", "invalid_client_metadata"])
    error_description: str | None = None


class ClientRegistration(_Open):
    """A wallet's registration (RFC 7591 §2) with the members the OB API requires."""

    client_name: str
    client_uri: str
    logo_uri: str
    tos_uri: str
    policy_uri: str
    software_id: str
    software_version: str
    redirect_uris: list[str]
    scope: str = Field(description="space-separated OB scopes")
    token_endpoint_auth_method: Literal["client_secret_basic"] | None = None
    grant_types: list[Literal["authorization_code", "refresh_token"]] | None = None
    response_types: list[Literal["code"]] | None = None
    contacts: list[str] | None = None


class ClientInformation(ClientRegistration):
    """The registration as accepted, with the client's credentials (the secret is shown once)."""

    client_id: str
    client_secret: str
    client_id_issued_at: int
    client_secret_expires_at: int = Field(description="0: never")


class TokenResponse(_Open):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    refresh_token: str | None = Field(default=None, description="rotated: each refresh returns a new one")


class RevocationResponse(_Open):
    """RFC 7009: 200 with an empty object whether or not the token was known."""


class ServiceDescription(_Open):
    """The Service Description Document: a profiled OpenAPI 3.0 document (OB 3.0)."""

    openapi: str
    info: dict[str, Any]
    components: dict[str, Any]


class AuthorizationServerMetadata(_Open):
    """RFC 8414 metadata."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    registration_endpoint: str


class ImsxStatusInfo(BaseModel):
    """OB 3.0 ``Imsx_StatusInfo``: the body of every error of the OB resource routes."""

    model_config = ConfigDict(extra="forbid")

    imsx_codeMajor: Literal["failure", "processing", "success", "unsupported"]  # noqa: N815 (the spec's name)
    imsx_severity: Literal["error", "status", "warning"]
    imsx_description: str | None = None
    imsx_codeMinor: dict[str, Any] | None = None  # noqa: N815 (the spec's name)


class GetCredentialsResponse(BaseModel):
    """OB 3.0 ``GetOpenBadgeCredentialsResponse``: VC-JWTs in ``compactJwsString``, the rest in
    ``credential`` (an empty page is ``{}``)."""

    model_config = ConfigDict(extra="forbid")

    credential: list[dict[str, Any]] | None = None
    compactJwsString: list[str] | None = None  # noqa: N815 (the spec's name)


class GetClrCredentialsResponse(BaseModel):
    """CLR 2.0 ``GetClrCredentialsResponse``: the learner's ClrCredentials (an empty page is ``{}``)."""

    model_config = ConfigDict(extra="forbid")

    credential: list[dict[str, Any]] | None = None
    compactJwsString: list[str] | None = None  # noqa: N815 (the spec's name)


class HeldCredential(_Open):
    """A credential as the wallet sent it (JSON; a VC-JWT comes back as text/plain)."""

    id: str
    type: list[str] | str
    issuer: str | dict[str, Any]


class LearnerProfile(_Open):
    """An OB 3.0 Profile (held to the OB Profile JSON Schema)."""

    id: str
    type: list[str] | str


REFERENCED: tuple[type[BaseModel], ...] = (
    OAuthError,
    ClientRegistration,
    ClientInformation,
    TokenResponse,
    RevocationResponse,
    ServiceDescription,
    AuthorizationServerMetadata,
    ImsxStatusInfo,
    GetCredentialsResponse,
    GetClrCredentialsResponse,
    HeldCredential,
    LearnerProfile,
)


def oauth_responses(ok: int, model: type[BaseModel], *errors: int) -> dict[int | str, dict[str, Any]]:
    """An OAuth endpoint's answers: ``ok`` with ``model``, OAuth errors, and the common problems."""
    documented: dict[int | str, dict[str, Any]] = {ok: {"content": {JSON: {"schema": ref(model)}}}}
    for status in errors:
        documented[status] = {
            "description": "OAuth 2.0 error",
            "content": {JSON: {"schema": ref(OAuthError)}},
        }
    for status in (413, 503):
        documented[status] = problem_answer(status)
    return documented
