"""A learner's own CLRs through the CLR 2.0 API (``GET /ims/clr/v2p0/credentials``, with an
access token of scope ``…/clr/v2p0/scope/credential.readonly``): one signed ``ClrCredential`` per
issuer here that awarded them an active badge, each nesting those badges unchanged.

The learner is known only by the keyed hash of their address (the OAuth grant's learner), so the
CLR's subject repeats the identity their badges carry (their ``credentialSubject.id``, or the
salted ``identifier`` of one of them). A CLR is signed once per content: its id is derived from
the issuer, the learner and what it carries, so a wallet reading again gets the same CLR (one
record, one status entry) until the learner's badges or the issuer's pathways change. A CLR the
issuer revoked or suspended is withheld, not signed again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from badge_issuer.application.clr import check_count, record_of, unsigned_clr
from badge_issuer.application.issuing import issue_supplied
from badge_issuer.application.services import Services
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.pathways import PathwayRepository
from badge_issuer.errors import StateConflict

#: CLRs one page may carry (each may be signed on the way)
MAX_PAGE = 10
_NAMESPACE = uuid.UUID("0f4c6a59-6b7e-4a8e-9d77-4c1f3c1c2b15")


@dataclass(frozen=True)
class ClrPage:
    #: how many issuers here awarded the learner an active badge
    total: int
    credentials: list[dict[str, Any]]


def _identity(nested: list[dict[str, Any]]) -> dict[str, Any]:
    """The ClrSubject: the learner as their first badge names them (every badge here awarded to
    their address carries its salted hash as ``identifier``; the CLR schema refuses a subject
    with neither ``id`` nor ``identifier``)."""
    subject = nested[0].get("credentialSubject")
    named = subject if isinstance(subject, dict) else {}
    return {"type": ["ClrSubject"], **{key: named[key] for key in ("id", "identifier") if key in named}}


def learner_clrs(services: Services, learner_hash: str, *, offset: int, limit: int) -> ClrPage:
    """One page of the learner's CLRs (one per issuer, in the order the issuers were created)."""
    with services.readers() as session:
        total, issuers = PathwayRepository(session).issuers_awarding(
            learner_hash, offset=offset, limit=min(limit, MAX_PAGE)
        )
    found = (learner_clr(services, issuer, learner_hash) for issuer in issuers)
    return ClrPage(total=total, credentials=[clr for clr in found if clr is not None])


def learner_clr(services: Services, issuer: str, learner_hash: str) -> dict[str, Any] | None:
    """The learner's CLR from ``issuer`` as signed (now, or earlier for the same content); None
    when the issuer revoked or suspended the CLR of exactly this content."""
    record, _ = record_of(services, issuer, learner_hash)
    check_count(len(record.nested), len(record.nested))
    subject = _identity(record.nested)
    content = json.dumps(unsigned_clr(record, subject, ""), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{issuer}\n{learner_hash}\n{content}".encode()).hexdigest()
    clr_id = f"urn:uuid:{uuid.uuid5(_NAMESPACE, digest)}"
    signed = _signed(services, issuer, clr_id)
    if signed is not None:
        return signed[0] if signed[1] else None
    try:
        issued = issue_supplied(
            services,
            issuer=issuer,
            credential=unsigned_clr(record, subject, clr_id),
            cryptosuite="eddsa-rdfc-2022",
            status_purpose="revocation",
            credential_uri=None,
            client_id=None,
            scope="/ims/clr/v2p0/credentials",
            payload={"clr": clr_id},
        )
    except StateConflict:  # the same CLR signed by a concurrent read: answer that one
        signed = _signed(services, issuer, clr_id)
        if signed is None:
            raise
        return signed[0] if signed[1] else None
    return issued.credential


def _signed(services: Services, issuer: str, clr_id: str) -> tuple[dict[str, Any], bool] | None:
    """The stored CLR with this id and whether it is active, if it was signed."""
    with services.readers() as session:
        row = IssuerRepository(session).by_slug(issuer)
        stored = CredentialRepository(session).by_uri(row.id, clr_id)
        if stored is None:
            return None
        credential: dict[str, Any] = json.loads(stored.credential_json)
        return credential, stored.status == "active"
