"""Who is calling: API keys (``Authorization: Bearer bik_…``) → a Principal of one issuer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from badge_issuer.api.deps import services_of
from badge_issuer.application.tenants import authenticate
from badge_issuer.auth import Principal, parse_bearer

#: documents the scheme in OpenAPI; parsing and errors are ours (problem+json, not FastAPI's)
bearer_scheme = HTTPBearer(auto_error=False, description="API key: `Bearer bik_<id>.<secret>`")


def principal(request: Request, _: Annotated[object, Depends(bearer_scheme)] = None) -> Principal:
    key_id, secret = parse_bearer(request.headers.get("authorization"))
    return authenticate(services_of(request), key_id, secret)


PrincipalDep = Annotated[Principal, Depends(principal)]


def acting_for(principal: Principal, issuer_slug: str, scope: str) -> None:
    """Refuse callers of another issuer (as 404) or without ``scope`` (see ``Principal.act_for``)."""
    principal.act_for(issuer_slug, scope)
