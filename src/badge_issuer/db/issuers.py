"""Issuers, their signing keys and their API clients. Never commits: the caller owns the transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Connection, ScalarSelect, Table, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from badge_issuer.auth import MintedKey
from badge_issuer.db.statements import execute
from badge_issuer.db.tables import ApiClient, Issuer, IssuerKey
from badge_issuer.errors import NotFound


class ApiKeyRow(NamedTuple):
    client_id: int
    issuer_id: int
    issuer_slug: str
    secret_hash: str
    scopes: str
    revoked: bool


class SigningKey(NamedTuple):
    """An issuer's key that new credentials are signed with."""

    key_name: str
    public_key_multibase: str


# built once: every request with an API key, and every award, runs them
_API_KEY = (
    select(
        ApiClient.id,
        ApiClient.issuer_id,
        Issuer.slug,
        ApiClient.secret_hash,
        ApiClient.scopes,
        ApiClient.revoked_at.is_not(None),
    )
    .join(Issuer, Issuer.id == ApiClient.issuer_id)
    .where(ApiClient.key_id == bindparam("key_id"))
)


def signing_key_id(issuer_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ScalarSelect[int]:
    """The id of the issuer's newest active key, the one new credentials are signed with (as a
    subquery: of a bound issuer id, or of the issuer row of an enclosing statement)."""
    return (
        select(func.max(IssuerKey.id))
        .where(IssuerKey.issuer_id == issuer_id, IssuerKey.active.is_(True))
        .correlate_except(IssuerKey)  # its own issuer_keys, whatever the enclosing statement reads
        .scalar_subquery()
    )


_SIGNING_KEY = select(IssuerKey.key_name, IssuerKey.public_key_multibase).where(
    IssuerKey.id == signing_key_id(bindparam("issuer_id"))
)


class IssuerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        slug: str,
        did: str,
        did_method: str,
        profile: dict[str, Any],
        suspension: bool,
        now: datetime,
    ) -> Issuer:
        issuer = Issuer(
            slug=slug,
            did=did,
            did_method=did_method,
            profile_json=json.dumps(profile),
            suspension_enabled=suspension,
            created_at=now,
        )
        self.session.add(issuer)
        self.session.flush()
        return issuer

    def slug_taken(self, slug: str) -> bool:
        return self.session.scalar(select(Issuer.id).where(Issuer.slug == slug)) is not None

    def by_slug(self, slug: str) -> Issuer:
        issuer = self.session.scalar(select(Issuer).where(Issuer.slug == slug))
        if issuer is None:
            raise NotFound(f"no issuer {slug!r}")
        return issuer

    def by_id(self, issuer_id: int) -> Issuer:
        issuer = self.session.get(Issuer, issuer_id)
        if issuer is None:
            raise NotFound(f"no issuer #{issuer_id}")
        return issuer

    def all(self) -> list[Issuer]:
        return list(self.session.scalars(select(Issuer).order_by(Issuer.id)))

    def update_profile(self, issuer: Issuer, profile: dict[str, Any]) -> None:
        issuer.profile_json = json.dumps(profile)

    # keys ------------------------------------------------------------------------------------
    def add_key(
        self, issuer: Issuer, *, key_name: str, public_key_multibase: str, now: datetime
    ) -> IssuerKey:
        key = IssuerKey(
            issuer_id=issuer.id,
            key_name=key_name,
            public_key_multibase=public_key_multibase,
            active=True,
            created_at=now,
        )
        self.session.add(key)
        self.session.flush()
        return key

    def keys(self, issuer: Issuer) -> list[IssuerKey]:
        query = select(IssuerKey).where(IssuerKey.issuer_id == issuer.id).order_by(IssuerKey.id)
        return list(self.session.scalars(query))

    def signing_key(self, issuer: Issuer) -> SigningKey:
        """The newest active key: new credentials are signed with it. Read as a row, without
        the ORM's statement path, which cost more than the query (#11)."""
        row = execute(self.session, _SIGNING_KEY, {"issuer_id": issuer.id}).first()
        if row is None:
            raise NotFound(f"issuer {issuer.slug!r} has no active signing key")
        return SigningKey(row[0], row[1])

    # clients ---------------------------------------------------------------------------------
    def add_client(
        self, issuer: Issuer, *, name: str, minted: MintedKey, scopes: list[str], now: datetime
    ) -> ApiClient:
        client = ApiClient(
            issuer_id=issuer.id,
            name=name,
            key_id=minted.key_id,
            secret_hash=minted.secret_hash,
            scopes=" ".join(sorted(set(scopes))),
            created_at=now,
        )
        self.session.add(client)
        self.session.flush()
        return client

    def client_by_key_id(self, key_id: str) -> ApiClient | None:
        return self.session.scalar(select(ApiClient).where(ApiClient.key_id == key_id))

    def clients(self, issuer: Issuer) -> list[ApiClient]:
        query = select(ApiClient).where(ApiClient.issuer_id == issuer.id).order_by(ApiClient.id)
        return list(self.session.scalars(query))


_ISSUERS = cast(Table, Issuer.__table__)
_KEYS = cast(Table, IssuerKey.__table__)
# built once, on the tables (no ORM entities): it runs on every verification of our own badges
_CONTROLLER_KEYS = (
    select(_ISSUERS.c.did_method, _KEYS.c.public_key_multibase)
    .select_from(_ISSUERS.outerjoin(_KEYS, _KEYS.c.issuer_id == _ISSUERS.c.id))
    .where(_ISSUERS.c.did == bindparam("did"))
    .order_by(_KEYS.c.id)
)


def api_key(connection: Connection, key_id: str) -> ApiKeyRow | None:
    """What authenticating an API key needs, in one statement (a request pays it every time)."""
    row = connection.execute(_API_KEY, {"key_id": key_id}).first()
    return None if row is None else ApiKeyRow(*row)


def controller_keys(connection: Connection, did: str) -> tuple[str, tuple[str, ...]] | None:
    """``(did_method, every key's publicKeyMultibase in creation order)`` of the issuer whose DID is
    ``did`` (None when no issuer has it): everything its DID document is made of, in one query."""
    rows = connection.execute(_CONTROLLER_KEYS, {"did": did}).all()
    if not rows:
        return None
    return rows[0][0], tuple(row[1] for row in rows if row[1] is not None)
