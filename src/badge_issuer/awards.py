"""What an award is made of, before and after the issuance spine: the commands it takes, the
award prepared but not yet signed, the badge it answers, and the idempotency replay.

``request_hash`` says when two requests are "the same" for an Idempotency-Key; ``earlier_award``
finds the award an earlier request with the key made and ``replay`` answers it again (or refuses
another body under the same key). ``recipient_hash`` is the keyed hash records are searched by.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.credential.requests import IssueRequest
from badge_issuer.crypto import jcs
from badge_issuer.crypto.keys import Signer
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.tables import Achievement, AchievementVersion, Credential, Issuer, StatusList
from badge_issuer.errors import IdempotencyConflict


@dataclass(frozen=True)
class IssueCommand:
    issuer_slug: str
    achievement_slug: str
    request: IssueRequest
    client_id: int | None
    idempotency_key: str | None
    request_hash: str


@dataclass(frozen=True)
class SignCommand:
    """Sign ``credential`` (a VCDM 1.1 or 2.0 credential the client wrote) as ``issuer_slug``."""

    issuer_slug: str
    credential: dict[str, Any]
    cryptosuite: str
    #: "revocation" / "suspension": add a BitstringStatusListEntry of that purpose; None: none
    status_purpose: str | None
    #: VC-API ``options.credentialId``: how the caller names a credential without an ``id``
    credential_uri: str | None
    client_id: int | None
    idempotency_key: str | None
    request_hash: str


@dataclass(frozen=True)
class IssuedBadge:
    record: Credential
    credential: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class Plan:
    """An award checked against what we hold (issuer, badge class version, dates, text), nothing
    taken yet: what its status positions and its credential are made from."""

    issuer: Issuer
    achievement: Achievement
    version: AchievementVersion
    now: datetime
    valid_from: datetime
    signer: Signer


#: the status positions an award took: (its list, the position), one per purpose
Positions = tuple[tuple[StatusList, int], ...]


@dataclass(frozen=True)
class Prepared:
    """An award validated, its status positions taken and its credential built, not yet signed."""

    #: the record to store (not yet added to a session); ``credential_json`` is filled in by ``store``
    record: Credential
    unsigned: dict[str, Any]
    suites: tuple[str, ...]
    signer: Signer
    #: (status list id, position) taken for it
    positions: tuple[tuple[int, int], ...]


def request_hash(path: str, body: Any) -> str:
    """What makes two requests "the same" for idempotency: the path and the JCS form of the body."""
    return hashlib.sha256(path.encode() + b"\n" + jcs.canonicalize(body)).hexdigest()


def recipient_hash(identifier: str, pepper: bytes) -> str:
    """The keyed hash records are searched by (never published)."""
    return hmac.new(pepper, identifier.encode(), hashlib.sha256).hexdigest()


def earlier_award(command: IssueCommand | SignCommand, session: Session) -> IssuedBadge | None:
    """The award an earlier request with this Idempotency-Key made (replayed), if any; the same
    key with another body is a conflict."""
    if command.idempotency_key is None or command.client_id is None:
        return None
    earlier = CredentialRepository(session).by_idempotency_key(command.client_id, command.idempotency_key)
    return None if earlier is None else replay(earlier, command.request_hash)


def replay(earlier: Credential, request_hash_now: str) -> IssuedBadge:
    if earlier.request_hash != request_hash_now:
        raise IdempotencyConflict(
            "this Idempotency-Key was used with a different request; use a new key for a new award",
            pointer="Idempotency-Key",
        )
    return IssuedBadge(record=earlier, credential=json.loads(earlier.credential_json), replayed=True)


def status_entry(list_url: str, position: int, purpose: str) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` of ``position`` in the list at ``list_url``."""
    return {
        "id": f"{list_url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(position),
        "statusListCredential": list_url,
    }
