"""Issuer management: create issuers (with a key, status lists and an admin client), keys, clients.

Used by the API and the CLI alike; never commits (the caller owns the transaction).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.auth import MintedKey, mint_key
from badge_issuer.credential.requests import ClientCreate, IssuerCreate, ProfileInput
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.crypto.did import did_key
from badge_issuer.crypto.keys import public_key_from_multibase, public_key_multibase
from badge_issuer.crypto.keystore import KeyStore
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.session import on_rollback
from badge_issuer.db.status import PURPOSES, StatusRepository
from badge_issuer.db.tables import ApiClient, Issuer, IssuerKey
from badge_issuer.errors import InputError, NotFound
from badge_issuer.urls import Urls


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    token: str  # shown once


def _key_name(slug: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", slug)[:40] + "-" + secrets.token_hex(4)


def _new_key(session: Session, keystore: KeyStore, slug: str) -> tuple[str, bytes]:
    """Create a key file that is deleted again if the caller's transaction rolls back.

    A key file cannot join the database transaction; without this, a failed commit (a slug
    race, a constraint) would leave an orphaned private key on disk.
    """
    name = _key_name(slug)
    public = keystore.create(name)
    on_rollback(session, lambda: keystore.remove(name))
    return name, public


def create_issuer(
    data: IssuerCreate,
    *,
    session: Session,
    keystore: KeyStore,
    urls: Urls,
    status_list_size: int,
    now: datetime,
    parent: Issuer | None = None,
) -> Issuer:
    """A new issuer with its first Ed25519 key and its first status list(s)."""
    refuse_untransportable(data.model_dump(mode="json", by_alias=True, exclude_none=True), what="the issuer")
    repo = IssuerRepository(session)
    if repo.slug_taken(data.slug):
        raise InputError(f"issuer slug {data.slug!r} is taken", pointer="/slug")
    key_name, public = _new_key(session, keystore, data.slug)
    did = did_key(public) if data.did_method == "key" else urls.issuer_did_web(data.slug)
    profile: dict[str, Any] = ProfileInput.model_validate(
        data.model_dump(include=set(ProfileInput.model_fields))
    ).model_dump(mode="json", exclude_none=True)
    if parent is not None:
        parent_name = json.loads(parent.profile_json)["name"]
        profile["parentOrg"] = {"id": parent.did, "type": ["Profile"], "name": parent_name}
    issuer = repo.add(
        slug=data.slug,
        did=did,
        did_method=data.did_method,
        profile=profile,
        suspension=data.suspension,
        now=now,
    )
    repo.add_key(issuer, key_name=key_name, public_key_multibase=public_key_multibase(public), now=now)
    statuses = StatusRepository(session)
    for purpose in PURPOSES if data.suspension else PURPOSES[:1]:
        statuses.open_list(issuer.id, purpose, size=status_list_size, now=now)
    return issuer


def add_key(issuer: Issuer, *, session: Session, keystore: KeyStore, now: datetime) -> IssuerKey:
    """A new signing key for a did:web issuer; new credentials are signed with it from now on."""
    if issuer.did_method == "key":
        raise InputError("a did:key issuer is its key; create a new issuer to use another key")
    key_name, public = _new_key(session, keystore, issuer.slug)
    return IssuerRepository(session).add_key(
        issuer, key_name=key_name, public_key_multibase=public_key_multibase(public), now=now
    )


def revoke_client(issuer: Issuer, key_id: str, *, session: Session, now: datetime) -> ApiClient:
    """Revoke an API client of ``issuer``; its key stops working at once (others' clients: 404)."""
    client = IssuerRepository(session).client_by_key_id(key_id)
    if client is None or client.issuer_id != issuer.id:
        raise NotFound(f"no API client {key_id!r}")
    if client.revoked_at is None:
        client.revoked_at = now
    return client


def create_client(issuer: Issuer, data: ClientCreate, *, session: Session, now: datetime) -> NewClient:
    minted: MintedKey = mint_key()
    client = IssuerRepository(session).add_client(
        issuer, name=data.name, minted=minted, scopes=list(data.scopes), now=now
    )
    return NewClient(client=client, token=minted.token)


def did_keys(issuer: Issuer, session: Session) -> list[tuple[str, bytes]]:
    """``(fragment, public key)`` of every key of a did:web issuer, for its DID document."""
    return [
        (key.public_key_multibase, public_key_from_multibase(key.public_key_multibase))
        for key in IssuerRepository(session).keys(issuer)
    ]
