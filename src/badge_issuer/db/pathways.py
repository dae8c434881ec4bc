"""Pathways, their versions, their automatic awards and submitted external badges. Never commits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from badge_issuer.db.statements import execute
from badge_issuer.db.tables import (
    Credential,
    Delivery,
    ExternalBadge,
    Issuer,
    LearnerCredential,
    Pathway,
    PathwayAward,
    PathwayVersion,
)
from badge_issuer.errors import NotFound

#: built once: every award looks for the pathways it may advance (building costs more than running)
_CURRENT_DOCUMENTS = (
    select(Pathway.slug, PathwayVersion.document_json)
    .join(Issuer, Issuer.id == Pathway.issuer_id)
    .join(
        PathwayVersion,
        (PathwayVersion.pathway_id == Pathway.id) & (PathwayVersion.version == Pathway.current_version),
    )
    .where(Issuer.slug == bindparam("issuer_slug"))
    .order_by(Pathway.id)
)


class PathwayRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, issuer_id: int, slug: str, now: datetime) -> Pathway:
        pathway = Pathway(issuer_id=issuer_id, slug=slug, current_version=0, created_at=now, updated_at=now)
        self.session.add(pathway)
        self.session.flush()
        return pathway

    def slug_taken(self, issuer_id: int, slug: str) -> bool:
        query = select(Pathway.id).where(Pathway.issuer_id == issuer_id, Pathway.slug == slug)
        return self.session.scalar(query) is not None

    def get(self, issuer_id: int, slug: str, *, for_update: bool = False) -> Pathway:
        query = select(Pathway).where(Pathway.issuer_id == issuer_id, Pathway.slug == slug)
        if for_update:
            query = query.with_for_update()
        pathway = self.session.scalar(query)
        if pathway is None:
            raise NotFound(f"no pathway {slug!r}")
        return pathway

    def all(self, issuer_id: int) -> list[Pathway]:
        query = select(Pathway).where(Pathway.issuer_id == issuer_id).order_by(Pathway.id)
        return list(self.session.scalars(query))

    def current_documents(self, issuer_slug: str) -> list[tuple[str, str]]:
        """Each pathway of the issuer named ``issuer_slug`` with its current version's document (JSON),
        in creation order; one statement (every award asks)."""
        # rows, without the ORM's statement path, which cost more than the query (#11)
        rows = execute(self.session, _CURRENT_DOCUMENTS, {"issuer_slug": issuer_slug})
        return [(row[0], row[1]) for row in rows]

    def add_version(self, pathway: Pathway, document: dict[str, Any], now: datetime) -> PathwayVersion:
        pathway.current_version += 1
        pathway.updated_at = now
        version = PathwayVersion(
            pathway_id=pathway.id,
            version=pathway.current_version,
            document_json=json.dumps(document, allow_nan=False),
            created_at=now,
        )
        self.session.add(version)
        self.session.flush()
        return version

    def version(self, pathway: Pathway, number: int | None = None) -> PathwayVersion:
        wanted = pathway.current_version if number is None else number
        query = select(PathwayVersion).where(
            PathwayVersion.pathway_id == pathway.id, PathwayVersion.version == wanted
        )
        version = self.session.scalar(query)
        if version is None:
            raise NotFound(f"pathway {pathway.slug!r} has no version {wanted}")
        return version

    # automatic awards

    def award(self, pathway_id: int, recipient_hash: str) -> PathwayAward | None:
        query = select(PathwayAward).where(
            PathwayAward.pathway_id == pathway_id, PathwayAward.recipient_hash == recipient_hash
        )
        return self.session.scalar(query)

    def add_award(self, award: PathwayAward) -> None:
        """The claim: a second one for the same pathway and recipient fails at flush."""
        self.session.add(award)
        self.session.flush()

    def awards(self, pathway_id: int) -> list[PathwayAward]:
        query = select(PathwayAward).where(PathwayAward.pathway_id == pathway_id).order_by(PathwayAward.id)
        return list(self.session.scalars(query))

    # what a learner holds

    def active_awards(self, issuer_id: int, recipient_hash: str) -> list[Credential]:
        """Our own active badges of this recipient (badge-class awards only)."""
        query = (
            select(Credential)
            .where(
                Credential.issuer_id == issuer_id,
                Credential.recipient_hash == recipient_hash,
                Credential.status == "active",
                Credential.achievement_id.is_not(None),
            )
            .order_by(Credential.created_at, Credential.id)
        )
        return list(self.session.scalars(query))

    def issuers_awarding(self, recipient_hash: str, *, offset: int, limit: int) -> tuple[int, list[str]]:
        """How many issuers hold an active badge-class award to this recipient, and one page of
        their slugs (in the order they were created)."""
        awarding = (
            select(Credential.issuer_id)
            .where(
                Credential.recipient_hash == recipient_hash,
                Credential.status == "active",
                Credential.achievement_id.is_not(None),
            )
            .scalar_subquery()
        )
        total = int(
            self.session.scalar(select(func.count()).select_from(Issuer).where(Issuer.id.in_(awarding))) or 0
        )
        page = (
            select(Issuer.slug).where(Issuer.id.in_(awarding)).order_by(Issuer.id).offset(offset).limit(limit)
        )
        return total, list(self.session.scalars(page))

    def delivered_awards(self, issuer_id: int, holder_hash: str) -> list[tuple[Credential, str]]:
        """Our active badge-class awards delivered to a wallet's DID (by the delivery's hash of the
        DID), each with the credential as delivered (bound to the DID)."""
        query = (
            select(Credential, Delivery.credential_json)
            .join(Delivery, Delivery.credential_id == Credential.id)
            .where(
                Delivery.holder_hash == holder_hash,
                Credential.issuer_id == issuer_id,
                Credential.status == "active",
                Credential.achievement_id.is_not(None),
            )
            .order_by(Credential.created_at, Credential.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def address_of(self, issuer_id: int, recipient_hash: str) -> str | None:
        """The email address stored with one of the recipient's awards here (only when the
        deployment stores addresses: ``BADGE_STORE_RECIPIENT_EMAIL``)."""
        query = (
            select(Credential.recipient_email)
            .where(
                Credential.issuer_id == issuer_id,
                Credential.recipient_hash == recipient_hash,
                Credential.recipient_email.is_not(None),
            )
            .limit(1)
        )
        return self.session.scalar(query)

    def statuses(self, credential_ids: list[str]) -> dict[str, str]:
        if not credential_ids:
            return {}
        query = select(Credential.id, Credential.status).where(Credential.id.in_(credential_ids))
        return {row.id: row.status for row in self.session.execute(query)}

    def external(self, issuer_id: int, recipient_hash: str) -> list[ExternalBadge]:
        query = (
            select(ExternalBadge)
            .where(ExternalBadge.issuer_id == issuer_id, ExternalBadge.recipient_hash == recipient_hash)
            .order_by(ExternalBadge.id)
        )
        return list(self.session.scalars(query))

    def find_external(self, issuer_id: int, recipient_hash: str, sha256: str) -> ExternalBadge | None:
        query = select(ExternalBadge).where(
            ExternalBadge.issuer_id == issuer_id,
            ExternalBadge.recipient_hash == recipient_hash,
            ExternalBadge.sha256 == sha256,
        )
        return self.session.scalar(query)

    def add_external(self, badge: ExternalBadge) -> None:
        self.session.add(badge)
        self.session.flush()

    def awards_citing(self, issuer_id: int, credential_url: str) -> list[tuple[PathwayAward, Pathway]]:
        """The automatic awards of ``issuer_id``'s pathways whose evidence names ``credential_url``."""
        query = (
            select(PathwayAward, Pathway)
            .join(Pathway, Pathway.id == PathwayAward.pathway_id)
            .where(Pathway.issuer_id == issuer_id, PathwayAward.evidence_json.contains(credential_url))
            .order_by(PathwayAward.id)
        )
        return [
            (award, pathway)
            for award, pathway in self.session.execute(query)
            if credential_url in json.loads(award.evidence_json)
        ]

    def wallet_badges(self, recipient_hash: str, *, not_issued_by: str, limit: int) -> list[tuple[str, str]]:
        """``(format, body)`` of the credentials the learner's wallets stored here (OB API upsert)
        of other issuers than ``not_issued_by``: JSON or a compact JWS (VC-JWT); oldest first, at
        most ``limit``."""
        query = (
            select(LearnerCredential.format, LearnerCredential.body)
            .where(
                LearnerCredential.learner == recipient_hash,
                LearnerCredential.format.in_(("json", "jwt")),
                LearnerCredential.issuer_key != not_issued_by,
            )
            .order_by(LearnerCredential.created_at, LearnerCredential.id)
            .limit(limit)
        )
        return [(row.format, row.body) for row in self.session.execute(query)]
