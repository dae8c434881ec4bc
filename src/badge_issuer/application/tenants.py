"""Tenants: issuers (with their first admin client), profiles, signing keys, API clients, images,
and authenticating an API key. The REST routes and the CLI call these; neither opens a session.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from badge_issuer import images
from badge_issuer.application.services import Services
from badge_issuer.auth import Principal, secret_matches
from badge_issuer.credential.requests import ClientCreate, IssuerCreate, ProfileInput
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.db.issuers import ApiKeyRow, IssuerRepository, api_key
from badge_issuer.db.tables import ApiClient, Issuer, IssuerKey
from badge_issuer.documents import profile
from badge_issuer.errors import Unauthenticated
from badge_issuer.issuers import add_key, create_client, create_issuer, revoke_client
from badge_issuer.observability.logs import actor, audit
from badge_issuer.signing import issuer_verification_method


@dataclass(frozen=True)
class IssuerView:
    slug: str
    did: str
    did_method: str
    suspension: bool
    #: the Profile as embedded in credentials
    profile: dict[str, Any]
    profile_url: str
    #: for the badge pages' "Add to LinkedIn profile" (kept with the profile, not published in it)
    linkedin_organization_id: str | None = None


@dataclass(frozen=True)
class ClientView:
    key_id: str
    name: str
    scopes: list[str]
    created: datetime
    revoked: bool


@dataclass(frozen=True)
class NewClient:
    client: ClientView
    #: the API key, shown once (only its hash is stored)
    api_key: str


@dataclass(frozen=True)
class NewIssuer:
    issuer: IssuerView
    admin: NewClient


@dataclass(frozen=True)
class SigningKey:
    """A public signing key as a Multikey verification method of its issuer."""

    id: str
    controller: str
    public_key_multibase: str
    active: bool
    created: datetime


@dataclass(frozen=True)
class UploadedImage:
    url: str
    media_type: str
    size: int


def _issuer(services: Services, issuer: Issuer) -> IssuerView:
    return IssuerView(
        slug=issuer.slug,
        did=issuer.did,
        did_method=issuer.did_method,
        suspension=issuer.suspension_enabled,
        profile=profile(issuer),
        profile_url=services.urls.issuer_profile(issuer.slug),
        linkedin_organization_id=json.loads(issuer.profile_json).get("linkedin_organization_id"),
    )


def _client(client: ApiClient) -> ClientView:
    return ClientView(
        key_id=client.key_id,
        name=client.name,
        scopes=client.scopes.split(),
        created=client.created_at,
        revoked=client.revoked_at is not None,
    )


def _key(key: IssuerKey, issuer: Issuer) -> SigningKey:
    return SigningKey(
        id=issuer_verification_method(issuer, key.public_key_multibase),
        controller=issuer.did,
        public_key_multibase=key.public_key_multibase,
        active=key.active,
        created=key.created_at,
    )


def authenticate(services: Services, key_id: str, secret: str) -> Principal:
    """The client an API key belongs to; Unauthenticated for an unknown, revoked or wrong key.

    The key's row may come from ``services.api_keys`` (read less than a second ago, by default;
    ``key_cache``); the secret is checked against it every time."""
    found = services.api_keys.row(key_id, lambda key: _read_api_key(services, key))
    if found is None or found.revoked or not secret_matches(secret, found.secret_hash):
        raise Unauthenticated("unknown or revoked API key")
    return Principal(
        client_id=found.client_id,
        issuer_id=found.issuer_id,
        issuer_slug=found.issuer_slug,
        scopes=frozenset(found.scopes.split()),
    )


def _read_api_key(services: Services, key_id: str) -> ApiKeyRow | None:
    with services.single_reads.connect() as connection:
        return api_key(connection, key_id)


def create_issuer_with_admin(
    services: Services, data: IssuerCreate, *, client_id: int | None, parent_id: int | None = None
) -> NewIssuer:
    """A new issuer (key, status lists) and its first admin API client, in one transaction.

    With ``parent_id`` the new issuer is a sub-issuer: its profile's ``parentOrg`` names the parent.
    ``client_id`` is the API client acting (None: the command line), for the audit log.
    """
    now = services.clock()
    with services.sessions() as session, session.begin():
        parent = IssuerRepository(session).by_id(parent_id) if parent_id is not None else None
        issuer = create_issuer(
            data,
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
        created = NewIssuer(_issuer(services, issuer), NewClient(_client(admin.client), admin.token))
    who = actor(client_id)
    audit("issuer.created", actor=who, issuer=created.issuer.slug, did=created.issuer.did)
    audit("key.created", actor=who, issuer=created.issuer.slug)
    audit("client.created", actor=who, issuer=created.issuer.slug, client=created.admin.client.key_id)
    return created


def list_issuers(services: Services) -> list[IssuerView]:
    """Every issuer of this deployment (operators' view: the command line)."""
    with services.readers() as session:
        return [_issuer(services, row) for row in IssuerRepository(session).all()]


def get_issuer(services: Services, issuer: str) -> IssuerView:
    with services.readers() as session:
        return _issuer(services, IssuerRepository(session).by_slug(issuer))


def replace_profile(services: Services, issuer: str, data: ProfileInput) -> IssuerView:
    """Replace the public profile; a sub-issuer keeps its ``parentOrg`` (not the caller's to change)."""
    refuse_untransportable(data.model_dump(mode="json", exclude_none=True), what="the profile")
    with services.sessions() as session, session.begin():
        repo = IssuerRepository(session)
        row = repo.by_slug(issuer)
        stored = json.loads(row.profile_json)
        updated = data.model_dump(mode="json", exclude_none=True)
        if "parentOrg" in stored:
            updated["parentOrg"] = stored["parentOrg"]
        repo.update_profile(row, updated)
        return _issuer(services, row)


def list_keys(services: Services, issuer: str) -> list[SigningKey]:
    with services.readers() as session:
        repo = IssuerRepository(session)
        row = repo.by_slug(issuer)
        return [_key(key, row) for key in repo.keys(row)]


def new_key(services: Services, issuer: str, *, client_id: int | None) -> SigningKey:
    """A new signing key; new credentials are signed with it, older keys stay in the DID document."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        key = _key(add_key(row, session=session, keystore=services.keystore, now=services.clock()), row)
    audit("key.created", actor=actor(client_id), issuer=issuer, key=key.id)
    return key


def list_clients(services: Services, issuer: str) -> list[ClientView]:
    with services.readers() as session:
        repo = IssuerRepository(session)
        return [_client(client) for client in repo.clients(repo.by_slug(issuer))]


def new_client(services: Services, issuer: str, data: ClientCreate, *, client_id: int | None) -> NewClient:
    """An API client of ``issuer``; the key is in the result once, only its hash is stored."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        made = create_client(row, data, session=session, now=services.clock())
        created = NewClient(_client(made.client), made.token)
    audit(
        "client.created",
        actor=actor(client_id),
        issuer=issuer,
        client=created.client.key_id,
        scopes=" ".join(data.scopes),
    )
    return created


def revoke_api_client(services: Services, issuer: str, key_id: str, *, client_id: int | None) -> ClientView:
    """Revoke one of ``issuer``'s API clients (others': NotFound). Its key stops working at once in
    this process, and within BADGE_API_KEY_CACHE_SECONDS in the others (``key_cache``)."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        revoked = _client(revoke_client(row, key_id, session=session, now=services.clock()))
    services.api_keys.forget(key_id)  # committed: no read from now on sees the key unrevoked
    audit("client.revoked", actor=actor(client_id), issuer=issuer, client=key_id)
    return revoked


def upload_image(services: Services, issuer_id: int, data: bytes) -> UploadedImage:
    """Store a PNG or harmless SVG by content hash; its public URL can be an ``image``."""
    with services.sessions() as session, session.begin():
        stored = images.store(session, issuer_id, data, services.clock())
        return UploadedImage(url=services.urls.image(stored.id), media_type=stored.media_type, size=len(data))
