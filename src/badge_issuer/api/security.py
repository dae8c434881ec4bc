"""Who is calling: API keys (``Authorization: Bearer bik_…``) → a Principal of one issuer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from badge_issuer.api.deps import services_of
from badge_issuer.auth import Principal, parse_bearer, secret_matches
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.errors import NotFound, Unauthenticated

#: documents the scheme in OpenAPI; parsing and errors are ours (problem+json, not FastAPI's)
bearer_scheme = HTTPBearer(auto_error=False, description="API key: `Bearer bik_<id>.<secret>`")


def principal(request: Request, _: Annotated[object, Depends(bearer_scheme)] = None) -> Principal:
    key_id, secret = parse_bearer(request.headers.get("authorization"))
    services = services_of(request)
    with services.readers() as session:
        repo = IssuerRepository(session)
        client = repo.client_by_key_id(key_id)
        if client is None or client.revoked_at is not None or not secret_matches(secret, client.secret_hash):
            raise Unauthenticated("unknown or revoked API key")
        issuer = repo.by_id(client.issuer_id)
        return Principal(
            client_id=client.id,
            issuer_id=issuer.id,
            issuer_slug=issuer.slug,
            scopes=frozenset(client.scopes.split()),
        )


PrincipalDep = Annotated[Principal, Depends(principal)]


def acting_for(principal: Principal, issuer_slug: str, scope: str) -> None:
    """Refuse callers of another issuer (as 404: other tenants' names are not disclosed)."""
    if principal.issuer_slug != issuer_slug:
        raise NotFound(f"no issuer {issuer_slug!r}")
    principal.require(scope)
