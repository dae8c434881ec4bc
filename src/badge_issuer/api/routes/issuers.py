"""Issuer administration: sub-issuers, the profile, signing keys and API clients (scope ``admin``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status

from badge_issuer.api.deps import services_of
from badge_issuer.api.security import PrincipalDep, acting_for
from badge_issuer.credential.requests import ClientCreate, IssuerCreate, ProfileInput
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import ApiClient, Issuer
from badge_issuer.documents import profile
from badge_issuer.issuers import add_key, create_client, create_issuer, key_json, revoke_client

router = APIRouter(prefix="/api/v1/issuers", tags=["issuers"])


def issuer_json(issuer: Issuer, request: Request) -> dict[str, Any]:
    urls = services_of(request).urls
    return {
        "slug": issuer.slug,
        "id": issuer.did,
        "didMethod": issuer.did_method,
        "suspension": issuer.suspension_enabled,
        "profile": profile(issuer),
        "profileUrl": urls.issuer_profile(issuer.slug),
    }


def client_json(client: ApiClient) -> dict[str, Any]:
    return {
        "id": client.key_id,
        "name": client.name,
        "scopes": client.scopes.split(),
        "created": client.created_at.isoformat(),
        "revoked": client.revoked_at is not None,
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a sub-issuer (a faculty, a department)")
def create_sub_issuer(body: IssuerCreate, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    """The new issuer's ``parentOrg`` is the caller's issuer; an admin API key for it is returned once."""
    caller.require("admin")
    services = services_of(request)
    now = services.clock()
    with services.sessions() as session, session.begin():
        parent = IssuerRepository(session).by_id(caller.issuer_id)
        issuer = create_issuer(
            body,
            session=session,
            keystore=services.keystore,
            urls=services.urls,
            status_list_size=services.settings.status_list_size,
            now=now,
            parent=parent,
        )
        admin = create_client(
            issuer, ClientCreate(name=f"{issuer.slug} admin", scopes=["admin"]), session=session, now=now
        )
        return {
            **issuer_json(issuer, request),
            "adminClient": {**client_json(admin.client), "apiKey": admin.token},
        }


@router.get("/{issuer}", summary="The issuer's settings and profile")
def get_issuer(issuer: str, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "read")
    with services_of(request).readers() as session:
        return issuer_json(IssuerRepository(session).by_slug(issuer), request)


@router.put("/{issuer}/profile", summary="Replace the issuer's public profile")
def put_profile(issuer: str, body: ProfileInput, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    acting_for(caller, issuer, "admin")
    with services_of(request).sessions() as session, session.begin():
        repo = IssuerRepository(session)
        row = repo.by_slug(issuer)
        stored = json.loads(row.profile_json)
        updated = body.model_dump(mode="json", exclude_none=True)
        if "parentOrg" in stored:
            updated["parentOrg"] = stored["parentOrg"]
        repo.update_profile(row, updated)
        return issuer_json(row, request)


@router.get("/{issuer}/keys", summary="The issuer's signing keys (public parts only)")
def list_keys(issuer: str, request: Request, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "read")
    with services_of(request).readers() as session:
        repo = IssuerRepository(session)
        row = repo.by_slug(issuer)
        return [key_json(key, row) for key in repo.keys(row)]


@router.post("/{issuer}/keys", status_code=status.HTTP_201_CREATED, summary="Create a new signing key")
def create_key(issuer: str, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    """New credentials are signed with the newest key; older keys stay in the DID document."""
    acting_for(caller, issuer, "admin")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        return key_json(add_key(row, session=session, keystore=services.keystore, now=services.clock()), row)


@router.get("/{issuer}/clients", summary="The issuer's API clients")
def list_clients(issuer: str, request: Request, caller: PrincipalDep) -> list[dict[str, Any]]:
    acting_for(caller, issuer, "admin")
    with services_of(request).readers() as session:
        repo = IssuerRepository(session)
        return [client_json(client) for client in repo.clients(repo.by_slug(issuer))]


@router.post("/{issuer}/clients", status_code=status.HTTP_201_CREATED, summary="Create an API client")
def new_client(issuer: str, body: ClientCreate, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    """The API key is in the response once; only its hash is stored."""
    acting_for(caller, issuer, "admin")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        created = create_client(row, body, session=session, now=services.clock())
        return {**client_json(created.client), "apiKey": created.token}


@router.post("/{issuer}/clients/{client_id}/revoke", summary="Revoke an API client's key")
def revoke(issuer: str, client_id: str, request: Request, caller: PrincipalDep) -> dict[str, Any]:
    """The key stops working immediately; use this when a key leaks or an LMS is retired."""
    acting_for(caller, issuer, "admin")
    services = services_of(request)
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        return client_json(revoke_client(row, client_id, session=session, now=services.clock()))
