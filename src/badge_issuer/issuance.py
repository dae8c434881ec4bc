"""The issuance spine: validate → build → sign → store, in steps that never commit.

``prepare_badge`` makes an award from one of our badge classes: ``plan_badge`` validates it against
what we hold (reads only), ``take_positions`` takes its status positions (the one write before
signing) and ``build_badge`` builds the unsigned credential (a ``Prepared``) without touching the
database. ``supplied_issuance.prepare_supplied`` does the same for a credential the client wrote
itself (VC-API). ``sign_prepared`` signs it without touching the database, and ``store`` writes the
record and attaches the positions. The application layer runs these in a read transaction and two
short write transactions (positions; record), so writers do not queue behind each other's building
and signing (#11); ``issue_badge`` and ``sign_supplied`` run all of them in the caller's one
transaction. What an award is made of (commands, ``Plan``, ``Prepared``, ``IssuedBadge``,
idempotency replay) lives in ``awards`` and is re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from badge_issuer.awards import (
    IssueCommand,
    IssuedBadge,
    Plan,
    Positions,
    Prepared,
    SignCommand,
    earlier_award,
    recipient_hash,
    replay,
    request_hash,
    status_entry,
)
from badge_issuer.credential.build import achievement_subject, build_credential
from badge_issuer.credential.requests import IssueRequest
from badge_issuer.credential.schema import status_entry_views
from badge_issuer.credential.text_policy import refuse_untransportable
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.crypto.suites.ed25519_signature_2020 import ED25519_2020_CONTEXT
from badge_issuer.db.achievements import AchievementRepository
from badge_issuer.db.credentials import CredentialRepository
from badge_issuer.db.status import StatusRepository
from badge_issuer.db.tables import Credential
from badge_issuer.documents import profile
from badge_issuer.errors import Issue as Finding
from badge_issuer.errors import ValidationFailed
from badge_issuer.signing import IssuanceTools
from badge_issuer.supplied_issuance import prepare_supplied

__all__ = [
    "IssueCommand",
    "IssuedBadge",
    "Plan",
    "Positions",
    "Prepared",
    "SignCommand",
    "build_badge",
    "earlier_award",
    "issue_badge",
    "plan_badge",
    "prepare_badge",
    "prepare_supplied",
    "recipient_hash",
    "replay",
    "request_hash",
    "sign_prepared",
    "sign_supplied",
    "store",
    "stored_json",
    "take_positions",
]


def issue_badge(command: IssueCommand, *, session: Session, tools: IssuanceTools) -> IssuedBadge:
    """Issue one badge in the caller's transaction, or replay the one an earlier request with the
    same key made."""
    earlier = earlier_award(command, session)
    if earlier is not None:
        return earlier
    prepared = prepare_badge(command, session=session, tools=tools)
    return store(prepared, sign_prepared(prepared, tools=tools), session=session)


def sign_supplied(command: SignCommand, *, session: Session, tools: IssuanceTools) -> IssuedBadge:
    """Sign a client's credential as its issuer in the caller's transaction, or replay what an
    earlier request with its key made."""
    earlier = earlier_award(command, session)
    if earlier is not None:
        return earlier
    prepared = prepare_supplied(command, session=session, tools=tools)
    return store(prepared, sign_prepared(prepared, tools=tools), session=session)


def prepare_badge(command: IssueCommand, *, session: Session, tools: IssuanceTools) -> Prepared:
    """Validate an award of a badge class, take its status positions and build its credential,
    in the caller's transaction. The caller replays an earlier award under the same key first
    (``earlier_award``). The application layer runs the three steps apart: only the positions are
    taken in a write transaction (#11)."""
    plan = plan_badge(command, session=session, tools=tools)
    return build_badge(command, plan, take_positions(plan, session=session, tools=tools), tools=tools)


def plan_badge(command: IssueCommand, *, session: Session, tools: IssuanceTools) -> Plan:
    """1. Validate the award against what we hold; reads only."""
    issuer, achievement, version, key = AchievementRepository(session).current_of(
        command.issuer_slug, command.achievement_slug
    )
    request = command.request
    now = tools.clock()
    valid_from = request.valid_from or now
    check_dates(request, valid_from)
    refuse_untransportable(
        request.model_dump(mode="json", by_alias=True, exclude_none=True), suites=request.proof
    )
    return Plan(issuer, achievement, version, now, valid_from, tools.signer_of(issuer, key))


def take_positions(plan: Plan, *, session: Session, tools: IssuanceTools) -> Positions:
    """2. Take the award's status positions (the one write before it is signed)."""
    issuer = plan.issuer
    statuses = StatusRepository(session)
    purposes = ["revocation", "suspension"] if issuer.suspension_enabled else ["revocation"]
    return tuple(
        statuses.allocate(issuer.id, purpose, size=tools.status_list_size, now=plan.now, rng=tools.rng)
        for purpose in purposes
    )


def build_badge(command: IssueCommand, plan: Plan, positions: Positions, *, tools: IssuanceTools) -> Prepared:
    """3. Build the credential and the record to store once signed; touches no database."""
    request, issuer, version = command.request, plan.issuer, plan.version
    credential_id = tools.new_id()
    unsigned = build_credential(
        credential_id=tools.urls.credential(credential_id),
        issuer=profile(issuer),
        achievement=json.loads(version.document_json),
        subject=achievement_subject(request, tools.new_salt),
        valid_from=plan.valid_from,
        valid_until=request.valid_until,
        evidence=[
            item.model_dump(mode="json", exclude_none=True) | {"type": ["Evidence"]}
            for item in request.evidence
        ],
        credential_status=[
            status_entry(
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
    # the record to store once signed (one proof per requested suite; two make a proof set)
    identifier = request.recipient.identifier
    record = Credential(
        id=credential_id,
        issuer_id=issuer.id,
        achievement_id=plan.achievement.id,
        achievement_version_id=version.id,
        client_id=command.client_id,
        credential_json="",
        recipient_hash=recipient_hash(identifier, tools.recipient_pepper),
        recipient_email=identifier if (request.recipient.email and tools.store_recipient_email) else None,
        idempotency_key=command.idempotency_key,
        request_hash=command.request_hash,
        status="active",
        created_at=plan.now,
        updated_at=plan.now,
    )
    return Prepared(
        record=record,
        unsigned=unsigned,
        suites=tuple(request.proof),
        signer=plan.signer,
        positions=tuple((status_list.id, position) for status_list, position in positions),
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


def stored_json(signed: Mapping[str, Any]) -> str:
    """The text a signed credential is stored (and served) as, byte for byte."""
    return json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


def store(prepared: Prepared, signed: dict[str, Any], *, session: Session) -> IssuedBadge:
    """Write the signed award's record and give its status positions their credential."""
    record = prepared.record
    record.credential_json = stored_json(signed)
    CredentialRepository(session).add(record)
    statuses = StatusRepository(session)
    for list_id, position in prepared.positions:
        statuses.attach(list_id, position, record.id)
    return IssuedBadge(record=record, credential=signed, replayed=False)


def check_dates(request: IssueRequest, valid_from: datetime) -> None:
    problems: list[Finding] = []
    if request.valid_until is not None and request.valid_until <= valid_from:
        problems.append(Finding("/validUntil", "validUntil must be after validFrom"))
    start, end = request.activity_start_date, request.activity_end_date
    if start is not None and end is not None and end < start:
        problems.append(Finding("/activityEndDate", "activityEndDate is before activityStartDate"))
    if problems:
        raise ValidationFailed(problems[0].message, problems)
