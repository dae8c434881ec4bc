"""Issuance records: list (filtered, cursor-paginated), read one, and revoke/suspend/unsuspend.

Results are plain dataclasses read inside the use case's transaction, so no surface touches a
session or an ORM row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy.orm import Session

from badge_issuer.application.services import Services
from badge_issuer.credential.requests import lookup_identifier
from badge_issuer.db.credentials import CredentialRepository, RecordFilter
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.tables import Credential
from badge_issuer.errors import NotFound, StateConflict
from badge_issuer.issuance import recipient_hash
from badge_issuer.observability.logs import actor, audit
from badge_issuer.revocation import change_status

Action = Literal["revoke", "suspend", "unsuspend"]


@dataclass(frozen=True)
class StatusChangeEvent:
    action: str
    reason: str
    client_id: int | None
    at: datetime


@dataclass(frozen=True)
class IssuanceRecord:
    """One issued credential as the issuer's staff see it (the recipient is a keyed hash)."""

    id: str
    credential: dict[str, Any]
    #: the badge class and version it was made from; None for a credential the client supplied
    achievement_slug: str | None
    achievement_version: int | None
    recipient_hash: str | None
    recipient_email: str | None
    client_id: int | None
    idempotency_key: str | None
    status: str
    created: datetime
    updated: datetime
    history: tuple[StatusChangeEvent, ...] | None = field(default=None)

    @property
    def credential_id(self) -> str | None:
        """The credential's own ``id`` (a supplied credential may have none)."""
        value = self.credential.get("id")
        return value if isinstance(value, str) else None

    @property
    def subject_id(self) -> str | None:
        subject = self.credential.get("credentialSubject", {})
        value = subject.get("id") if isinstance(subject, dict) else None
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class RecordPage:
    items: list[IssuanceRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class RecordQuery:
    """Filters of ``list_records``; ``recipient`` is an email or DID (matched by its keyed hash)."""

    achievement: str | None = None
    recipient: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    limit: int = 50
    cursor: str | None = None


def _records(session: Session, rows: list[Credential]) -> list[IssuanceRecord]:
    labels = CredentialRepository(session).achievement_labels(rows)
    return [
        IssuanceRecord(
            id=row.id,
            credential=json.loads(row.credential_json),
            achievement_slug=labels[row.id][0] if row.id in labels else None,
            achievement_version=labels[row.id][1] if row.id in labels else None,
            recipient_hash=row.recipient_hash,
            recipient_email=row.recipient_email,
            client_id=row.client_id,
            idempotency_key=row.idempotency_key,
            status=row.status,
            created=row.created_at,
            updated=row.updated_at,
        )
        for row in rows
    ]


def list_records(services: Services, issuer: str, query: RecordQuery) -> RecordPage:
    """A page of ``issuer``'s records, newest first; ``next_cursor`` continues it."""
    lookup = None
    if query.recipient is not None:
        lookup = recipient_hash(lookup_identifier(query.recipient), services.issuance.recipient_pepper)
    filters = RecordFilter(
        achievement=query.achievement,
        recipient_hash=lookup,
        since=query.since,
        until=query.until,
        status=query.status,
    )
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        rows, next_cursor = CredentialRepository(session).page(
            row.id, filters, limit=query.limit, cursor=query.cursor
        )
        return RecordPage(_records(session, rows), next_cursor)


def get_record(services: Services, issuer: str, credential_id: str) -> IssuanceRecord:
    """One of ``issuer``'s records (NotFound for another issuer's)."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        [record] = _records(session, [CredentialRepository(session).get(credential_id, issuer_id=row.id)])
        return record


def change_record_status(
    services: Services,
    issuer: str,
    credential_id: str,
    action: Action,
    *,
    reason: str,
    client_id: int | None,
) -> IssuanceRecord:
    """Revoke (permanent), suspend or unsuspend; the record comes back with its audit history."""
    with services.sessions() as session, session.begin():
        row = IssuerRepository(session).by_slug(issuer)
        changed = change_status(
            session, row, credential_id, action, reason=reason, client_id=client_id, now=services.clock()
        )
        [record] = _records(session, [changed])
        history = tuple(
            StatusChangeEvent(action=e.action, reason=e.reason, client_id=e.client_id, at=e.at)
            for e in CredentialRepository(session).events(changed.id)
        )
    services.metrics.status_changed(action)
    # the reason is free text (it may name the recipient): it stays in the record, not the log
    audit(f"credential.{action}", actor=actor(client_id), issuer=issuer, credential=credential_id)
    return replace(record, history=history)


def change_status_by_reference(
    services: Services,
    issuer: str,
    reference: str,
    actions: Sequence[str],
    *,
    reason: str,
    client_id: int | None,
) -> IssuanceRecord:
    """VC-API ``/credentials/status``: find one of ``issuer``'s credentials by its record id, its URL
    here, its own ``id`` or the ``credentialId`` it was issued with (NotFound for anyone else's),
    then apply each action in turn. ``unrevoke`` can never happen (revocation is permanent): it is
    a StateConflict on a revoked credential and changes nothing on another."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        record_id = _find(CredentialRepository(session), row.id, reference, services.urls.credential(""))
    record = get_record(services, issuer, record_id)
    for action in actions:
        if action == "unrevoke":
            if record.status == "revoked":
                raise StateConflict("this credential is revoked and revocation is permanent")
            continue
        record = change_record_status(
            services,
            issuer,
            record_id,
            cast(Action, action),
            reason=reason,
            client_id=client_id,
        )
    return record


def _find(records: CredentialRepository, issuer_id: int, reference: str, url_prefix: str) -> str:
    for candidate in dict.fromkeys([reference.removeprefix(url_prefix), reference]):
        try:
            return records.get(candidate, issuer_id=issuer_id).id
        except NotFound:
            pass
    found = records.by_uri(issuer_id, reference)
    if found is None:
        raise NotFound(f"this issuer has no credential {reference[:200]!r}", pointer="/credentialId")
    return found.id
