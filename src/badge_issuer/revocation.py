"""Revocation and suspension, and publishing the issuer's Bitstring Status List credentials.

``change_status`` flips the credential's bit in its list (revocation is permanent; suspension is
reversible), audits who/when/why (the reason is stored, never published), and bumps the list's
revision. ``status_list_credential`` serves the signed list, re-signing it only when a bit changed
or the last signature is close to its ``validUntil`` — never on every request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from badge_issuer.clock import isoformat_z
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import Credential, Issuer, StatusEvent, StatusList
from badge_issuer.errors import StateConflict
from badge_issuer.jsonld.loader import VC_V2
from badge_issuer.signing import IssuanceTools
from badge_issuer.status_list import Bitstring, status_list_credential_subject

Action = Literal["revoke", "suspend", "unsuspend"]
#: how long a signed list stays valid; it is re-signed when less than a quarter of this is left
LIST_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class StatusSessions:
    """Where lists are read (no write lock) and, when they must be re-signed, written."""

    readers: sessionmaker[Session]
    writers: sessionmaker[Session]


@dataclass(frozen=True)
class PublishedList:
    json_text: str
    etag: str
    ttl_seconds: int


def change_status(
    session: Session,
    issuer: Issuer,
    credential_id: str,
    action: Action,
    *,
    reason: str,
    client_id: int | None,
    now: datetime,
) -> Credential:
    """Revoke, suspend or unsuspend one of ``issuer``'s credentials (404 for anyone else's).

    Safe to retry: asking for the state the credential is already in changes nothing (no bit, no
    audit event) and returns it as it is. A change its state rules out (anything but revoke on a
    revoked credential, or suspension where the issuer has no suspension list) is a StateConflict.
    """
    records = CredentialRepository(session)
    record = records.get(credential_id, issuer_id=issuer.id, for_update=True)
    target = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "active"}[action]
    purpose = "revocation" if action == "revoke" else "suspension"
    if record.status == target:
        return record
    if record.status == "revoked":
        raise StateConflict(
            f"this credential is revoked and revocation is permanent; it cannot be {action}ed"
        )
    statuses = StatusRepository(session)
    entries = [
        (status_list, position)
        for status_list, position in statuses.entries(record.id)
        if status_list.purpose == purpose
    ]
    if not entries:
        raise StateConflict(
            f"this credential has no {purpose} status entry (suspension is enabled per issuer)"
        )
    for status_list, position in entries:
        locked = statuses.get(issuer.id, purpose, status_list.sequence, lock=True)
        statuses.set_bit(locked, position, action != "unsuspend", now)
    record.status = target
    record.updated_at = now
    records.add_event(
        StatusEvent(credential_id=record.id, action=action, reason=reason, client_id=client_id, at=now)
    )
    return record


def status_list_credential(
    sessions: StatusSessions,
    issuer_slug: str,
    purpose: str,
    sequence: int,
    *,
    tools: IssuanceTools,
    ttl_seconds: int,
) -> PublishedList:
    """The signed BitstringStatusListCredential: read without locks while its signature is fresh,
    re-signed (under the list's row lock) only when a bit changed or the signature grows old."""
    now = tools.clock()
    with sessions.readers() as session:
        issuer = IssuerRepository(session).by_slug(issuer_slug)
        status_list = StatusRepository(session).get(issuer.id, purpose, sequence)
        if not _stale(status_list, now):
            return _published(status_list, ttl_seconds)
    with sessions.writers() as session, session.begin():
        issuer = IssuerRepository(session).by_slug(issuer_slug)
        status_list = StatusRepository(session).get(issuer.id, purpose, sequence, lock=True)
        if _stale(status_list, now):
            _sign(status_list, issuer, session=session, tools=tools, ttl_seconds=ttl_seconds, now=now)
        return _published(status_list, ttl_seconds)


def _published(status_list: StatusList, ttl_seconds: int) -> PublishedList:
    text = status_list.signed_json or ""
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    return PublishedList(json_text=text, etag=etag, ttl_seconds=ttl_seconds)


def _stale(status_list: StatusList, now: datetime) -> bool:
    if status_list.signed_json is None or status_list.signed_revision != status_list.revision:
        return True
    return signature_aging(signed_until(json.loads(status_list.signed_json)), now)


def signed_until(signed: Mapping[str, Any]) -> datetime | None:
    """The ``validUntil`` of a signed list credential (None when it has none that can be read)."""
    valid_until = signed.get("validUntil", "")
    try:
        return datetime.fromisoformat(str(valid_until).replace("Z", "+00:00"))
    except ValueError:
        return None


def signature_aging(until: datetime | None, now: datetime) -> bool:
    """Whether a list signed until ``until`` must be signed again (less than a quarter left)."""
    return until is None or until - now < LIST_VALIDITY / 4


def _sign(
    status_list: StatusList,
    issuer: Issuer,
    *,
    session: Session,
    tools: IssuanceTools,
    ttl_seconds: int,
    now: datetime,
) -> None:
    url = tools.urls.status_list(issuer.slug, status_list.purpose, status_list.sequence)
    unsigned = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": isoformat_z(now),
        "validUntil": isoformat_z(now + LIST_VALIDITY),
        "credentialSubject": status_list_credential_subject(
            url, status_list.purpose, Bitstring.from_bytes(status_list.bits), ttl_seconds * 1000
        ),
    }
    signed = add_proof(
        unsigned,
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=tools.signer_for(session, issuer),
        canon=tools.canon,
        options=ProofOptions(created=now),
    )
    status_list.signed_json = json.dumps(signed, separators=(",", ":"))
    status_list.signed_revision = status_list.revision
    tools.on_status_list_signed()
