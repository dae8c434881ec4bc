"""Issuer administration: sub-issuers, the profile, signing keys and API clients (scope ``admin``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from badge_issuer.api import schemas
from badge_issuer.api.deps import ServicesDep
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.application import tenants
from badge_issuer.application.tenants import ClientView, IssuerView, NewClient, SigningKey
from badge_issuer.credential.requests import ClientCreate, IssuerCreate, ProfileInput

router = APIRouter(prefix="/api/v1/issuers", tags=["issuers"])


def issuer_json(issuer: IssuerView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": issuer.slug,
        "id": issuer.did,
        "didMethod": issuer.did_method,
        "suspension": issuer.suspension,
        "profile": issuer.profile,
        "profileUrl": issuer.profile_url,
    }
    if issuer.linkedin_organization_id is not None:
        body["linkedinOrganizationId"] = issuer.linkedin_organization_id
    return body


def client_json(client: ClientView) -> dict[str, Any]:
    return {
        "id": client.key_id,
        "name": client.name,
        "scopes": client.scopes,
        "created": client.created.isoformat(),
        "revoked": client.revoked,
    }


def new_client_json(created: NewClient) -> dict[str, Any]:
    return {**client_json(created.client), "apiKey": created.api_key}


def key_json(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "type": "Multikey",
        "controller": key.controller,
        "publicKeyMultibase": key.public_key_multibase,
        "active": key.active,
        "created": key.created.isoformat(),
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a sub-issuer (a faculty, a department)",
    response_model=schemas.NewIssuerOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def create_sub_issuer(body: IssuerCreate, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    """The new issuer's ``parentOrg`` is the caller's issuer; an admin API key for it is returned once."""
    caller.require("admin")
    created = tenants.create_issuer_with_admin(
        services, body, client_id=caller.client_id, parent_id=caller.issuer_id
    )
    return {**issuer_json(created.issuer), "adminClient": new_client_json(created.admin)}


@router.get(
    "/{issuer}",
    summary="The issuer's settings and profile",
    response_model=schemas.IssuerOut,
    responses=schemas.responses(*schemas.AUTHED),
)
def get_issuer(issuer: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    return issuer_json(tenants.get_issuer(services, issuer))


@router.put(
    "/{issuer}/profile",
    summary="Replace the issuer's public profile",
    response_model=schemas.IssuerOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def put_profile(
    issuer: str, body: ProfileInput, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    return issuer_json(tenants.replace_profile(services, issuer, body))


@router.get(
    "/{issuer}/keys",
    summary="The issuer's signing keys (public parts only)",
    response_model=list[schemas.KeyOut],
    responses=schemas.responses(*schemas.AUTHED),
)
def list_keys(issuer: str, services: ServicesDep, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "read")
    return [key_json(key) for key in tenants.list_keys(services, issuer)]


@router.post(
    "/{issuer}/keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create a new signing key",
    response_model=schemas.KeyOut,
    responses=schemas.responses(*schemas.AUTHED, 400),
)
def create_key(issuer: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    """New credentials are signed with the newest key; older keys stay in the DID document."""
    acting_for(caller, issuer, "admin")
    return key_json(tenants.new_key(services, issuer, client_id=caller.client_id))


@router.get(
    "/{issuer}/clients",
    summary="The issuer's API clients",
    response_model=list[schemas.ClientOut],
    responses=schemas.responses(*schemas.AUTHED),
)
def list_clients(issuer: str, services: ServicesDep, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "admin")
    return [client_json(client) for client in tenants.list_clients(services, issuer)]


@router.post(
    "/{issuer}/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API client",
    response_model=schemas.NewClientOut,
    responses=schemas.responses(*schemas.AUTHED, 400, 415, 422),
)
def new_client(
    issuer: str, body: ClientCreate, services: ServicesDep, caller: PrincipalDep
) -> dict[str, Any]:
    """The API key is in the response once; only its hash is stored."""
    acting_for(caller, issuer, "admin")
    return new_client_json(tenants.new_client(services, issuer, body, client_id=caller.client_id))


@router.post(
    "/{issuer}/clients/{client_id}/revoke",
    summary="Revoke an API client's key",
    response_model=schemas.ClientOut,
    responses=schemas.responses(*schemas.AUTHED),
)
def revoke(issuer: str, client_id: str, services: ServicesDep, caller: PrincipalDep) -> dict[str, Any]:
    """The key stops working at once on the server that answers, and within a second
    (`BADGE_API_KEY_CACHE_SECONDS`) on its other worker processes and replicas; use this when a key
    leaks or an LMS is retired."""
    acting_for(caller, issuer, "admin")
    return client_json(tenants.revoke_api_client(services, issuer, client_id, client_id=caller.client_id))
