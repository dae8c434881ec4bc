"""The issuance spine: validate → build → sign → store, in three steps that never commit.

``prepare_badge`` makes an award from one of our badge classes, ``prepare_supplied`` from a
credential the client wrote itself (VC-API): each validates, takes the status positions and builds
the unsigned credential (a ``Prepared``). ``sign_prepared`` signs it without touching the
database, and ``store`` writes the record and attaches the positions. The application layer runs
prepare and store in two short transactions with the signature between them, so writers do not
queue behind each other's signing (#11); ``issue_badge`` and ``sign_supplied`` run all three in the
caller's one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.credential.build import achievement_subject, build_credential
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.credential.schema import status_entry_views
from badge_issuer.credential.supplied import check_supplied, complete, is_open_badge, prefixed, term_pointer
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.crypto import jcs
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.keys import Signer
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.issuers import IssuerRepository
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import Credential
from badge_issuer.documents import profile
from badge_issuer.errors import (
    IdempotencyConflict,
    JsonLdError,
    StateConflict,
    TooComplex,
    UndefinedTerms,
    ValidationFailed,
)
from badge_issuer.errors import Issue as Finding
from badge_issuer.jsonld.processor import expand
from badge_issuer.signing import IssuanceTools


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


def issue_badge(command: IssueCommand, *, session: Session, tools: IssuanceTools) -> IssuedBadge:
    """Issue one badge in the caller's transaction, or replay the one an earlier request with the
    same key made."""
    prepared = prepare_badge(command, session=session, tools=tools)
    if isinstance(prepared, IssuedBadge):
        return prepared
    return store(prepared, sign_prepared(prepared, tools=tools), session=session)


def sign_supplied(command: SignCommand, *, session: Session, tools: IssuanceTools) -> IssuedBadge:
    """Sign a client's credential as its issuer in the caller's transaction, or replay what an
    earlier request with its key made."""
    prepared = prepare_supplied(command, session=session, tools=tools)
    if isinstance(prepared, IssuedBadge):
        return prepared
    return store(prepared, sign_prepared(prepared, tools=tools), session=session)


def earlier_award(command: IssueCommand | SignCommand, session: Session) -> IssuedBadge | None:
    """The award an earlier request with this Idempotency-Key made (replayed), if any; the same
    key with another body is a conflict."""
    if command.idempotency_key is None or command.client_id is None:
        return None
    earlier = CredentialRepository(session).by_idempotency_key(command.client_id, command.idempotency_key)
    return None if earlier is None else replay(earlier, command.request_hash)


def prepare_badge(command: IssueCommand, *, session: Session, tools: IssuanceTools) -> Prepared | IssuedBadge:
    """Validate an award of a badge class, take its status positions and build its credential
    (or replay the award an earlier request with the same key made)."""
    # 1. idempotency: the same key and body replay the first award; another body is a conflict
    earlier = earlier_award(command, session)
    if earlier is not None:
        return earlier
    # 2. validate against what we hold
    issuer = IssuerRepository(session).by_slug(command.issuer_slug)
    achievements = AchievementRepository(session)
    achievement = achievements.get(issuer.id, command.achievement_slug)
    version = achievements.version(achievement)
    request = command.request
    now = tools.clock()
    valid_from = request.valid_from or now
    _check_dates(request, valid_from)
    refuse_untransportable(
        request.model_dump(mode="json", by_alias=True, exclude_none=True), suites=request.proof
    )
    # 3. build
    credential_id = tools.new_id()
    statuses = StatusRepository(session)
    purposes = ["revocation", "suspension"] if issuer.suspension_enabled else ["revocation"]
    positions = [
        statuses.allocate(issuer.id, purpose, size=tools.status_list_size, now=now, rng=tools.rng)
        for purpose in purposes
    ]
    unsigned = build_credential(
        credential_id=tools.urls.credential(credential_id),
        issuer=profile(issuer),
        achievement=json.loads(version.document_json),
        subject=achievement_subject(request, tools.new_salt),
        valid_from=valid_from,
        valid_until=request.valid_until,
        evidence=[
            item.model_dump(mode="json", exclude_none=True) | {"type": ["Evidence"]}
            for item in request.evidence
        ],
        credential_status=[
            _status_entry(
                tools.urls.status_list(issuer.slug, status_list.purpose, status_list.sequence),
                position,
                status_list.purpose,
            )
            for status_list, position in positions
        ],
        extra_contexts=[ED25519_2020_CONTEXT] if "Ed25519Signature2020" in request.proof else [],
    )
    for view in status_entry_views(unsigned):
        tools.schemas.validate_credential(view)
    # text stored earlier (the issuer's profile, an older badge class) is held to the same rule
    refuse_untransportable(unsigned, suites=request.proof, what="the credential")
    # 4. the record to store once signed (one proof per requested suite; two make a proof set)
    identifier = request.recipient.identifier
    record = Credential(
        id=credential_id,
        issuer_id=issuer.id,
        achievement_id=achievement.id,
        achievement_version_id=version.id,
        client_id=command.client_id,
        credential_json="",
        recipient_hash=recipient_hash(identifier, tools.recipient_pepper),
        recipient_email=identifier if (request.recipient.email and tools.store_recipient_email) else None,
        idempotency_key=command.idempotency_key,
        request_hash=command.request_hash,
        status="active",
        created_at=now,
        updated_at=now,
    )
    return Prepared(
        record=record,
        unsigned=unsigned,
        suites=tuple(request.proof),
        signer=tools.signer_for(session, issuer),
        positions=tuple((status_list.id, position) for status_list, position in positions),
    )


def prepare_supplied(
    command: SignCommand, *, session: Session, tools: IssuanceTools
) -> Prepared | IssuedBadge:
    """Validate a client's credential, fill in its issuer and status entry (taking the position)
    and check it under JSON-LD (or replay what an earlier request with its key made)."""
    earlier = earlier_award(command, session)
    if earlier is not None:
        return earlier
    records = CredentialRepository(session)
    # 1. validate: what it is, whose it is, and text other verifiers would refuse
    issuer = IssuerRepository(session).by_slug(command.issuer_slug)
    supplied = command.credential
    version = check_supplied(supplied, issuer_did=issuer.did, pinned=tools.canon.loader.urls)
    uri = supplied.get("id") if isinstance(supplied.get("id"), str) else command.credential_uri
    if uri is not None and records.by_uri(issuer.id, uri) is not None:
        raise StateConflict(
            f"this issuer already signed a credential with the id {uri[:200]!r}",
            pointer="/credential/id" if "id" in supplied else "/options/credentialId",
        )
    try:
        refuse_untransportable(supplied, suites=[command.cryptosuite], what="the credential")
    except ValidationFailed as exc:
        raise prefixed(exc) from None
    # 2. fill in the issuer and the status entry
    now = tools.clock()
    record_id = tools.new_id()
    statuses = StatusRepository(session)
    position = None
    entry = None
    if command.status_purpose is not None:
        if command.status_purpose == "suspension" and not issuer.suspension_enabled:
            raise ValidationFailed(
                "this issuer has no suspension lists (suspension is enabled per issuer)",
                [Finding("/options/credentialStatus/statusPurpose", "suspension is not enabled")],
            )
        position = statuses.allocate(
            issuer.id, command.status_purpose, size=tools.status_list_size, now=now, rng=tools.rng
        )
        status_list, index = position
        entry = _status_entry(
            tools.urls.status_list(issuer.slug, status_list.purpose, status_list.sequence),
            index,
            status_list.purpose,
        )
    suite = suite_by_name(command.cryptosuite)
    unsigned = complete(
        supplied,
        version=version,
        issuer=profile(issuer) if is_open_badge(supplied) else issuer.did,
        proof_type=suite.proof_type,
        status_entry=entry,
        now=now,
    )
    if is_open_badge(unsigned):  # an Open Badge is held to its schema; other credentials are not
        try:
            tools.schemas.validate_credential(unsigned)
        except ValidationFailed as exc:
            raise prefixed(exc) from None
    refuse_untransportable(unsigned, suites=[command.cryptosuite], what="the credential")
    # 3. nothing may be lost under JSON-LD, whatever the suite (eddsa-jcs-2022 never expands it)
    try:
        expand(unsigned, loader=tools.canon.loader, bounds=tools.canon.bounds)
    except (JsonLdError, TooComplex) as exc:  # the problem names where, as far as it can
        exc.pointer = (
            term_pointer(unsigned, exc.terms[0]) if isinstance(exc, UndefinedTerms) else "/credential"
        )
        raise
    # 4. the record to store once signed
    subject = supplied["credentialSubject"]
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    record = Credential(
        id=record_id,
        issuer_id=issuer.id,
        client_id=command.client_id,
        credential_json="",
        recipient_hash=recipient_hash(subject_id, tools.recipient_pepper)
        if isinstance(subject_id, str)
        else None,
        idempotency_key=command.idempotency_key,
        request_hash=command.request_hash,
        credential_uri=uri,
        status="active",
        created_at=now,
        updated_at=now,
    )
    return Prepared(
        record=record,
        unsigned=unsigned,
        suites=(command.cryptosuite,),
        signer=tools.signer_for(session, issuer),
        positions=() if position is None else ((position[0].id, position[1]),),
    )


def sign_prepared(prepared: Prepared, *, tools: IssuanceTools) -> dict[str, Any]:
    """One proof per suite, in order (two make a proof set); reads and writes nothing stored."""
    signed = prepared.unsigned
    for suite_name in prepared.suites:
        signed = add_proof(
            signed,
            suite=suite_by_name(suite_name),
            signer=prepared.signer,
            canon=tools.canon,
            options=ProofOptions(created=prepared.record.created_at),
        )
    return signed


def store(prepared: Prepared, signed: dict[str, Any], *, session: Session) -> IssuedBadge:
    """Write the signed award's record and give its status positions their credential."""
    record = prepared.record
    record.credential_json = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    CredentialRepository(session).add(record)
    statuses = StatusRepository(session)
    for list_id, position in prepared.positions:
        statuses.attach(list_id, position, record.id)
    return IssuedBadge(record=record, credential=signed, replayed=False)


def replay(earlier: Credential, request_hash_now: str) -> IssuedBadge:
    if earlier.request_hash != request_hash_now:
        raise IdempotencyConflict(
            "this Idempotency-Key was used with a different request; use a new key for a new award",
            pointer="Idempotency-Key",
        )
    return IssuedBadge(record=earlier, credential=json.loads(earlier.credential_json), replayed=True)


def _check_dates(request: IssueRequest, valid_from: datetime) -> None:
    problems: list[Finding] = []
    if request.valid_until is not None and request.valid_until <= valid_from:
        problems.append(Finding("/validUntil", "validUntil must be after validFrom"))
    start, end = request.activity_start_date, request.activity_end_date
    if start is not None and end is not None and end < start:
        problems.append(Finding("/activityEndDate", "activityEndDate is before activityStartDate"))
    if problems:
        raise ValidationFailed(problems[0].message, problems)


def _status_entry(list_url: str, position: int, purpose: str) -> dict[str, Any]:
    return {
        "id": f"{list_url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(position),
        "statusListCredential": list_url,
    }
